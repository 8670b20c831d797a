package org.imaarchiver.jobs.reverify;

import java.lang.reflect.Method;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The store of docs/performance.md "Planning against a store with latency"; a command, not a test.
 *
 * <pre>
 * java -cp "$CP" org.imaarchiver.jobs.reverify.SlowS3Server PORT LATENCY_MS ARCHIVE_DIR
 * </pre>
 *
 * An s3proxy on 127.0.0.1:PORT whose reads (get, list, metadata, exists) each wait LATENCY_MS
 * (s3proxy's own {@code LatencyBlobStore}), holding a copy of the local archive ARCHIVE_DIR in
 * bucket {@code bench} (access key {@code bench}, secret {@code bench-secret-key}); runs until killed.
 * Loopback S3 answers in about a millisecond: what a real S3 region's round trips cost a manager
 * that reads host by host does not show there.
 */
public final class SlowS3Server {
    private SlowS3Server() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: SlowS3Server PORT LATENCY_MS ARCHIVE_DIR");
            System.exit(2);
        }
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(ch.qos.logback.classic.Level.WARN);
        int port = Integer.parseInt(args[0]);
        long latency = Long.parseLong(args[1]);
        Path archive = Path.of(args[2]);
        Map<String, Long> latencies = new HashMap<>();
        for (String op : List.of("get", "list", "metadata", "blob-exists", "container-exists")) latencies.put(op, latency);
        // LatencyBlobStore's factory is package-private in s3proxy 4.1.0 (its CLI builds it from properties).
        Method wrap = Class.forName("org.gaul.s3proxy.middleware.LatencyBlobStore")
                .getDeclaredMethod("newLatencyBlobStore", BlobStore.class, Map.class, Map.class);
        wrap.setAccessible(true);
        BlobStore store = (BlobStore) wrap.invoke(null, new TransientNio2BlobStore(), latencies, Map.of());
        S3Proxy proxy = S3Proxy.builder().blobStore(store).endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "bench", "bench-secret-key").build();
        proxy.start();
        while (!"STARTED".equals(proxy.getState())) Thread.sleep(25);
        try (S3Client s3 = S3Client.builder().endpointOverride(URI.create("http://127.0.0.1:" + port)).region(Region.US_EAST_1)
                .forcePathStyle(true).credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("bench", "bench-secret-key")))
                .build()) {
            s3.createBucket(r -> r.bucket("bench"));
            List<Path> files;
            try (Stream<Path> s = Files.walk(archive)) {
                files = s.filter(Files::isRegularFile).toList();
            }
            files.parallelStream().forEach(f -> s3.putObject(r -> r.bucket("bench").key(archive.relativize(f).toString()), RequestBody.fromFile(f)));
            System.out.println("ready: " + files.size() + " objects in s3://bench at http://127.0.0.1:" + port + ", " + latency + " ms per read");
        }
        Thread.currentThread().join();
    }
}

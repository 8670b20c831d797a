package org.imaarchiver.archive.store;

import java.net.URI;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * An in-process s3proxy 4.1.0 on 127.0.0.1 with an in-memory blob store (architecture.md L.4). Public
 * so the end-to-end module (through archive-format's test-jar) runs its S3 tests on the same server.
 */
public final class S3ProxyServer implements AutoCloseable {
    public static final String ACCESS_KEY = "test-access-key";
    public static final String SECRET_KEY = "test-secret-key-not-a-real-one";

    static {
        // Logback's default is DEBUG for everything: Jetty and the SDK would log every byte and
        // slow the tests down tenfold. Set here rather than in a module-wide logback-test.xml.
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(ch.qos.logback.classic.Level.WARN);
    }

    private final S3Proxy proxy;
    private final URI endpoint;
    /** A plain client for setup and for tampering behind the store's back. */
    final S3Client raw;

    private S3ProxyServer(S3Proxy proxy) {
        this.proxy = proxy;
        this.endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
        this.raw = S3Client.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .build();
    }

    public static S3ProxyServer start() throws Exception {
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(new TransientNio2BlobStore())
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .build();
        proxy.start();
        for (int i = 0; i < 200 && !"STARTED".equals(proxy.getState()); i++) Thread.sleep(25);
        return new S3ProxyServer(proxy);
    }

    public URI endpoint() { return endpoint; }

    public void createBucket(String bucket) {
        raw.createBucket(b -> b.bucket(bucket));
    }

    /** Options pointing at this server, with explicit credentials and an empty environment. */
    StoreOptions.Builder options() {
        return StoreOptions.builder()
                .s3Endpoint(endpoint)
                .credentials(S3Credentials.of(ACCESS_KEY, SECRET_KEY))
                .environment(java.util.Map.of())
                .multipartThreshold(16 * 1024 * 1024)
                .partSize(5 * 1024 * 1024)
                .backoff(java.time.Duration.ofMillis(10), java.time.Duration.ofMillis(100));
    }

    @Override
    public void close() throws Exception {
        raw.close();
        proxy.stop();
    }
}

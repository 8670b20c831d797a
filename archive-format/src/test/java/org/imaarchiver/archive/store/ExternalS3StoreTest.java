package org.imaarchiver.archive.store;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The contract against a real S3-compatible service (AWS S3, MinIO, Ceph RGW, ...), skipped unless
 * configured (docs/operations.md "Archive stores"):
 * <ul>
 *   <li>{@code IMA_ARCHIVER_TEST_S3_ENDPOINT} e.g. {@code http://127.0.0.1:9000} or {@code https://s3.eu-central-1.amazonaws.com}</li>
 *   <li>{@code IMA_ARCHIVER_TEST_S3_BUCKET} an existing bucket the credentials may write and delete in</li>
 *   <li>{@code AWS_ACCESS_KEY_ID}, {@code AWS_SECRET_ACCESS_KEY} (and optionally {@code AWS_SESSION_TOKEN})</li>
 *   <li>optional: {@code AWS_REGION} (default us-east-1), {@code IMA_ARCHIVER_TEST_S3_PATH_STYLE}
 *       ({@code true} by default; {@code false} for virtual-hosted AWS buckets)</li>
 * </ul>
 * Every run writes under {@code ima-archiver-test/<random>/} and deletes what it wrote (unless
 * the bucket's Object Lock forbids it).
 */
class ExternalS3StoreTest extends ArchiveStoreContractTest {
    private static final Map<String, String> ENV = System.getenv();
    private String bucket;
    private String prefix;
    private StoreOptions options;
    private S3Client raw;

    @BeforeAll
    void configure() {
        Optional<String> endpoint = Optional.ofNullable(ENV.get("IMA_ARCHIVER_TEST_S3_ENDPOINT")).filter(s -> !s.isBlank());
        Optional<String> b = Optional.ofNullable(ENV.get("IMA_ARCHIVER_TEST_S3_BUCKET")).filter(s -> !s.isBlank());
        boolean keys = ENV.get("AWS_ACCESS_KEY_ID") != null && ENV.get("AWS_SECRET_ACCESS_KEY") != null;
        Assumptions.assumeTrue(endpoint.isPresent() && b.isPresent() && keys,
                "set IMA_ARCHIVER_TEST_S3_ENDPOINT, IMA_ARCHIVER_TEST_S3_BUCKET, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY to run");
        bucket = b.get();
        prefix = "ima-archiver-test/" + UUID.randomUUID();
        options = StoreOptions.builder()
                .s3Endpoint(URI.create(endpoint.get()))
                .pathStyle(!"false".equalsIgnoreCase(ENV.getOrDefault("IMA_ARCHIVER_TEST_S3_PATH_STYLE", "true")))
                .multipartThreshold(16 * MIB)
                .partSize(5 * MIB)
                .listPageSize(100)
                .build();
        raw = S3ArchiveStore.buildClient(options);
    }

    @AfterAll
    void closeRaw() {
        if (raw != null) raw.close();
    }

    @Override
    ArchiveStore openStore() throws Exception {
        // Through the public entry point, as the CLI will do.
        return ArchiveStores.open("s3://" + bucket + "/" + prefix, options);
    }

    @Override
    void overwriteBehindTheStoresBack(String key, byte[] bytes) {
        raw.putObject(r -> r.bucket(bucket).key(prefix + "/" + key), RequestBody.fromBytes(bytes));
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (store == null) return;
        List<String> keys;
        try (Stream<String> s = store.list(ns)) {
            keys = s.toList();
        }
        for (String k : keys) {
            try {
                store.delete(k);
            } catch (StoreException e) {
                // retention may forbid it; leave it
            }
        }
    }
}

package org.imaarchiver.archive.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

/** The contract against s3proxy 4.1.0 in-process, plus S3-specific request checks. */
class S3ProxyStoreTest extends ArchiveStoreContractTest {
    private static final String BUCKET = "ima-archive";
    private S3ProxyServer server;
    private RecordingInterceptor recorder;

    @BeforeAll
    void startServer() throws Exception {
        server = S3ProxyServer.start();
        server.createBucket(BUCKET);
    }

    @AfterAll
    void stopServer() throws Exception {
        if (server != null) server.close();
    }

    @Override
    ArchiveStore openStore() {
        recorder = new RecordingInterceptor(true);
        return S3ArchiveStore.create(new StoreUri.S3(BUCKET, "archive/v1"),
                server.options().listPageSize(100).interceptors(List.of(recorder)).build());
    }

    @Override
    void overwriteBehindTheStoresBack(String key, byte[] bytes) {
        server.raw.putObject(b -> b.bucket(BUCKET).key("archive/v1/" + key), RequestBody.fromBytes(bytes));
    }

    @Override
    void assertListWasPaged(int keyCount) {
        // 100 keys per page: at least 11 ListObjectsV2 calls for 1100 keys.
        assertThat(recorder.count("ListObjectsV2")).isGreaterThanOrEqualTo((keyCount + 99) / 100);
    }

    @Test
    void putsAreConditionalAndCarrySha256() throws Exception {
        store.createNew(ns + "a", ascii("abc"));
        RecordingInterceptor.Seen put = recorder.operations("PutObject").get(0);
        assertThat(put.header("If-None-Match")).isEqualTo("*");
        // base64 of the FIPS 180-2 "abc" digest
        assertThat(put.header("x-amz-checksum-sha256")).isEqualTo("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
        assertThat(put.header("x-amz-meta-sha256")).isEqualTo(SHA256_ABC.hex());
        assertThat(put.header("x-amz-object-lock-mode")).isNull();
        HeadObjectResponse head = server.raw.headObject(b -> b.bucket(BUCKET).key("archive/v1/" + ns + "a"));
        assertThat(head.metadata()).containsEntry("sha256", SHA256_ABC.hex());
    }

    @Test
    void bigFilesGoMultipartWithSha256PerPart() throws Exception {
        Path src = randomFile(tmp, 12 * MIB, 3);
        try (ArchiveStore small = S3ArchiveStore.create(new StoreUri.S3(BUCKET, "archive/v1"),
                server.options().multipartThreshold(6 * MIB).interceptors(List.of(recorder)).build())) {
            StoredObject receipt = small.createNew(ns + "big", src);
            assertThat(recorder.count("CreateMultipartUpload")).isEqualTo(1);
            List<RecordingInterceptor.Seen> parts = recorder.operations("UploadPart");
            assertThat(parts).hasSize(3); // 5 + 5 + 2 MiB
            assertThat(parts).allSatisfy(p -> assertThat(p.header("x-amz-checksum-sha256")).isNotBlank());
            assertThat(recorder.operations("CompleteMultipartUpload").get(0).header("If-None-Match")).isEqualTo("*");
            assertThat(small.stat(ns + "big").orElseThrow().sha256()).contains(receipt.sha256());
            assertThat(receipt.sha256()).isEqualTo(sha256(src));
        }
        assertThat(server.raw.listMultipartUploads(b -> b.bucket(BUCKET)).uploads()).isEmpty();
    }

    @Test
    void objectLockHeadersAreSentWhenConfigured() throws Exception {
        Instant now = Instant.parse("2026-11-27T12:00:00Z");
        try (ArchiveStore locked = S3ArchiveStore.create(new StoreUri.S3(BUCKET, "archive/v1"),
                server.options()
                        .objectLock(new ObjectLockRetention(ObjectLockRetention.Mode.COMPLIANCE, Duration.ofDays(400)))
                        .clock(Clock.fixed(now, ZoneOffset.UTC))
                        .multipartThreshold(6 * MIB)
                        .interceptors(List.of(recorder)).build())) {
            locked.createNew(ns + "small", ascii("abc"));
            locked.createNew(ns + "big", randomFile(tmp, 7 * MIB, 4));
        }
        RecordingInterceptor.Seen put = recorder.operations("PutObject").get(0);
        RecordingInterceptor.Seen create = recorder.operations("CreateMultipartUpload").get(0);
        for (RecordingInterceptor.Seen s : List.of(put, create)) {
            assertThat(s.header("x-amz-object-lock-mode")).isEqualTo("COMPLIANCE");
            // 2026-11-27 + 400 days = 2028-01-01 (2027 is not a leap year: 34 + 365 + 1)
            assertThat(Instant.parse(s.header("x-amz-object-lock-retain-until-date")))
                    .isEqualTo(Instant.parse("2028-01-01T12:00:00Z"));
        }
    }

    @Test
    void aForeignObjectBlocksCreation() {
        overwriteBehindTheStoresBack(ns + "foreign", ascii("theirs"));
        assertThatThrownBy(() -> store.createNew(ns + "foreign", ascii("ours")))
                .isInstanceOf(ObjectAlreadyExistsException.class);
    }

    @Test
    void folderMarkersAndForeignNamesAreNotListed() throws Exception {
        store.createNew(ns + "d/k", ascii("k"));
        server.raw.putObject(b -> b.bucket(BUCKET).key("archive/v1/" + ns + "d/"), RequestBody.empty());
        server.raw.putObject(b -> b.bucket(BUCKET).key("archive/v1/" + ns + "d/has space"), RequestBody.empty());
        try (var keys = store.list(ns)) {
            assertThat(keys).containsExactly(ns + "d/k");
        }
    }

    @Test
    void wrongCredentialsAreUnavailable() throws Exception {
        try (ArchiveStore bad = S3ArchiveStore.create(new StoreUri.S3(BUCKET, "archive/v1"),
                server.options().credentials(S3Credentials.of(S3ProxyServer.ACCESS_KEY, "wrong-secret")).maxAttempts(1).build())) {
            assertThatThrownBy(() -> bad.createNew(ns + "x", ascii("x"))).isInstanceOf(StoreUnavailableException.class);
            assertThatThrownBy(() -> bad.readAll(ns + "x")).isInstanceOf(StoreUnavailableException.class);
        }
    }

    @Test
    void missingBucketIsUnavailable() throws Exception {
        try (ArchiveStore none = S3ArchiveStore.create(new StoreUri.S3("no-such-bucket", ""), server.options().maxAttempts(1).build())) {
            assertThatThrownBy(() -> none.createNew("x", ascii("x"))).isInstanceOf(StoreUnavailableException.class);
            assertThatThrownBy(() -> none.open("x")).isInstanceOf(StoreUnavailableException.class);
        }
    }
}

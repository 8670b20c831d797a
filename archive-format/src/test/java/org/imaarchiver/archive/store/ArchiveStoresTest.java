package org.imaarchiver.archive.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

/** Opening stores from location strings, and where endpoint, region and credentials come from. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ArchiveStoresTest {
    private static final String BUCKET = "stores";
    private static final byte[] ABC = "abc".getBytes(StandardCharsets.US_ASCII);
    private S3ProxyServer server;
    private String closedEndpoint;

    @TempDir
    Path tmp;

    @BeforeAll
    void start() throws Exception {
        server = S3ProxyServer.start();
        server.createBucket(BUCKET);
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedEndpoint = "http://127.0.0.1:" + s.getLocalPort();
        }
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) server.close();
    }

    /** Captures the signed Authorization header (its credential scope names the region). */
    static final class AuthorizationRecorder implements ExecutionInterceptor {
        final List<String> authorizations = new CopyOnWriteArrayList<>();

        @Override
        public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
            context.httpRequest().firstMatchingHeader("Authorization").ifPresent(authorizations::add);
        }
    }

    private Map<String, String> env(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    @Test
    void aPathOpensALocalStore() throws Exception {
        Path dir = tmp.resolve("a/b");
        try (ArchiveStore s = ArchiveStores.open(dir.toString(), StoreOptions.defaults())) {
            assertThat(s).isInstanceOf(LocalDirectoryStore.class);
            s.createNew("k", ABC);
        }
        assertThat(dir.resolve("k")).hasBinaryContent(ABC);
        try (ArchiveStore s = ArchiveStores.open(dir.toUri().toString(), StoreOptions.defaults())) {
            assertThat(s.readAll("k")).isEqualTo(ABC);
        }
    }

    @Test
    void aFileInTheWayOfTheRootIsUnavailable() throws Exception {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertThatThrownBy(() -> ArchiveStores.open(file.toString(), StoreOptions.defaults()))
                .isInstanceOf(StoreUnavailableException.class);
    }

    @Test
    void endpointRegionAndCredentialsComeFromTheEnvironment() throws Exception {
        AuthorizationRecorder auth = new AuthorizationRecorder();
        StoreOptions options = StoreOptions.builder()
                .environment(env("AWS_ENDPOINT_URL", closedEndpoint, // AWS_ENDPOINT_URL_S3 takes precedence
                        "AWS_ENDPOINT_URL_S3", server.endpoint().toString(),
                        "AWS_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY,
                        "AWS_SECRET_ACCESS_KEY", S3ProxyServer.SECRET_KEY))
                .interceptors(List.of(auth))
                .build();
        try (ArchiveStore s = ArchiveStores.open("s3://" + BUCKET + "/env", options)) {
            assertThat(s).isInstanceOf(S3ArchiveStore.class);
            s.createNew("k", ABC);
            assertThat(s.readAll("k")).isEqualTo(ABC);
        }
        assertThat(auth.authorizations).isNotEmpty()
                .allSatisfy(a -> assertThat(a).contains("/us-east-1/s3/aws4_request").contains("Credential=" + S3ProxyServer.ACCESS_KEY + "/"));
        assertThat(server.raw.getObjectAsBytes(b -> b.bucket(BUCKET).key("env/k")).asByteArray()).isEqualTo(ABC);
    }

    @Test
    void genericEndpointVariableAndRegionVariableAreUsed() throws Exception {
        AuthorizationRecorder auth = new AuthorizationRecorder();
        StoreOptions options = StoreOptions.builder()
                .environment(env("AWS_ENDPOINT_URL", server.endpoint().toString(), "AWS_REGION", "eu-central-1",
                        "AWS_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", S3ProxyServer.SECRET_KEY))
                .interceptors(List.of(auth))
                .build();
        try (ArchiveStore s = ArchiveStores.open("s3://" + BUCKET, options)) {
            assertThat(s.stat("nothing")).isEmpty();
        }
        assertThat(auth.authorizations).isNotEmpty().allSatisfy(a -> assertThat(a).contains("/eu-central-1/s3/aws4_request"));
    }

    @Test
    void explicitOptionsBeatTheEnvironment() throws Exception {
        StoreOptions options = server.options()
                .environment(env("AWS_ENDPOINT_URL_S3", closedEndpoint,
                        "AWS_ACCESS_KEY_ID", "wrong", "AWS_SECRET_ACCESS_KEY", "wrong"))
                .build();
        try (ArchiveStore s = ArchiveStores.open("s3://" + BUCKET + "/explicit", options)) {
            s.createNew("k", ABC);
        }
    }

    @Test
    void badEndpointsAreIllegalArguments() {
        assertThatThrownBy(() -> ArchiveStores.open("s3://" + BUCKET,
                StoreOptions.builder().environment(env("AWS_ENDPOINT_URL_S3", "ftp://host/")).build()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ArchiveStores.open("s3://" + BUCKET,
                StoreOptions.builder().s3Endpoint(URI.create("http://user:pw@host/")).build()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ArchiveStores.open("ftp://x", StoreOptions.defaults()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void secretsNeverAppearInToString() throws Exception {
        String secret = "s3cr3t-value-that-must-not-leak";
        StoreOptions options = server.options()
                .credentials(new S3Credentials("AKIDEXAMPLE", secret, java.util.Optional.of("session-" + secret)))
                .environment(env("AWS_SECRET_ACCESS_KEY", secret))
                .build();
        assertThat(options.toString()).doesNotContain(secret).contains("AKIDEXAMPLE");
        assertThat(options.credentials().orElseThrow().toString()).doesNotContain(secret);
        try (ArchiveStore s = ArchiveStores.open("s3://" + BUCKET + "/p", options)) {
            assertThat(s.toString()).doesNotContain(secret);
            assertThat(s.location()).isEqualTo("s3://" + BUCKET + "/p");
        }
    }

    @Test
    void optionsAreValidated() {
        assertThatThrownBy(() -> StoreOptions.builder().partSize(1024).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StoreOptions.builder().listPageSize(1001).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StoreOptions.builder().maxAttempts(0).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ObjectLockRetention(ObjectLockRetention.Mode.GOVERNANCE, java.time.Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }
}

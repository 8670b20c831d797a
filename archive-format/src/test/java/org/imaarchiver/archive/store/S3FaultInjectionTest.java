package org.imaarchiver.archive.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * What createNew and the reads do when the network or the server misbehaves, with a
 * fault-injecting proxy between the SDK and s3proxy. The documented outcomes (docs/architecture.md "Archive stores"):
 * a lost response is retried and resolved by the upload token (success); a request that never
 * arrives, or 5xx to the end, is {@link StoreOutcomeUnknownException}; a foreign object that
 * appears meanwhile is {@link ObjectAlreadyExistsException}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class S3FaultInjectionTest {
    private static final String BUCKET = "faults";
    private S3ProxyServer server;
    private FaultInjectingProxy proxy;
    private ArchiveStore store;
    private String ns;

    @TempDir
    Path tmp;

    @BeforeAll
    void start() throws Exception {
        server = S3ProxyServer.start();
        server.createBucket(BUCKET);
        proxy = new FaultInjectingProxy(server.endpoint().getPort());
    }

    @AfterAll
    void stop() throws Exception {
        if (proxy != null) proxy.close();
        if (server != null) server.close();
    }

    @BeforeEach
    void openStore() {
        proxy.plan((m, t) -> FaultInjectingProxy.Action.FORWARD);
        proxy.seen.clear();
        ns = "t-" + UUID.randomUUID().toString().substring(0, 8) + "/";
        store = S3ArchiveStore.create(new StoreUri.S3(BUCKET, ""), server.options()
                .s3Endpoint(URI.create("http://127.0.0.1:" + proxy.port()))
                .maxAttempts(3)
                .attemptTimeout(Duration.ofSeconds(2))
                .multipartThreshold(6 * 1024 * 1024)
                .build());
    }

    @AfterEach
    void closeStore() throws Exception {
        store.close();
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** A plan that applies {@code first} to the first {@code n} requests with this method whose target contains {@code marker}. */
    private static FaultInjectingProxy.Plan firstN(String method, String marker, int n, FaultInjectingProxy.Action first) {
        AtomicInteger count = new AtomicInteger();
        return (m, t) -> m.equals(method) && t.contains(marker) && count.getAndIncrement() < n
                ? first : FaultInjectingProxy.Action.FORWARD;
    }

    @Test
    void serverErrorsAreRetriedUntilSuccess() throws Exception {
        proxy.plan(firstN("PUT", "k1", 2, FaultInjectingProxy.Action.RESPOND_503));
        StoredObject receipt = store.createNew(ns + "k1", ascii("abc"));
        assertThat(receipt.sha256()).isEqualTo(ArchiveStoreContractTest.SHA256_ABC);
        assertThat(proxy.seen("PUT")).extracting(FaultInjectingProxy.Seen::action).containsExactly(
                FaultInjectingProxy.Action.RESPOND_503, FaultInjectingProxy.Action.RESPOND_503, FaultInjectingProxy.Action.FORWARD);
        assertThat(store.readAll(ns + "k1")).isEqualTo(ascii("abc"));
    }

    @Test
    void readsAreRetriedToo() throws Exception {
        store.createNew(ns + "r", ascii("abc"));
        proxy.plan(firstN("GET", "/r", 1, FaultInjectingProxy.Action.RESPOND_500));
        assertThat(store.readAll(ns + "r")).isEqualTo(ascii("abc"));
        assertThat(proxy.seen("GET")).hasSize(2);
    }

    @Test
    void aLostResponseIsRetriedAndRecognisedAsOurs() throws Exception {
        // Attempt 1 lands but its response is lost (attempt timeout); attempt 2 gets 412 from
        // If-None-Match; the HEAD finds our upload token: success, not "already exists".
        proxy.plan(firstN("PUT", "k2", 1, FaultInjectingProxy.Action.FORWARD_AND_DROP_RESPONSE));
        StoredObject receipt = store.createNew(ns + "k2", ascii("abc"));
        assertThat(receipt.sha256()).isEqualTo(ArchiveStoreContractTest.SHA256_ABC);
        assertThat(proxy.seen("PUT")).hasSize(2);
        assertThat(proxy.seen("HEAD")).isNotEmpty();
        assertThat(store.verifyDurable(ns + "k2", receipt.sha256())).isTrue();
    }

    @Test
    void allResponsesLostButTheObjectLandedIsSuccess() throws Exception {
        proxy.plan((m, t) -> m.equals("PUT") ? FaultInjectingProxy.Action.FORWARD_AND_DROP_RESPONSE : FaultInjectingProxy.Action.FORWARD);
        StoredObject receipt = store.createNew(ns + "k3", ascii("abc"));
        assertThat(proxy.seen("PUT")).hasSize(3);
        assertThat(store.verifyDurable(ns + "k3", receipt.sha256())).isTrue();
    }

    @Test
    void requestsThatNeverArriveLeaveTheOutcomeUnknown() throws Exception {
        proxy.plan((m, t) -> m.equals("PUT") ? FaultInjectingProxy.Action.SWALLOW : FaultInjectingProxy.Action.FORWARD);
        assertThatThrownBy(() -> store.createNew(ns + "k4", ascii("abc")))
                .isInstanceOfSatisfying(StoreOutcomeUnknownException.class, e -> assertThat(e.key()).isEqualTo(ns + "k4"));
        assertThat(store.stat(ns + "k4")).isEmpty();
    }

    @Test
    void serverErrorsToTheEndLeaveTheOutcomeUnknown() {
        proxy.plan((m, t) -> m.equals("PUT") ? FaultInjectingProxy.Action.RESPOND_500 : FaultInjectingProxy.Action.FORWARD);
        assertThatThrownBy(() -> store.createNew(ns + "k5", ascii("abc"))).isInstanceOf(StoreOutcomeUnknownException.class);
        assertThat(proxy.seen("PUT")).hasSize(3);
    }

    @Test
    void aForeignObjectAppearingDuringRetriesIsAlreadyExists() {
        String key = ns + "k6";
        AtomicInteger puts = new AtomicInteger();
        proxy.plan((m, t) -> {
            if (m.equals("PUT") && puts.getAndIncrement() == 0) {
                server.raw.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromString("theirs"));
                return FaultInjectingProxy.Action.RESPOND_503;
            }
            return FaultInjectingProxy.Action.FORWARD;
        });
        assertThatThrownBy(() -> store.createNew(key, ascii("ours"))).isInstanceOf(ObjectAlreadyExistsException.class);
        assertThat(server.raw.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asUtf8String()).isEqualTo("theirs");
    }

    @Test
    void multipartCompletionWithALostResponseIsRecognisedAsOurs() throws Exception {
        Path src = ArchiveStoreContractTest.randomFile(tmp, 7 * 1024 * 1024, 9);
        proxy.plan(firstN("POST", "uploadId=", 1, FaultInjectingProxy.Action.FORWARD_AND_DROP_RESPONSE));
        StoredObject receipt = store.createNew(ns + "mp", src);
        assertThat(receipt.sha256()).isEqualTo(ArchiveStoreContractTest.sha256(src));
        assertThat(store.verifyDurable(ns + "mp", receipt.sha256())).isTrue();
        assertThat(server.raw.listMultipartUploads(b -> b.bucket(BUCKET)).uploads()).isEmpty();
    }

    @Test
    void multipartRaceLostAtCompletionIsAlreadyExistsAndAborts() throws Exception {
        String key = ns + "mp-race";
        Path src = ArchiveStoreContractTest.randomFile(tmp, 7 * 1024 * 1024, 10);
        proxy.plan((m, t) -> {
            if (m.equals("POST") && t.contains("uploadId=")) {
                // Another writer wins between our pre-check and our completion.
                server.raw.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromString("theirs"));
            }
            return FaultInjectingProxy.Action.FORWARD;
        });
        assertThatThrownBy(() -> store.createNew(key, src)).isInstanceOf(ObjectAlreadyExistsException.class);
        assertThat(server.raw.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asUtf8String()).isEqualTo("theirs");
        assertThat(server.raw.listMultipartUploads(b -> b.bucket(BUCKET)).uploads()).isEmpty();
    }

    @Test
    void anUnreachableEndpointIsUnavailable() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        try (ArchiveStore down = S3ArchiveStore.create(new StoreUri.S3(BUCKET, ""), server.options()
                .s3Endpoint(URI.create("http://127.0.0.1:" + closedPort)).maxAttempts(2).build())) {
            assertThatThrownBy(() -> down.createNew("x", ascii("x"))).isInstanceOf(StoreUnavailableException.class);
            assertThatThrownBy(() -> down.stat("x")).isInstanceOf(StoreUnavailableException.class);
            assertThatThrownBy(() -> down.readAll("x")).isInstanceOf(StoreUnavailableException.class);
            assertThatThrownBy(() -> down.list("")).isInstanceOf(StoreUnavailableException.class);
        }
    }
}

package org.imaarchiver.jobs.nightly;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.chain.ChainIndex;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.ArchiveStores;
import org.imaarchiver.archive.store.FaultInjectingProxy;
import org.imaarchiver.archive.store.S3Credentials;
import org.imaarchiver.archive.store.S3ProxyServer;
import org.imaarchiver.archive.store.StoreOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * archiveAndTrimJob against S3 (in-process s3proxy, {@code s3://bucket/prefix} with the store's
 * endpoint option), and the store faults of docs/operations.md through a fault-injecting proxy:
 * 5xx to the end, a request that never gets an answer, an object already under the next key.
 * Each fault ends with exit 3 and an untouched kernel list; the next run archives and trims it all.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NightlyS3Test {
    private static final String BUCKET = "nightly";
    private static final Pattern FIELD = Pattern.compile("(\\w+)=(\"(?:[^\"\\\\]|\\\\.)*\"|\\S+)");
    private S3ProxyServer server;
    private FaultInjectingProxy proxy;

    @TempDir
    Path dir;

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

    /** The job's S3 properties for {@code endpoint}; a fresh prefix per test. */
    private static List<String> s3Properties(URI endpoint, String prefix) {
        return List.of("--ima-archiver.store.uri=s3://" + BUCKET + "/" + prefix, "--ima-archiver.store.s3-endpoint=" + endpoint,
                "--ima-archiver.store.region=us-east-1", "--ima-archiver.store.path-style=true",
                "--ima-archiver.store.access-key-id=" + S3ProxyServer.ACCESS_KEY,
                "--ima-archiver.store.secret-access-key=" + S3ProxyServer.SECRET_KEY);
    }

    /** The test's own view of the archive: straight to s3proxy, never through the faults. */
    private ArchiveStore direct(String prefix) throws Exception {
        return ArchiveStores.open("s3://" + BUCKET + "/" + prefix, StoreOptions.builder().s3Endpoint(server.endpoint())
                .region("us-east-1").pathStyle(true).credentials(S3Credentials.of(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY))
                .environment(Map.of()).build());
    }

    private NightlyHarness harness(URI endpoint) throws Exception {
        String prefix = "p-" + UUID.randomUUID().toString().substring(0, 8);
        NightlyHarness h = new NightlyHarness(dir);
        h.useStore(s3Properties(endpoint, prefix), () -> direct(prefix));
        return h;
    }

    static Map<String, String> fields(String logLine) {
        Map<String, String> out = new LinkedHashMap<>();
        String line = logLine.lines().filter(l -> l.startsWith("ima-archiver archive")).reduce((a, b) -> b).orElse("");
        Matcher m = FIELD.matcher(line);
        while (m.find()) out.put(m.group(1), m.group(2));
        return out;
    }

    @Test
    void severalNightsOnS3ArchiveEverythingOnceAndTheChainVerifies() throws Exception {
        try (NightlyHarness h = harness(server.endpoint())) {
            h.bootAggregate("1");
            List<Long> kernelAfter = new ArrayList<>();
            for (int night : new int[] {90, 140, 60}) {
                h.measure(night);
                long before = h.kernelCount();
                NightlyHarness.Result r = h.archiveInProcess();
                assertThat(r.exitCode()).as(r.output()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
                Map<String, String> f = fields(r.output());
                assertThat(Long.parseLong(f.get("bytes_uploaded"))).isPositive();
                assertThat(Double.parseDouble(f.get("lock_ms"))).isNotNegative();
                assertThat(h.kernelCount()).isLessThan(before);
                kernelAfter.add(h.kernelCount());
                assertThat(h.archivedRecords()).containsExactlyElementsOf(h.measured);
            }
            assertThat(kernelAfter).containsOnly(1L); // one archived record stays to recognise the head
            NightlyHarness.Result idle = h.archiveInProcess();
            assertThat(idle.exitCode()).as(idle.output()).isEqualTo(RunOutcome.NOTHING_TO_DO.exitCode());
            assertThat(fields(idle.output())).containsEntry("lock_ms", "-").containsEntry("bytes_uploaded", "0");
            assertThat(h.archivedRecords()).containsExactlyElementsOf(h.measured);
            var report = h.verifyChain();
            assertThat(report.ok()).as(report.findings().toString()).isTrue();
        }
    }

    /** Short store timeouts for the fault runs (the seam the job's configuration does not expose). */
    private static ApplicationContextInitializer<ConfigurableApplicationContext> shortTimeouts() {
        ArchiveRun.StoreOpener opener = (location, options) -> ArchiveStores.open(location, options.toBuilder()
                .maxAttempts(2).attemptTimeout(Duration.ofSeconds(2)).backoff(Duration.ofMillis(10), Duration.ofMillis(50)).build());
        return ctx -> ctx.getBeanFactory().registerSingleton("faultTestStoreOpener", opener);
    }

    @Test
    void storeFaultsNeverTrimAndTheNextRunArchivesAndTrimsEverything() throws Exception {
        URI viaProxy = URI.create("http://127.0.0.1:" + proxy.port());
        String prefix = "f-" + UUID.randomUUID().toString().substring(0, 8);
        try (NightlyHarness h = new NightlyHarness(dir)) {
            h.useStore(s3Properties(viaProxy, prefix), () -> direct(prefix));
            h.bootAggregate("1");
            h.measure(30);
            proxy.plan((m, t) -> FaultInjectingProxy.Action.FORWARD);
            assertThat(h.archiveInProcess(shortTimeouts()).exitCode()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());

            // (a) 5xx on every segment upload
            assertFaultThenRecovery(h, (m, t) -> m.equals("PUT") && t.contains(ArchiveLayout.SEGMENT_SUFFIX)
                    ? FaultInjectingProxy.Action.RESPOND_503 : FaultInjectingProxy.Action.FORWARD, () -> { }, () -> { });
            // (b) the upload never gets an answer: attempt timeouts, the outcome stays unknown
            assertFaultThenRecovery(h, (m, t) -> m.equals("PUT") && t.contains(ArchiveLayout.SEGMENT_SUFFIX)
                    ? FaultInjectingProxy.Action.SWALLOW : FaultInjectingProxy.Action.FORWARD, () -> { }, () -> { });
            // (c) a segment object already under the next key (a leftover of an interrupted upload):
            // create-only refuses it; the operator removes it (docs/operations.md), then the run goes through
            String[] foreign = new String[1];
            assertFaultThenRecovery(h, (m, t) -> FaultInjectingProxy.Action.FORWARD, () -> {
                try (ArchiveStore s = direct(prefix)) {
                    long next = new ChainIndex(s).head(NightlyHarness.HOST).orElseThrow().nextSequence();
                    foreign[0] = ArchiveLayout.segmentKey(NightlyHarness.HOST, next);
                    s.createNew(foreign[0], "not a segment".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                }
            }, () -> {
                try (ArchiveStore s = direct(prefix)) {
                    s.delete(foreign[0]);
                }
            });
            var report = h.verifyChain();
            assertThat(report.ok()).as(report.findings().toString()).isTrue();
        }
    }

    @FunctionalInterface
    interface Action {
        void run() throws Exception;
    }

    private void assertFaultThenRecovery(NightlyHarness h, FaultInjectingProxy.Plan fault, Action breakIt, Action repairIt) throws Exception {
        h.measure(25);
        long kernelBefore = h.kernelCount();
        int archivedBefore = h.archivedRecords().size();
        proxy.plan(fault);
        breakIt.run();
        NightlyHarness.Result r = h.archiveInProcess(shortTimeouts());
        assertThat(r.exitCode()).as(r.output()).isEqualTo(RunOutcome.ENVIRONMENT_ERROR.exitCode());
        assertThat(fields(r.output())).containsEntry("records_trimmed", "0");
        assertThat(h.kernelCount()).isEqualTo(kernelBefore);
        assertThat(h.archivedRecords()).hasSize(archivedBefore);
        assertThat(Files.exists(h.dir.resolve("state/" + ArchiveRun.BLOCK_FILE))).isFalse();

        proxy.plan((m, t) -> FaultInjectingProxy.Action.FORWARD);
        repairIt.run();
        NightlyHarness.Result next = h.archiveInProcess(shortTimeouts());
        assertThat(next.exitCode()).as(next.output()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
        assertThat(h.archivedRecords()).containsExactlyElementsOf(h.measured);
        assertThat(h.kernelCount()).isEqualTo(1);
    }
}

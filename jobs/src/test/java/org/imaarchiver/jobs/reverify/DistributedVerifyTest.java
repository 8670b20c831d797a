package org.imaarchiver.jobs.reverify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.imaarchiver.archive.receipt.VerificationReceipt;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.sign.SegmentSigner;
import org.imaarchiver.replay.json.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Distributed mode across processes: PostgreSQL (Debian binaries, started here) as the job
 * repository, an Artemis broker ({@link VerifyBroker}, one per test), a manager JVM and two worker
 * JVMs ({@code ima-archiver worker} or {@link DistributedProbe} where a test needs to stall or slow
 * a worker); and {@code --workers 2} (embedded broker and worker JVMs started by the runner). The
 * expected report is local mode's over the same generated archive (attacked hosts included),
 * computed in this JVM.
 */
class DistributedVerifyTest {
    static final int HOSTS = 16;
    static final Set<String> ATTACKED = Set.of("host-05", "host-11", "host-13");

    @TempDir static Path shared;
    @TempDir Path dir;

    static PostgresServer pg;
    static TestArchive archive;
    static Path trust;
    static Path keyDir;
    static List<String> hostIds = new ArrayList<>();
    static Map<String, Map<String, Object>> localReport;
    static Map<String, String> localReceipts;

    VerifyBroker broker;
    String jdbc;
    final List<Process> processes = new ArrayList<>();

    @BeforeAll
    static void setUp() throws Exception {
        pg = PostgresServer.start();
        archive = new TestArchive(shared.resolve("store"));
        SegmentSigner rogue = new SegmentSigner(KeyMaterial.generate(KeyMaterial.KeyType.P256, "rogue", TestArchive.T0.minusSeconds(60),
                TestArchive.T0.plusSeconds(86400 * 365L)), Optional.empty());
        for (int i = 0; i < HOSTS; i++) {
            String id = String.format("host-%02d", i);
            hostIds.add(id);
            TestArchive.Host h = archive.host(id, 2000 + i, 10);
            if (i % 8 == 0) h.segment(6).segment(10).reboot(7000 + i, 6).segment(6);
            else if (id.equals("host-11")) h.segment(4).segment(7).segment(10);
            else if (id.equals("host-13")) h.segment(10, rogue);
            else h.segment(5).segment(10);
        }
        // A byte of a signed sidecar manifest (a flipped byte in a segment file is not always a
        // finding: the data digest covers the rows, not every byte of the Parquet file).
        Path manifest = archive.root.resolve(org.imaarchiver.archive.chain.ArchiveLayout.manifestKey("host-05", 1));
        byte[] b = Files.readAllBytes(manifest);
        int at = new String(b, StandardCharsets.UTF_8).indexOf("\"createdAt\"") + 16;
        b[at] = (byte) (b[at] == '1' ? '2' : '1');
        Files.write(manifest, b);
        archive.deleteSegment("host-11", 1);
        trust = archive.trustDir(shared.resolve("trust"), hostIds);
        KeyMaterial verifierKey = KeyMaterial.generate(KeyMaterial.KeyType.P256, "verifier", TestArchive.T0.minusSeconds(60),
                TestArchive.T0.plusSeconds(86400 * 365L));
        keyDir = shared.resolve("verifier-key");
        verifierKey.writePem(keyDir);

        Path out = shared.resolve("local-out");
        VerifyJobResult local = new VerifyJobRunner().run(VerifyJobRequest.of(archive.root.toString(), trust, shared.resolve("local-state"), out)
                .withParallel(2, 1).withProgress(VerifyJobRequest.ProgressMode.NONE).withReceiptKey(verifierKey)
                .withClock(Clock.fixed(ReverifyJobTest.NOW, ZoneOffset.UTC)));
        assertThat(local.completed()).isTrue();
        assertThat(local.counts().get().failedHosts()).as(Files.readString(local.jsonReport())).isEqualTo(ATTACKED.size());
        localReport = normalized(local.jsonReport());
        localReceipts = receipts(local.receiptsDir());
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (pg != null) pg.close();
    }

    @BeforeEach
    void startBrokerAndDatabase(TestInfo info) throws Exception {
        jdbc = pg.createDatabase(info.getTestMethod().orElseThrow().getName().toLowerCase());
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        broker = VerifyBroker.start("127.0.0.1", port, dir.resolve("broker"));
    }

    @AfterEach
    void stopAll() throws Exception {
        for (Process p : processes) p.destroyForcibly();
        for (Process p : processes) p.waitFor(20, TimeUnit.SECONDS);
        if (broker != null) broker.close();
    }

    @Test
    void managerAndTwoWorkerProcessesGiveLocalModesReport() throws Exception {
        Path log1 = cliWorkerNoWait("w1");
        Path log2 = cliWorker("w2");
        waitFor(() -> contains(log1, "worker: ready"), "w1 ready");
        Path out = dir.resolve("out");
        // The manager is the user's command line: `verify --broker --job-repository`.
        Process manager = spawn(List.of("org.imaarchiver.cli.Main", "verify", archive.root.toString(), "--trust", trust.toString(),
                "--state", dir.resolve("manager-state").toString(), "--out", out.toString(), "--receipt-key", keyDir.toString(),
                "--threads", "2", "--parallel", "1", "--progress", "none",
                "--broker", broker.url(), "--job-repository", jdbc, "--db-user", PostgresServer.USER), dir.resolve("manager.log"));
        assertThat(manager.waitFor(120, TimeUnit.SECONDS)).as("manager finished").isTrue();
        // 1 = findings: the archive holds tampered hosts; the verdicts are compared with local mode's below.
        assertThat(manager.exitValue()).as(Files.readString(dir.resolve("manager.log"))).isEqualTo(1);

        assertSameAsLocal(out);
        // Both workers took partitions (no prefetch pinning them to the first consumer).
        assertThat(countLines(log1, "done verifyChain")).isPositive();
        assertThat(countLines(log2, "done verifyChain")).isPositive();
        assertThat(countLines(log1, "done verifyChain") + countLines(log2, "done verifyChain")).isEqualTo(HOSTS);
        Map<Long, Map<String, String>> steps = stepExecutions();
        assertThat(steps).hasSize(1);
        assertThat(steps.values().iterator().next()).hasSize(HOSTS + 2).allSatisfy((k, v) -> assertThat(v).as(k).isEqualTo("COMPLETED"));
    }

    @Test
    void workerKilledMidPartitionLosesNoHost() throws Exception {
        Path stallLog = dir.resolve("stalling.log");
        Process stalling = probeWorker("stalling", stallLog, 2, 0);
        waitFor(() -> contains(stallLog, "ready"), "stalling worker ready");
        Path out = dir.resolve("out");
        Process manager = manager(out, "manager.log");
        waitFor(() -> contains(stallLog, "stall "), "the worker stalls inside a partition");
        String stalledHost = lines(stallLog).stream().filter(l -> l.startsWith("stall ")).findFirst().orElseThrow().substring(6);
        Path cliLog = cliWorker("w2"); // joins late: the stalled request is still unacknowledged
        waitFor(() -> countLines(cliLog, "done verifyChain") >= 3, "the second worker works");
        stalling.destroyForcibly(); // SIGKILL mid-partition: the broker redelivers its request
        stalling.waitFor(20, TimeUnit.SECONDS);

        assertThat(manager.waitFor(120, TimeUnit.SECONDS)).as("manager finished").isTrue();
        assertThat(manager.exitValue()).as(Files.readString(dir.resolve("manager.log"))).isZero();
        assertSameAsLocal(out);
        assertThat(Files.readString(cliLog)).contains("start " + ReverifyManagerConfiguration.partitionStepName(stalledHost) + " ").contains("again after an interrupted attempt");
        Map<Long, Map<String, String>> steps = stepExecutions();
        assertThat(steps).hasSize(1);
        assertThat(steps.values().iterator().next()).containsEntry(ReverifyManagerConfiguration.partitionStepName(stalledHost), "COMPLETED")
                .allSatisfy((k, v) -> assertThat(v).as(k).isEqualTo("COMPLETED"));
    }

    @Test
    void managerKilledAndRestartedDoesNotReverifyCompletedPartitions() throws Exception {
        // Two workers that each complete two partitions and then hang inside their third: the
        // manager dies with 4 partitions completed, 2 in progress and the rest queued.
        Path log1 = dir.resolve("stall1.log");
        Path log2 = dir.resolve("stall2.log");
        probeWorker("stall1", log1, 2, 0);
        probeWorker("stall2", log2, 2, 0);
        waitFor(() -> contains(log1, "ready") && contains(log2, "ready"), "workers ready");
        Path out = dir.resolve("out");
        Process first = manager(out, "manager1.log");
        waitFor(() -> contains(log1, "stall ") && contains(log2, "stall "), "both workers inside their third partition");
        first.destroyForcibly();
        first.waitFor(20, TimeUnit.SECONDS);

        // The same command again: recovers the dead execution, restarts the job instance. A fresh
        // worker joins once the new execution exists, so it sees only the restart's requests as live.
        Process second = manager(out, "manager2.log");
        waitFor(() -> stepExecutions().size() == 2, "the restarted execution");
        Path cliLog = cliWorker("w3");
        assertThat(second.waitFor(120, TimeUnit.SECONDS)).as("restarted manager finished").isTrue();
        assertThat(second.exitValue()).as(Files.readString(dir.resolve("manager2.log"))).isZero();
        assertThat(Files.readString(dir.resolve("manager2.log"))).contains("status=COMPLETED resumed=true");
        assertSameAsLocal(out);

        Map<Long, Map<String, String>> steps = stepExecutions();
        assertThat(steps).hasSize(2);
        List<Map<String, String>> runs = new ArrayList<>(steps.values());
        Set<String> completedFirst = new java.util.TreeSet<>();
        for (String h : hostIds) {
            String step = ReverifyManagerConfiguration.partitionStepName(h);
            if ("COMPLETED".equals(runs.get(0).get(step))) {
                completedFirst.add(h);
                assertThat(runs.get(1)).as("completed before the manager died: not sent again").doesNotContainKey(step);
                assertThat(Files.readString(cliLog)).doesNotContain("start " + step + " ");
            } else {
                assertThat(runs.get(1)).as(h).containsEntry(step, "COMPLETED");
            }
        }
        assertThat(completedFirst).hasSize(4);
        assertThat(runs.get(1)).containsEntry(ReverifyManagerConfiguration.REPORT_STEP, "COMPLETED");
        // The dead execution's stale requests were dropped, not run again.
        assertThat(Files.readString(cliLog)).contains("skipped verifyChain:");
        assertThat(countLines(cliLog, "done verifyChain")).isEqualTo(HOSTS - 4);
    }

    /**
     * {@code verify --workers 2}: the runner itself starts an embedded broker and two worker JVMs on
     * this machine, sharing the state directory's H2 database through H2's auto-server.
     */
    /** `--workers 2`, and with --max-partitions 4 the workers get ranges of hosts: same report. */
    @Test
    void workersOptionStartsLocalWorkerProcesses() throws Exception {
        Path state = dir.resolve("local-workers-state");
        Path out = dir.resolve("out");
        VerifyJobResult r = new VerifyJobRunner().withMaxPartitions(4).run(VerifyJobRequest.of(archive.root.toString(), trust, state, out)
                .withParallel(2, 1).withProgress(VerifyJobRequest.ProgressMode.NONE).withReceiptKey(KeyMaterial.readPem(keyDir))
                .withClock(Clock.fixed(ReverifyJobTest.NOW, ZoneOffset.UTC))
                .withDistribution(new VerifyJobRequest.Distribution(Optional.empty(), Optional.empty(), 2)));
        assertThat(r.completed()).isTrue();
        assertSameAsLocal(out);
        long partitionsRun = 0;
        for (int i = 0; i < 2; i++) {
            String log = Files.readString(state.resolve("worker-" + i + ".log"));
            assertThat(log).contains("worker ready");
            partitionsRun += log.lines().filter(l -> l.contains("done verifyChain:hosts-")).count();
        }
        assertThat(partitionsRun).isBetween(2L, 4L);
    }

    /**
     * Chains cut into parts of one segment each, verified by two worker processes: local mode's
     * whole-chain report and receipts, and the manager's progress (fed from the job repository)
     * ends with every host counted once and the attacked ones failed.
     */
    @Test
    void splitChainsOverWorkerProcessesGiveLocalModesReportAndProgress() throws Exception {
        Path state = dir.resolve("split-state");
        Path out = dir.resolve("out");
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        VerifyJobResult r = new VerifyJobRunner(HostVerification.HostListener.NONE, new java.io.PrintStream(err, true, StandardCharsets.UTF_8),
                java.time.Duration.ofMillis(1)).withSegmentsPerPartition(1)
                .run(VerifyJobRequest.of(archive.root.toString(), trust, state, out)
                        .withParallel(2, 1).withProgress(VerifyJobRequest.ProgressMode.LOG).withReceiptKey(KeyMaterial.readPem(keyDir))
                        .withClock(Clock.fixed(ReverifyJobTest.NOW, ZoneOffset.UTC))
                        .withDistribution(new VerifyJobRequest.Distribution(Optional.empty(), Optional.empty(), 2)));
        String log = err.toString(StandardCharsets.UTF_8);
        assertThat(r.completed()).as(log).isTrue();
        assertSameAsLocal(out);
        long parts = 0;
        for (int i = 0; i < 2; i++) {
            parts += Files.readString(state.resolve("worker-" + i + ".log")).lines().filter(l -> l.contains(".part-0001")).count();
        }
        assertThat(parts).as("chains were cut into parts").isPositive();
        List<String> progress = log.lines().filter(l -> l.startsWith("verify: hosts ")).toList();
        assertThat(progress).as(log).isNotEmpty();
        long segments = localReport.values().stream().mapToLong(h -> (Long) h.get("segments")).sum();
        assertThat(progress.get(progress.size() - 1)).startsWith("verify: hosts " + HOSTS + "/" + HOSTS + " (" + ATTACKED.size()
                + " failed), segments " + segments + ", ");
    }

    /** Fail closed: a worker whose trust directory differs from the manager's verifies nothing. */
    @Test
    void workerWithOtherTrustFailsItsPartitions() throws Exception {
        Path otherTrust = dir.resolve("other-trust");
        try (Stream<Path> s = Files.walk(trust)) {
            for (Path p : s.toList()) {
                Path t = otherTrust.resolve(trust.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
        Files.delete(otherTrust.resolve("hosts").resolve("host-01").resolve("ak.pem")); // host-01 no longer enrolled here
        VerifyJobRequest.JdbcTarget repo = new VerifyJobRequest.JdbcTarget(jdbc, Optional.of(PostgresServer.USER), Optional.empty());
        try (VerifyWorker w = VerifyWorker.start(new VerifyWorker.Settings(broker.url(), repo, otherTrust,
                org.imaarchiver.archive.store.StoreOptions.defaults(), 1, 1, dir.resolve("work")))) {
            VerifyJobResult r = new VerifyJobRunner().run(VerifyJobRequest.of(archive.root.toString(), trust, dir.resolve("state"),
                    dir.resolve("out")).withHosts(Set.of("host-01", "host-02")).withParallel(1, 1)
                    .withProgress(VerifyJobRequest.ProgressMode.NONE)
                    .withDistribution(new VerifyJobRequest.Distribution(Optional.of(broker.url()), Optional.of(repo), 0)));
            assertThat(r.completed()).isFalse();
            assertThat(r.counts()).isEmpty();
        }
        Map<String, String> steps = stepExecutions().values().iterator().next();
        assertThat(steps).containsEntry(ReverifyManagerConfiguration.partitionStepName("host-01"), "FAILED")
                .containsEntry(ReverifyManagerConfiguration.partitionStepName("host-02"), "FAILED")
                .doesNotContainKey(ReverifyManagerConfiguration.REPORT_STEP);
        try (Connection c = DriverManager.getConnection(jdbc, PostgresServer.USER, ""); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select count(*) from " + ResultTable.TABLE)) {
            rs.next();
            assertThat(rs.getLong(1)).as("no result stored").isZero();
        }
    }

    /**
     * {@code --since-receipt} over {@code --broker}, and the manager without workers: it says it is
     * waiting, stops after {@code --partition-timeout} (exit 3, nothing reported, the receipts stored
     * for the workers in the job repository), and the same command with a worker running resumes and
     * gives local mode's since-receipt report and receipts: one host after a receipt tampered with
     * (refused, whole chain), one failing after its receipt, one rebooted, one without a receipt.
     */
    @Test
    void sinceReceiptOverBrokerAndTheManagerStopsWaitingWithoutWorkersThenResumes() throws Exception {
        SinceCase sc = sinceCase();
        Path out = dir.resolve("out");
        List<String> command = List.of("org.imaarchiver.cli.Main", "verify", sc.archive().root.toString(), "--trust", sc.trust().toString(),
                "--state", dir.resolve("manager-state").toString(), "--out", out.toString(), "--receipt-key", keyDir.toString(),
                "--since-receipt", sc.receipts().toString(), "--threads", "2", "--parallel", "1", "--progress", "none",
                "--broker", broker.url(), "--job-repository", jdbc, "--db-user", PostgresServer.USER, "--partition-timeout", "6s");
        Process first = spawn(command, dir.resolve("manager1.log"));
        assertThat(first.waitFor(120, TimeUnit.SECONDS)).as("manager gave up").isTrue();
        String log1 = Files.readString(dir.resolve("manager1.log"));
        assertThat(first.exitValue()).as(log1).isEqualTo(3);
        assertThat(log1).contains("waiting for workers: 0 of " + SINCE_HOSTS.size() + " partitions started")
                .contains("ima-archiver worker --broker " + broker.url())
                .contains(SINCE_HOSTS.size() + " of " + SINCE_HOSTS.size() + " partitions not done");
        assertThat(out.resolve(ReportWriter.JSON)).doesNotExist();
        Map<String, String> timedOut = stepExecutions().values().iterator().next();
        assertThat(timedOut).containsEntry(ReverifyManagerConfiguration.MANAGER_STEP, "FAILED").doesNotContainKey(ReverifyManagerConfiguration.REPORT_STEP);
        for (String h : SINCE_HOSTS) assertThat(timedOut).containsEntry(ReverifyManagerConfiguration.partitionStepName(h), "FAILED");
        assertThat(rowCount(SinceReceiptTable.TABLE)).as("one verdict per receipt file").isEqualTo(SINCE_HOSTS.size() - 1);

        Path workerLog = cliWorker("w1", sc.trust());
        Process second = spawn(command, dir.resolve("manager2.log"));
        assertThat(second.waitFor(120, TimeUnit.SECONDS)).as("resumed manager finished").isTrue();
        // 1: rc-1 fails after its receipt, as in local mode
        assertThat(second.exitValue()).as(Files.readString(dir.resolve("manager2.log"))).isEqualTo(1);
        assertThat(normalized(out.resolve(ReportWriter.JSON))).isEqualTo(sc.report());
        assertThat(receipts(out.resolve("receipts"))).isEqualTo(sc.newReceipts());
        assertThat(Files.readString(dir.resolve("manager2.log"))).contains("resumed an interrupted run");
        // The timed-out execution's requests were still queued: skipped, not run.
        assertThat(countLines(workerLog, "skipped verifyChain:")).isEqualTo(SINCE_HOSTS.size());
        assertThat(countLines(workerLog, "done verifyChain")).isEqualTo(SINCE_HOSTS.size());
        Map<Long, Map<String, String>> steps = stepExecutions();
        assertThat(steps).hasSize(2);
        assertThat(new ArrayList<>(steps.values()).get(1)).allSatisfy((k, v) -> assertThat(v).as(k).isEqualTo("COMPLETED"));
        assertThat(rowCount(SinceReceiptTable.TABLE)).as("deleted with the results of the completed run").isZero();
        assertThat(rowCount(ResultTable.TABLE)).isZero();
    }

    /**
     * {@code --workers 1} with {@code --since-receipt}: local mode's report and receipts; and the
     * manager shows progress from the job repository (the hosts are verified by other processes).
     */
    @Test
    void workersOptionWithSinceReceiptGivesLocalModesReportAndProgress() throws Exception {
        SinceCase sc = sinceCase();
        Path out = dir.resolve("out");
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        VerifyJobResult r = new VerifyJobRunner(HostVerification.HostListener.NONE, new java.io.PrintStream(err, true, StandardCharsets.UTF_8),
                java.time.Duration.ofMillis(50)).run(VerifyJobRequest.of(sc.archive().root.toString(), sc.trust(), dir.resolve("lw-state"), out)
                .withParallel(2, 1).withProgress(VerifyJobRequest.ProgressMode.LOG).withReceiptKey(KeyMaterial.readPem(keyDir))
                .withSinceReceipts(sc.receipts(), Optional.empty())
                .withDistribution(new VerifyJobRequest.Distribution(Optional.empty(), Optional.empty(), 1)));
        assertThat(r.completed()).as(err.toString(StandardCharsets.UTF_8)).isTrue();
        assertThat(normalized(out.resolve(ReportWriter.JSON))).isEqualTo(sc.report());
        assertThat(receipts(out.resolve("receipts"))).isEqualTo(sc.newReceipts());

        List<String> progress = err.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("verify: hosts ")).toList();
        assertThat(progress).as(err.toString(StandardCharsets.UTF_8)).isNotEmpty();
        long segments = sc.report().values().stream().mapToLong(h -> (Long) h.get("segments")).sum();
        assertThat(progress.get(progress.size() - 1)).startsWith("verify: hosts " + SINCE_HOSTS.size() + "/" + SINCE_HOSTS.size()
                + " (1 failed), segments " + segments + ", ");
    }

    // ---- the --since-receipt case ----

    static final List<String> SINCE_HOSTS = List.of("rc-0", "rc-1", "rc-2", "rc-3", "rc-4", "rc-5");

    /** An archive, receipts of a first run over it, then changes; and local mode's since-receipt report and receipts. */
    record SinceCase(TestArchive archive, Path trust, Path receipts, Map<String, Map<String, Object>> report, Map<String, String> newReceipts) {}

    static SinceCase sinceCase;

    static synchronized SinceCase sinceCase() throws Exception {
        if (sinceCase != null) return sinceCase;
        TestArchive a = new TestArchive(shared.resolve("since-store"));
        // rc-5 is enrolled when it starts archiving (below): an enrolled host without a chain is missing-chain.
        Path t = a.trustDir(shared.resolve("since-trust"), SINCE_HOSTS.subList(0, SINCE_HOSTS.size() - 1));
        KeyMaterial key = KeyMaterial.readPem(keyDir);
        TestArchive.Host h0 = a.host("rc-0", 100, 20).segment(5).segment(10);
        TestArchive.Host h1 = a.host("rc-1", 101, 20).segment(5).segment(10);
        TestArchive.Host h2 = a.host("rc-2", 102, 20).segment(6);
        a.host("rc-3", 103, 20).segment(5).segment(10);
        TestArchive.Host h4 = a.host("rc-4", 104, 20).segment(5).segment(10);
        VerifyJobResult first = new VerifyJobRunner().run(VerifyJobRequest.of(a.root.toString(), t, shared.resolve("since-state"),
                shared.resolve("since-out-1")).withParallel(2, 1).withProgress(VerifyJobRequest.ProgressMode.NONE).withReceiptKey(key)
                .withClock(Clock.fixed(ReverifyJobTest.NOW, ZoneOffset.UTC)));
        assertThat(first.ok()).isTrue();
        Path receipts = first.receiptsDir();

        h0.segment(15);                                    // verified after its receipt
        h1.segment(15);                                    // fails after its receipt: a signature is gone
        Files.delete(a.root.resolve(org.imaarchiver.archive.chain.ArchiveLayout.signatureKey("rc-1", 2)));
        h2.reboot(202, 8).segment(8);                      // a new boot after the receipt
        h4.segment(15);                                    // its receipt is tampered with: refused, whole chain
        Path r4 = receipts.resolve("rc-4" + VerificationReceipt.JSON_SUFFIX);
        String body = Files.readString(r4);
        Files.writeString(r4, body.replace("\"sequence\":1", "\"sequence\":0"));
        assertThat(Files.readString(r4)).isNotEqualTo(body);
        a.host("rc-5", 105, 20).segment(7);                // new: no receipt
        Files.copy(t.resolve("hosts/rc-0/ak.pem"), Files.createDirectories(t.resolve("hosts/rc-5")).resolve("ak.pem"));

        VerifyJobResult local = new VerifyJobRunner().run(VerifyJobRequest.of(a.root.toString(), t, shared.resolve("since-state"),
                shared.resolve("since-out-2")).withParallel(2, 1).withProgress(VerifyJobRequest.ProgressMode.NONE).withReceiptKey(key)
                .withSinceReceipts(receipts, Optional.empty()).withClock(Clock.fixed(ReverifyJobTest.NOW, ZoneOffset.UTC)));
        assertThat(local.completed()).isTrue();
        Map<String, Map<String, Object>> report = normalized(local.jsonReport());
        assertThat(report.get("rc-0")).containsEntry("status", "ok").containsEntry("sinceReceipt", 1L).containsEntry("verifiedFromSegment", 2L);
        assertThat(report.get("rc-1")).containsEntry("status", "failed").containsEntry("sinceReceipt", 1L);
        assertThat(report.get("rc-2")).containsEntry("status", "ok").containsEntry("sinceReceipt", 0L);
        assertThat(report.get("rc-3")).containsEntry("status", "ok").containsEntry("segments", 0L);
        assertThat(report.get("rc-4")).containsEntry("status", "ok").containsEntry("verifiedFromSegment", 0L).containsEntry("sinceReceipt", Json.NULL);
        assertThat(report.get("rc-4").get("receiptRejected")).isInstanceOf(String.class);
        assertThat(report.get("rc-5")).containsEntry("status", "ok").containsEntry("receiptRejected", Json.NULL);
        sinceCase = new SinceCase(a, t, receipts, report, receipts(local.receiptsDir()));
        return sinceCase;
    }

    // ---- helpers ----

    void assertSameAsLocal(Path out) throws Exception {
        assertThat(normalized(out.resolve(ReportWriter.JSON))).isEqualTo(localReport);
        assertThat(receipts(out.resolve("receipts"))).isEqualTo(localReceipts);
    }

    /**
     * The report per host, with the verifying process's scratch file names in finding details
     * replaced (ChainVerifier names its temporary copy of an unreadable segment: a random path).
     */
    static Map<String, Map<String, Object>> normalized(Path report) throws Exception {
        String text = Files.readString(report).replaceAll("/[^\\s\"]*/verify-[^\\s\"/]*\\.parquet", "<scratch>.parquet");
        Path tmp = Files.createTempFile("report", ".json");
        try {
            Files.writeString(tmp, text);
            return ReverifyJobTest.hostsOf(tmp);
        } finally {
            Files.delete(tmp);
        }
    }

    /** Receipt JSON per file name, without verifiedAt (the workers' clock). */
    static Map<String, String> receipts(Path dir) throws Exception {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.toString().endsWith(VerificationReceipt.JSON_SUFFIX)).toList()) {
                @SuppressWarnings("unchecked")
                Map<String, Object> o = (Map<String, Object>) Json.parse(Files.readString(p));
                o.remove("verifiedAt");
                m.put(p.getFileName().toString(), Json.canonical(o));
            }
        }
        return m;
    }

    Process manager(Path out, String logName) throws Exception {
        return spawn(List.of(DistributedProbe.class.getName(), "manager", archive.root.toString(), trust.toString(),
                dir.resolve("manager-state").toString(), out.toString(), jdbc, broker.url(), keyDir.toString()), dir.resolve(logName));
    }

    Path cliWorker(String name) throws Exception { return cliWorker(name, trust); }

    Path cliWorker(String name, Path trustDir) throws Exception {
        Path log = cliWorkerNoWait(name, trustDir);
        waitFor(() -> contains(log, "worker: ready"), name + " ready");
        return log;
    }

    Path cliWorkerNoWait(String name) throws Exception { return cliWorkerNoWait(name, trust); }

    Path cliWorkerNoWait(String name, Path trustDir) throws Exception {
        Path log = dir.resolve(name + ".log");
        spawn(List.of("org.imaarchiver.cli.Main", "worker", "--broker", broker.url(), "--job-repository", jdbc, "--db-user", PostgresServer.USER,
                "--trust", trustDir.toString(), "--parallel", "2", "--segment-parallel", "1", "--work-dir", dir.resolve(name).toString()), log);
        return log;
    }

    long rowCount(String table) throws Exception {
        try (Connection c = DriverManager.getConnection(jdbc, PostgresServer.USER, ""); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select count(*) from " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    Process probeWorker(String name, Path log, int stallAfter, long slowMs) throws Exception {
        return spawn(List.of(DistributedProbe.class.getName(), "worker", broker.url(), jdbc, trust.toString(), dir.resolve(name).toString(),
                log.toString(), Integer.toString(stallAfter), Long.toString(slowMs)), dir.resolve(name + ".out"));
    }

    Process spawn(List<String> args, Path output) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path")));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        processes.add(p);
        return p;
    }

    static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for: " + what).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    static List<String> lines(Path f) {
        try {
            return Files.exists(f) ? Files.readAllLines(f, StandardCharsets.UTF_8) : List.of();
        } catch (java.io.IOException e) {
            return List.of(); // being written
        }
    }

    static boolean contains(Path f, String s) { return lines(f).stream().anyMatch(l -> l.contains(s)); }

    static long countLines(Path f, String s) { return lines(f).stream().filter(l -> l.contains(s)).count(); }

    /** Step name → status, per job execution (ascending). */
    Map<Long, Map<String, String>> stepExecutions() {
        Map<Long, Map<String, String>> byExecution = new TreeMap<>();
        try (Connection c = DriverManager.getConnection(jdbc, PostgresServer.USER, ""); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select JOB_EXECUTION_ID, STEP_NAME, STATUS from BATCH_STEP_EXECUTION")) {
            while (rs.next()) byExecution.computeIfAbsent(rs.getLong(1), k -> new TreeMap<>()).put(rs.getString(2), rs.getString(3));
        } catch (java.sql.SQLException e) {
            return Map.of(); // schema not created yet
        }
        return byExecution;
    }
}

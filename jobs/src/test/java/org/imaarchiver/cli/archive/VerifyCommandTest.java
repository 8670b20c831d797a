package org.imaarchiver.cli.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.cli.ExitCode;
import org.imaarchiver.cli.Main;
import org.imaarchiver.jobs.reverify.TestArchive;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.testsupport.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code verify} as the bulk verify job, through the command line: the outputs of {@code --out},
 * receipts and {@code --since-receipt}, the window, usage errors, and a killed run that the same
 * command resumes. Expected verdicts come from how the archive was built (packed by the real
 * SegmentPacker, then one byte flipped), not from the verifier.
 */
class VerifyCommandTest {
    @TempDir Path dir;

    record Result(int code, String out, String err) {
        Map<String, Object> json() throws Json.JsonException { return Json.asObject(Json.parse(out), "stdout"); }

        @Override
        public String toString() { return "exit " + code + "\nstdout:\n" + out + "\nstderr:\n" + err; }
    }

    static Result run(List<String> args) {
        // without --state the job would keep its repository under the user's ~/.cache
        if (!args.contains("--help") && !args.contains("--state")) throw new IllegalArgumentException("verify without --state: " + args);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private List<String> verify(TestArchive a, Path trust, String... extra) {
        List<String> args = new ArrayList<>(List.of("verify", a.root.toString(), "--trust", trust.toString(),
                "--state", dir.resolve("state").toString(), "--progress", "none"));
        args.addAll(List.of(extra));
        return args;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Map<String, Object>> hosts(Map<String, Object> report) {
        Map<String, Map<String, Object>> byHost = new TreeMap<>();
        for (Object o : (List<Object>) report.get("hosts")) {
            Map<String, Object> h = (Map<String, Object>) o;
            byHost.put((String) h.get("host"), h);
        }
        return byHost;
    }

    @Test
    void outputsReceiptsAndSinceReceipt() throws Exception {
        TestArchive a = new TestArchive(dir.resolve("store"));
        TestArchive.Host h0 = a.host("alpha", 11, 40).segment(10).segment(20);
        a.host("bravo", 12, 40).segment(15);
        a.host("charlie", 13, 40).segment(8).segment(16);
        a.flipByte("charlie", 1);
        Path trust = a.trustDir(dir.resolve("trust"), List.of("alpha", "bravo", "charlie"));
        Path receiptKey = dir.resolve("receipt-key");
        // The command signs receipts on the real clock: the certificate is valid around it, whatever today is.
        java.time.Instant now = java.time.Instant.now();
        KeyMaterial.generate(KeyMaterial.KeyType.P256, "verifier", now.minusSeconds(86400), now.plusSeconds(86400)).writePem(receiptKey);
        Path out = dir.resolve("out");

        Result r = run(verify(a, trust, "--out", out.toString(), "--receipt-key", receiptKey.toString(), "--threads", "2", "--json", "-"));
        assertThat(r.code()).as(r.toString()).isEqualTo(ExitCode.NOT_VERIFIED);
        Map<String, Map<String, Object>> hosts = hosts(r.json());
        assertThat(hosts).containsOnlyKeys("alpha", "bravo", "charlie");
        assertThat(hosts.get("alpha")).containsEntry("status", "ok").containsEntry("segments", 2L).containsEntry("records", 20L);
        assertThat(hosts.get("bravo")).containsEntry("status", "ok").containsEntry("segments", 1L).containsEntry("records", 15L);
        assertThat(hosts.get("charlie")).containsEntry("status", "failed");
        assertThat(out.resolve("report.json")).isRegularFile();
        assertThat(Json.parse(Files.readString(out.resolve("report.json")))).isEqualTo(r.json());
        assertThat(out.resolve("report.html")).isRegularFile();
        assertThat(out.resolve("summary.txt")).isRegularFile();
        // the human summary went to stderr (stdout is the report): one line per host
        assertThat(r.err().lines().filter(l -> l.matches("^(alpha|bravo|charlie): .*"))).hasSize(3);
        assertThat(out.resolve("receipts/alpha.receipt.json")).isRegularFile();
        assertThat(out.resolve("receipts/bravo.receipt.json")).isRegularFile();
        assertThat(out.resolve("receipts/charlie.receipt.json")).doesNotExist();

        // a night later: alpha has one more segment; only it is verified after its receipt (segment 1)
        h0.segment(30);
        Path receipts = Files.createDirectories(dir.resolve("kept-receipts"));
        try (Stream<Path> s = Files.list(out.resolve("receipts"))) {
            for (Path p : s.toList()) Files.copy(p, receipts.resolve(p.getFileName()));
        }
        Path signers = Files.createDirectories(dir.resolve("receipt-signers"));
        Files.copy(receiptKey.resolve(KeyMaterial.CERT_FILE), signers.resolve("verifier.pem"));
        Result since = run(verify(a, trust, "--host", "alpha", "--since-receipt", receipts.toString(),
                "--receipt-signers", signers.toString(), "--json", "-"));
        assertThat(since.code()).as(since.toString()).isEqualTo(ExitCode.OK);
        Map<String, Object> alpha = hosts(since.json()).get("alpha");
        assertThat(alpha).containsEntry("sinceReceipt", 1L).containsEntry("segments", 1L).containsEntry("records", 10L);

        // receipts signed by a key that is not among the accepted signers: refused, whole chain verified
        Path other = dir.resolve("other-signers");
        KeyMaterial.generate(KeyMaterial.KeyType.P256, "someone", now.minusSeconds(86400), now.plusSeconds(86400)).writePem(other);
        Files.delete(other.resolve(KeyMaterial.KEY_FILE));
        Result refused = run(verify(a, trust, "--host", "alpha", "--since-receipt", receipts.toString(),
                "--receipt-signers", other.toString(), "--json", "-"));
        assertThat(refused.code()).as(refused.toString()).isEqualTo(ExitCode.OK);
        assertThat(hosts(refused.json()).get("alpha")).containsEntry("sinceReceipt", Json.NULL).containsEntry("segments", 3L)
                .containsEntry("records", 30L).doesNotContainEntry("receiptRejected", Json.NULL);
    }

    @Test
    void windowSelectsHostsByTheirSegmentsCreationTime() throws Exception {
        TestArchive a = new TestArchive(dir.resolve("store"));
        a.host("early", 21, 20).segment(10);   // created T0 + 0 min
        a.host("late", 22, 20).segment(10);    // created T0 + 1 min
        Path trust = a.trustDir(dir.resolve("trust"), List.of("early", "late"));
        Result r = run(verify(a, trust, "--since", TestArchive.T0.plusSeconds(30).toString(), "--json", "-"));
        assertThat(r.code()).as(r.toString()).isEqualTo(ExitCode.OK);
        assertThat(hosts(r.json())).containsOnlyKeys("late");
        Result u = run(verify(a, trust, "--until", TestArchive.T0.plusSeconds(30).toString(), "--json", "-"));
        assertThat(u.code()).as(u.toString()).isEqualTo(ExitCode.OK);
        assertThat(hosts(u.json())).containsOnlyKeys("early");
        // a window that selects nothing verified nothing
        Result none = run(verify(a, trust, "--since", "2099-01-01"));
        assertThat(none.code()).as(none.toString()).isEqualTo(ExitCode.NOT_VERIFIED);
        assertThat(none.toString()).contains("no host's chain overlaps the window --since 2099-01-01: nothing verified")
                .doesNotContain("no hosts in the archive");
    }

    @Test
    void badOptionsAreUsageErrors() throws Exception {
        TestArchive a = new TestArchive(dir.resolve("store"));
        a.host("alpha", 31, 10).segment(10);
        Path trust = a.trustDir(dir.resolve("trust"), List.of("alpha"));
        Path key = dir.resolve("k");
        java.time.Instant now = java.time.Instant.now();
        KeyMaterial.generate(KeyMaterial.KeyType.P256, "v", now.minusSeconds(86400), now.plusSeconds(86400)).writePem(key);
        List<String> fancy = new ArrayList<>(verify(a, trust));
        fancy.set(fancy.indexOf("none"), "fancy");
        List<List<String>> bad = List.of(
                fancy,
                verify(a, trust, "--threads", "0"),
                verify(a, trust, "--parallel", "0"),
                verify(a, trust, "--since", "yesterday"),
                verify(a, trust, "--since", "2026-11-28", "--until", "2026-11-27"),
                verify(a, trust, "--receipt-key", key.toString()),                         // no --out
                verify(a, trust, "--since-receipt", dir.toString()),                       // whose receipts?
                verify(a, trust, "--since-receipt", dir.resolve("nope").toString(), "--receipt-key", key.toString(), "--out", dir.toString()),
                verify(a, trust, "--receipt-signers", dir.toString()));                    // without --since-receipt
        for (List<String> args : bad) {
            Result r = run(args);
            assertThat(r.code()).as(r.toString()).isEqualTo(ExitCode.USAGE);
            assertThat(r.err().strip().lines()).as(r.toString()).hasSize(1);
        }
        assertThat(dir.resolve("state")).doesNotExist(); // refused before the job started
    }

    /**
     * The first run is a separate JVM, stalled inside one host (that host's receipt under
     * {@code --since-receipt} is a FIFO nobody writes; the run's identity digests regular files only,
     * so removing the FIFO afterwards keeps it the same command) while the other thread verifies the
     * rest, then SIGKILLed. The same command
     * again completes, verifies only the stalled host (job repository: same instance, second
     * execution with one worker step) and writes the same report as an uninterrupted run.
     */
    @Test
    void killedRunIsResumedByTheSameCommand() throws Exception {
        Tools.require("mkfifo", "coreutils");
        TestArchive a = new TestArchive(dir.resolve("store"));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String id = "node-" + i;
            ids.add(id);
            a.host(id, 40 + i, 16).segment(8).segment(16);
        }
        Path trust = a.trustDir(dir.resolve("trust"), ids);
        Path state = dir.resolve("state");
        Path receipts = Files.createDirectories(dir.resolve("receipts"));
        Path signers = Files.createDirectories(dir.resolve("signers"));
        Files.copy(trust.resolve("signers/archiver.pem"), signers.resolve("any.pem"));

        List<String> reference = new ArrayList<>(List.of("verify", a.root.toString(), "--trust", trust.toString(),
                "--state", dir.resolve("ref-state").toString(), "--out", dir.resolve("ref-out").toString(), "--progress", "none",
                "--since-receipt", receipts.toString(), "--receipt-signers", signers.toString()));
        Result ref = run(reference);
        assertThat(ref.code()).as(ref.toString()).isEqualTo(ExitCode.OK);

        Path stalled = receipts.resolve("node-3.receipt.json");
        assertThat(new ProcessBuilder("mkfifo", stalled.toString()).inheritIO().start().waitFor()).isZero();

        List<String> args = List.of("verify", a.root.toString(), "--trust", trust.toString(), "--state", state.toString(),
                "--out", dir.resolve("out").toString(), "--threads", "2", "--parallel", "1", "--progress", "plain",
                "--since-receipt", receipts.toString(), "--receipt-signers", signers.toString());
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("first.out").toFile()).start();
        // opening the FIFO for writing returns once the verifier has opened it for reading
        CompletableFuture<OutputStream> writer = CompletableFuture.supplyAsync(() -> {
            try {
                return new FileOutputStream(stalled.toFile());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try {
            OutputStream w = writer.get(180, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            // The progress line (every 10 s) counts hosts whose partition finished; results live in the
            // run's H2 database, which another process cannot open while the run holds it.
            while (hostsDone(dir.resolve("first.out")) < ids.size() - 1) {
                assertThat(p.isAlive()).as("first run alive; %s", Files.readString(dir.resolve("first.out"))).isTrue();
                assertThat(System.nanoTime()).as("the other hosts were verified").isLessThan(deadline);
                Thread.sleep(100);
            }
            Thread.sleep(1000); // the last completed partition's commit
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
            w.close();
        } finally {
            p.destroyForcibly();
            writer.cancel(true);
        }
        Files.delete(stalled);

        Result second = run(args);
        assertThat(second.code()).as(second.toString()).isEqualTo(ExitCode.OK);
        assertThat(Files.readString(dir.resolve("out/report.json"))).isEqualTo(Files.readString(dir.resolve("ref-out/report.json")));

        Map<Long, Map<String, String>> byExecution = new TreeMap<>();
        try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + state.toAbsolutePath().resolve("jobrepo"), "sa", "");
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select e.JOB_INSTANCE_ID, s.JOB_EXECUTION_ID, s.STEP_NAME, s.STATUS from BATCH_STEP_EXECUTION s"
                     + " join BATCH_JOB_EXECUTION e on e.JOB_EXECUTION_ID = s.JOB_EXECUTION_ID")) {
            java.util.Set<Long> instances = new java.util.HashSet<>();
            while (rs.next()) {
                instances.add(rs.getLong(1));
                byExecution.computeIfAbsent(rs.getLong(2), k -> new TreeMap<>()).put(rs.getString(3), rs.getString(4));
            }
            assertThat(instances).as("one job instance, resumed").hasSize(1);
        }
        assertThat(byExecution).hasSize(2);
        Map<String, String> resumed = new ArrayList<>(byExecution.values()).get(1);
        assertThat(resumed.keySet().stream().filter(s -> s.startsWith("verifyChain:"))).containsExactly("verifyChain:host-node-3");
        assertThat(resumed).containsEntry("verifyChain:host-node-3", "COMPLETED").containsEntry("writeReports", "COMPLETED");
    }

    /** The largest "hosts N/" count in the run's progress lines. */
    private static long hostsDone(Path output) throws Exception {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("hosts (\\d+)/").matcher(Files.readString(output));
        long done = 0;
        while (m.find()) done = Math.max(done, Long.parseLong(m.group(1)));
        return done;
    }
}

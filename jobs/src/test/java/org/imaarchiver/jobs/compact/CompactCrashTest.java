package org.imaarchiver.jobs.compact;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
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
import java.util.concurrent.TimeUnit;
import org.imaarchiver.archive.chain.ChainListing;
import org.imaarchiver.archive.compact.CompactionStep;
import org.imaarchiver.cli.ExitCode;
import org.imaarchiver.cli.Main;
import org.imaarchiver.jobs.batch.EmbeddedJobRepository;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code ima-archiver compact} in its own JVM, SIGKILLed at each compaction step boundary (the
 * test-only stall point {@link CompactionStallAgent}): after the kill the host's chain verifies as before
 * with the same rows, and the same command again resumes the job instance and completes the
 * compaction. Host "even" (4 segments, one group); the kill at {@code PART_DELETED} is after the first
 * of four part deletions, the kill at {@code LEFTOVERS_REMOVED} follows a kill at {@code STAGED_SEGMENT}
 * that left a staged leftover.
 */
class CompactCrashTest {
    static final String HOST = CompactArchive.EVEN;

    @TempDir static Path shared;
    @TempDir Path dir;

    static CompactArchive archive;
    static CompactArchive.Verdict golden;
    static List<String> goldenRows;

    @BeforeAll
    static void build() throws Exception {
        archive = CompactArchive.build(shared);
        golden = archive.verify(archive.golden, shared.resolve("verify0")).get(HOST);
        assertThat(golden.ok()).isTrue();
        goldenRows = CompactArchive.rows(archive.golden, HOST);
    }

    private List<String> args(Path root, Path state) {
        return List.of("compact", root.toString(), "--trust", archive.trust.toString(), "--key", archive.compactorKeys.toString(),
                "--host", HOST, "--min-age", "0", "--state", state.toString(), "--progress", "none");
    }

    /** Runs the command in another JVM until it reaches {@code step}, then SIGKILLs it. */
    private void killAt(CompactionStep step, Path root, Path state) throws Exception {
        Path marker = dir.resolve("stall-" + step);
        Path output = dir.resolve("child-" + step + ".out");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-javaagent:" + CompactionStallAgent.jar(dir) + "=" + step.name() + "," + marker,
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args(root, state));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (!Files.exists(marker)) {
                assertThat(p.isAlive()).as("child alive until %s; output: %s", step, Files.exists(output) ? Files.readString(output) : "")
                        .isTrue();
                assertThat(System.nanoTime()).as("child reached %s", step).isLessThan(deadline);
                Thread.sleep(50);
            }
        } finally {
            p.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no cleanup
            p.waitFor(30, TimeUnit.SECONDS);
        }
        assertThat(p.exitValue()).as("killed").isEqualTo(137);
    }

    @ParameterizedTest
    @EnumSource(CompactionStep.class)
    void killedAtEveryStepLeavesAVerifyingChainAndTheSameCommandCompletes(CompactionStep step) throws Exception {
        Path root = archive.copy(dir.resolve("store"));
        Path state = dir.resolve("state");
        int kills = 1;
        if (step == CompactionStep.LEFTOVERS_REMOVED) {
            killAt(CompactionStep.STAGED_SEGMENT, root, state);
            assertThat(CompactArchive.listing(root, HOST).staged()).as("a staged leftover").hasSize(1);
            kills++;
        }
        killAt(step, root, state);

        // After the kill: the chain verifies as before, with the same rows; either the parts or the new segment are the chain.
        assertThat(archive.verify(root, dir.resolve("verify1")).get(HOST)).isEqualTo(golden);
        assertThat(CompactArchive.rows(root, HOST)).isEqualTo(goldenRows);
        ChainListing l = CompactArchive.listing(root, HOST);
        boolean switched = step == CompactionStep.SWITCHED || step == CompactionStep.PART_DELETED;
        assertThat(l.effective()).hasSize(switched ? 1 : 4);
        if (step == CompactionStep.PART_DELETED) assertThat(l.superseded()).hasSize(3);

        // The same command again resumes the interrupted job instance and finishes.
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args(root, state).toArray(String[]::new), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isEqualTo(ExitCode.OK);
        assertThat(archive.verify(root, dir.resolve("verify2")).get(HOST)).isEqualTo(golden);
        assertThat(CompactArchive.rows(root, HOST)).isEqualTo(goldenRows);
        ChainListing done = CompactArchive.listing(root, HOST);
        assertThat(done.effective()).hasSize(1);
        assertThat(done.effective().get(0).firstSequence()).isZero();
        assertThat(done.effective().get(0).lastSequence()).isEqualTo(3);
        assertThat(done.superseded()).isEmpty();
        assertThat(done.staged()).isEmpty();

        // One job instance, executed once per kill and once to completion.
        Map<String, Long> counts = new java.util.TreeMap<>();
        try (Connection c = DriverManager.getConnection(EmbeddedJobRepository.jdbcUrl(state), "sa", "");
             Statement st = c.createStatement()) {
            for (String table : List.of("BATCH_JOB_INSTANCE", "BATCH_JOB_EXECUTION")) {
                try (ResultSet rs = st.executeQuery("select count(*) from " + table)) {
                    rs.next();
                    counts.put(table, rs.getLong(1));
                }
            }
            try (ResultSet rs = st.executeQuery("select STATUS from BATCH_JOB_EXECUTION order by JOB_EXECUTION_ID desc limit 1")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("COMPLETED");
            }
        }
        assertThat(counts).containsEntry("BATCH_JOB_INSTANCE", 1L).containsEntry("BATCH_JOB_EXECUTION", kills + 1L);
    }
}

package org.imaarchiver.jobs.reverify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run killed with SIGKILL in another JVM after some host partitions completed; the same command
 * again resumes the job instance, verifies only the hosts whose partitions had not completed, and
 * writes the full report. Asserted through the job repository's step executions.
 */
class ReverifyRestartTest {
    static final int HOSTS = 12;
    static final int STALL_AFTER = 4;

    @TempDir Path dir;

    /** The archive, the trust dir and the hosts of one test. */
    private record Setup(TestArchive archive, Path trust, List<String> hosts) {}

    private Setup archive() throws Exception {
        TestArchive archive = new TestArchive(dir.resolve("store"));
        List<String> hosts = new ArrayList<>();
        for (int i = 0; i < HOSTS; i++) {
            String id = String.format("node-%02d", i);
            hosts.add(id);
            archive.host(id, 300 + i, 8).segment(8);
        }
        return new Setup(archive, archive.trustDir(dir.resolve("trust"), hosts), hosts);
    }

    /** Runs the probe in its own JVM until it stalls before host number stallAfter + 1, then SIGKILLs it. */
    private Path crashProbe(Setup s, Path state, Path out, int stallAfter, String... more) throws Exception {
        Path log = dir.resolve("probe.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), ReverifyCrashProbe.class.getName(),
                s.archive().root.toString(), s.trust().toString(), state.toString(), out.toString(), log.toString(),
                Integer.toString(stallAfter)));
        cmd.addAll(List.of(more));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("probe.out").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!(Files.exists(log) && Files.readString(log).contains("stall "))) {
                assertThat(p.isAlive()).as("probe alive; output: %s", dir.resolve("probe.out")).isTrue();
                assertThat(System.nanoTime()).as("probe reached the stall").isLessThan(deadline);
                Thread.sleep(100);
            }
            Thread.sleep(1000); // the last completed partition's commit (the stalled thread holds nothing)
        } finally {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        return log;
    }

    private static Map<Long, Map<String, String>> stepsByExecution(Path state) throws Exception {
        Map<Long, Map<String, String>> byExecution = new TreeMap<>();
        try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + state.toAbsolutePath().resolve("jobrepo"), "sa", "");
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select JOB_EXECUTION_ID, STEP_NAME, STATUS from BATCH_STEP_EXECUTION")) {
            while (rs.next()) byExecution.computeIfAbsent(rs.getLong(1), k -> new TreeMap<>()).put(rs.getString(2), rs.getString(3));
        }
        return byExecution;
    }

    @Test
    void crashedRunResumesWithoutReverifyingCompletedPartitions() throws Exception {
        Setup s = archive();
        List<String> hosts = s.hosts();
        Path state = dir.resolve("state");
        Path out = dir.resolve("out");
        crashProbe(s, state, out, STALL_AFTER);

        Set<String> rerun = Collections.synchronizedSet(new HashSet<>());
        HostVerification.HostListener listener = new HostVerification.HostListener() {
            @Override public void beforeHost(String host) { rerun.add(host); }
        };
        VerifyJobResult r = new VerifyJobRunner(listener, System.err).run(
                VerifyJobRequest.of(s.archive().root.toString(), s.trust(), state, out).withParallel(2, 1)
                        .withProgress(VerifyJobRequest.ProgressMode.NONE));
        assertThat(r.completed()).isTrue();
        assertThat(r.resumed()).isTrue();
        assertThat(r.counts().get().hosts()).isEqualTo(HOSTS);
        assertThat(r.counts().get().failedHosts()).isZero();
        assertThat(ReverifyJobTest.hostsOf(r.jsonReport()).keySet()).containsExactlyElementsOf(hosts);

        // Step executions per job execution, from the H2 job repository.
        Map<Long, Map<String, String>> byExecution = stepsByExecution(state);
        assertThat(byExecution).hasSize(2);
        List<Map<String, String>> runs = new ArrayList<>(byExecution.values());
        Set<String> completedFirst = new HashSet<>();
        for (String h : hosts) {
            String step = ReverifyManagerConfiguration.partitionStepName(h);
            if ("COMPLETED".equals(runs.get(0).get(step))) completedFirst.add(h);
        }
        assertThat(completedFirst).isNotEmpty().hasSizeLessThanOrEqualTo(STALL_AFTER);
        for (String h : hosts) {
            String step = ReverifyManagerConfiguration.partitionStepName(h);
            if (completedFirst.contains(h)) {
                assertThat(rerun).as("completed before the crash, not verified again").doesNotContain(h);
                assertThat(runs.get(1)).as(h).doesNotContainKey(step);
            } else {
                assertThat(rerun).contains(h);
                assertThat(runs.get(1)).containsEntry(step, "COMPLETED");
            }
        }
        assertThat(runs.get(1)).containsEntry(ReverifyManagerConfiguration.MANAGER_STEP, "COMPLETED")
                .containsEntry(ReverifyManagerConfiguration.REPORT_STEP, "COMPLETED");
    }

    /**
     * Range partitions (--max-partitions 3 over 12 hosts: 3 ranges of 4): killed inside a range, the
     * resumed run keeps the first run's partitions, re-runs only the ranges that had not completed,
     * and inside them verifies only the hosts that had no result yet: per-host granularity, whatever
     * the partition size. The report equals an uninterrupted run's.
     */
    @Test
    void crashedRangeRunResumesFromTheHostItStoppedAt() throws Exception {
        Setup s = archive();
        Path state = dir.resolve("state");
        Path out = dir.resolve("out");
        int stallAfter = 6;
        Path log = crashProbe(s, state, out, stallAfter, "3");
        Set<String> doneBefore = new HashSet<>();
        for (String line : Files.readAllLines(log)) if (line.startsWith("done ")) doneBefore.add(line.substring(5));
        assertThat(doneBefore).hasSize(stallAfter);

        Set<String> rerun = Collections.synchronizedSet(new HashSet<>());
        HostVerification.HostListener listener = new HostVerification.HostListener() {
            @Override public void beforeHost(String host) { rerun.add(host); }
        };
        // A different cap on the resumed run: the plan of the first run is kept.
        VerifyJobResult r = new VerifyJobRunner(listener, System.err).withMaxPartitions(1000).run(
                VerifyJobRequest.of(s.archive().root.toString(), s.trust(), state, out).withParallel(2, 1)
                        .withProgress(VerifyJobRequest.ProgressMode.NONE));
        assertThat(r.completed()).isTrue();
        assertThat(r.resumed()).isTrue();
        Set<String> expectedRerun = new HashSet<>(s.hosts());
        expectedRerun.removeAll(doneBefore);
        assertThat(rerun).isEqualTo(expectedRerun);

        VerifyJobResult clean = new VerifyJobRunner().run(VerifyJobRequest.of(s.archive().root.toString(), s.trust(), dir.resolve("state2"),
                dir.resolve("out2")).withParallel(2, 1).withProgress(VerifyJobRequest.ProgressMode.NONE));
        assertThat(ReverifyJobTest.hostsOf(r.jsonReport())).isEqualTo(ReverifyJobTest.hostsOf(clean.jsonReport()));

        List<Map<String, String>> runs = new ArrayList<>(stepsByExecution(state).values());
        assertThat(runs).hasSize(2);
        Set<String> ranges = Set.of("verifyChain:hosts-0000", "verifyChain:hosts-0001", "verifyChain:hosts-0002");
        Set<String> firstPartitions = new HashSet<>(runs.get(0).keySet());
        firstPartitions.removeIf(n -> !n.startsWith("verifyChain:"));
        assertThat(ranges).containsAll(firstPartitions);
        Set<String> secondPartitions = new HashSet<>(runs.get(1).keySet());
        secondPartitions.removeIf(n -> !n.startsWith("verifyChain:"));
        Set<String> notCompletedFirst = new HashSet<>(ranges);
        notCompletedFirst.removeIf(n -> "COMPLETED".equals(runs.get(0).get(n)));
        assertThat(secondPartitions).isEqualTo(notCompletedFirst);
        assertThat(runs.get(1).values()).containsOnly("COMPLETED");
    }
}

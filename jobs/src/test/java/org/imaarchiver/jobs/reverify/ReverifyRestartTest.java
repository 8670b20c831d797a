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

    @Test
    void crashedRunResumesWithoutReverifyingCompletedPartitions() throws Exception {
        TestArchive archive = new TestArchive(dir.resolve("store"));
        List<String> hosts = new ArrayList<>();
        for (int i = 0; i < HOSTS; i++) {
            String id = String.format("node-%02d", i);
            hosts.add(id);
            archive.host(id, 300 + i, 8).segment(8);
        }
        Path trust = archive.trustDir(dir.resolve("trust"), hosts);
        Path state = dir.resolve("state");
        Path out = dir.resolve("out");
        Path log = dir.resolve("probe.log");

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"), ReverifyCrashProbe.class.getName(),
                archive.root.toString(), trust.toString(), state.toString(), out.toString(), log.toString(), Integer.toString(STALL_AFTER)))
                .redirectErrorStream(true).redirectOutput(dir.resolve("probe.out").toFile()).start();
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

        Set<String> rerun = Collections.synchronizedSet(new HashSet<>());
        HostVerification.HostListener listener = new HostVerification.HostListener() {
            @Override public void beforeHost(String host) { rerun.add(host); }
        };
        VerifyJobResult r = new VerifyJobRunner(listener, System.err).run(
                VerifyJobRequest.of(archive.root.toString(), trust, state, out).withParallel(2, 1)
                        .withProgress(VerifyJobRequest.ProgressMode.NONE));
        assertThat(r.completed()).isTrue();
        assertThat(r.resumed()).isTrue();
        assertThat(r.counts().get().hosts()).isEqualTo(HOSTS);
        assertThat(r.counts().get().failedHosts()).isZero();
        assertThat(ReverifyJobTest.hostsOf(r.jsonReport()).keySet()).containsExactlyElementsOf(hosts);

        // Step executions per job execution, from the H2 job repository.
        Map<Long, Map<String, String>> byExecution = new TreeMap<>();
        try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + state.toAbsolutePath().resolve("jobrepo"), "sa", "");
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select JOB_EXECUTION_ID, STEP_NAME, STATUS from BATCH_STEP_EXECUTION")) {
            while (rs.next()) byExecution.computeIfAbsent(rs.getLong(1), k -> new TreeMap<>()).put(rs.getString(2), rs.getString(3));
        }
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
}

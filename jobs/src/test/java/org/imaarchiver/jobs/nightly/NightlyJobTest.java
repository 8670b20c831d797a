package org.imaarchiver.jobs.nightly;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import org.imaarchiver.replay.bytes.Bytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * archiveAndTrimJob end to end against swtpm + the imafs emulator: several nights, reboots, kexec,
 * and the faults of the brief. The invariant checked after every scenario: the archive's records,
 * concatenated, are byte for byte the records measured up to the last quote, nothing twice.
 */
class NightlyJobTest {
    @TempDir
    Path dir;

    @Test
    void threeNightsArchiveAndTrimEverythingOnce() throws Exception {
        try (NightlyHarness h = new NightlyHarness(dir)) {
            h.bootAggregate("1");
            h.measure(80);
            assertNight(h, 0);
            assertThat(h.kernelCount()).isEqualTo(1); // one archived record stays to recognise the head
            h.measure(120);
            assertNight(h, 0);
            assertThat(h.kernelCount()).isEqualTo(1);
            h.measure(60);
            assertNight(h, 0);
            NightlyHarness.Result idle = h.archiveInProcess();
            assertThat(idle.exitCode()).as(idle.output()).isEqualTo(RunOutcome.NOTHING_TO_DO.exitCode());
            assertThat(h.archivedRecords()).containsExactlyElementsOf(h.measured);
            assertThat(h.verifyChain().ok()).as(h.verifyChain().findings().toString()).isTrue();
            String metrics = Files.readString(dir.resolve("metrics/ima_archiver.prom"));
            assertThat(MetricsFile.value(metrics, MetricsFile.ARCHIVED).orElseThrow()).isEqualTo(h.measured.size());
            assertThat(metrics).contains("ima_archiver_last_outcome{outcome=\"nothing_to_do\"} 1");
        }
    }

    private static void assertNight(NightlyHarness h, int expected) throws Exception {
        NightlyHarness.Result r = h.archiveInProcess();
        assertThat(r.exitCode()).as(r.output()).isEqualTo(expected);
        assertThat(h.archivedRecords()).containsExactlyElementsOf(h.measured);
    }

    @Test
    void rebootClosesTheOldBootAndKexecContinuesIt() throws Exception {
        try (NightlyHarness h = new NightlyHarness(dir)) {
            h.bootAggregate("1");
            h.measure(30);
            assertNight(h, 0);
            // kexec: list carried over, PCRs untouched, a new boot_aggregate appended
            h.measure(10);
            h.emu.ok("kexec");
            h.bootAggregate("1-kexec");
            h.measure(10);
            assertNight(h, 0);
            // reboot: TPM Reset (resetCount+1), new list
            h.emu.ok("reboot");
            h.rebootTpm();
            h.bootAggregate("2");
            h.measure(25);
            // the old boot's records after its last quote are not provable: none here
            assertNight(h, 0);
            assertThat(h.verifyChain().ok()).as(h.verifyChain().findings().toString()).isTrue();
        }
    }

    @Test
    void busyReaderLeavesTheListUntrimmedThenTheNextRunTrims() throws Exception {
        try (NightlyHarness h = new NightlyHarness(dir)) {
            h.bootAggregate("1");
            h.measure(40);
            try (FileChannel reader = FileChannel.open(h.emu.file("binary_runtime_measurements_sha256"), StandardOpenOption.READ)) {
                NightlyHarness.Result r = h.archiveInProcess();
                assertThat(r.exitCode()).as(r.output()).isEqualTo(RunOutcome.ARCHIVED_NOT_TRIMMED.exitCode());
                assertThat(r.output()).contains("detail=\"busy\"");
            }
            assertThat(h.kernelCount()).isEqualTo(41);
            assertNight(h, 0); // nothing new to pack, the archived records are trimmed now
            assertThat(h.kernelCount()).isEqualTo(1);
            assertThat(h.verifyChain().ok()).isTrue();
        }
    }

    @Test
    void foreignTrimmerIsDetectedAndTrimmingStops() throws Exception {
        try (NightlyHarness h = new NightlyHarness(dir)) {
            h.bootAggregate("1");
            h.measure(40);
            assertNight(h, 0);
            h.measure(20);
            // someone else deletes 5 records: one archived, four never archived
            try (FileChannel w = FileChannel.open(h.emu.file("binary_runtime_measurements_sha256"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                w.write(ByteBuffer.wrap("5\n".getBytes(StandardCharsets.US_ASCII)));
            }
            long before = h.kernelCount();
            NightlyHarness.Result r = h.archiveInProcess();
            assertThat(r.exitCode()).as(r.output()).isEqualTo(RunOutcome.TRIM_BLOCKED.exitCode());
            assertThat(h.kernelCount()).isEqualTo(before);
            assertThat(Files.exists(dir.resolve("state/" + ArchiveRun.BLOCK_FILE))).isTrue();
            // what was archived is a prefix of what was measured, nothing twice
            List<Bytes> archived = h.archivedRecords();
            assertThat(h.measured.subList(0, archived.size())).containsExactlyElementsOf(archived);
            NightlyHarness.Result again = h.archiveInProcess();
            assertThat(again.exitCode()).isEqualTo(RunOutcome.TRIM_BLOCKED.exitCode());
            assertThat(h.kernelCount()).isEqualTo(before);
        }
    }

    @Test
    void archiveOnlyKernelIsArchivedIncrementallyAndNeverWritten() throws Exception {
        try (NightlyHarness h = new NightlyHarness(dir, "--no-staging")) {
            h.bootAggregate("1");
            h.measure(30);
            NightlyHarness.Result r = h.archiveInProcess();
            assertThat(r.exitCode()).as(r.output()).isEqualTo(RunOutcome.ARCHIVED_NOT_TRIMMED.exitCode());
            h.measure(30);
            r = h.archiveInProcess();
            assertThat(r.exitCode()).as(r.output()).isEqualTo(RunOutcome.ARCHIVED_NOT_TRIMMED.exitCode());
            assertThat(h.kernelCount()).isEqualTo(61);
            assertThat(h.archivedRecords()).containsExactlyElementsOf(h.measured);
            assertThat(h.archiveInProcess().exitCode()).isEqualTo(RunOutcome.NOTHING_TO_DO.exitCode());
        }
    }

    @Test
    void killedAtEveryStepBoundaryNothingLostNothingDuplicated() throws Exception {
        try (NightlyHarness h = new NightlyHarness(dir)) {
            h.bootAggregate("1");
            for (String step : ArchiveJobConfiguration.STEPS) {
                h.measure(7);
                NightlyHarness.Result killed = h.archiveInChild(Optional.of(step), Optional.empty());
                assertThat(killed.exitCode()).as(step + ": " + killed.output()).isEqualTo(137);
                NightlyHarness.Result rerun = h.archiveInProcess();
                assertThat(rerun.exitCode()).as("after a kill after " + step + ": " + rerun.output())
                        .isIn(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode(), RunOutcome.NOTHING_TO_DO.exitCode());
                assertThat(h.archivedRecords()).as("after " + step).containsExactlyElementsOf(h.measured);
                assertThat(h.kernelCount()).as("after " + step).isEqualTo(1);
            }
            for (long ms : new long[] {900, 1600, 2300}) { // random-ish points inside the run
                h.measure(5);
                h.archiveInChild(Optional.empty(), Optional.of(ms));
                NightlyHarness.Result rerun = h.archiveInProcess();
                assertThat(rerun.exitCode()).as(rerun.output()).isIn(0, 10);
                assertThat(h.archivedRecords()).containsExactlyElementsOf(h.measured);
            }
            assertThat(h.verifyChain().ok()).as(h.verifyChain().findings().toString()).isTrue();
        }
    }
}

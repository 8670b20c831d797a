package org.imaarchiver.jobs.nightly;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The kernel-side faults of docs/operations.md against swtpm + the imafs emulator: a record
 * appended (with a torn read) after the quote and before the read, and an AK that changed between
 * runs. The invariant as in {@link NightlyJobTest}: the archive is a prefix of what was measured,
 * byte for byte, nothing twice.
 */
class NightlyFaultsTest {
    @TempDir
    Path dir;

    /** Runs {@code listener} after each step of the job ({@link AfterStep}). */
    private static ApplicationContextInitializer<ConfigurableApplicationContext> afterStep(AfterStep listener) {
        return listener.installer();
    }

    @Test
    void aRecordAppendedDuringTheReadIsArchivedByTheNextRunOnly() throws Exception {
        try (NightlyHarness h = new NightlyHarness(dir)) {
            h.bootAggregate("1");
            h.measure(30);
            AtomicBoolean appended = new AtomicBoolean();
            NightlyHarness.Result r = h.archiveInProcess(afterStep(step -> {
                if (!step.equals("quoteTpm")) return;
                // after the quote, before the read: the next read ends 40 bytes into a record, and a
                // record arrives that the quote does not cover
                h.emu.ok("tear 40");
                try {
                    h.measure(1);
                } catch (Exception e) {
                    throw new java.io.IOException(e);
                }
                appended.set(true);
            }));
            assertThat(appended).isTrue();
            assertThat(r.exitCode()).as(r.output()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
            assertThat(NightlyS3Test.fields(r.output())).containsEntry("kernel_list_records", "32").containsEntry("records_archived", "31");
            List<org.imaarchiver.replay.bytes.Bytes> measured = List.copyOf(h.measured);
            assertThat(h.archivedRecords()).containsExactlyElementsOf(measured.subList(0, measured.size() - 1));
            assertThat(h.kernelCount()).isEqualTo(1); // only the record beyond the quote point is left

            h.measure(10);
            NightlyHarness.Result next = h.archiveInProcess();
            assertThat(next.exitCode()).as(next.output()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
            assertThat(h.archivedRecords()).containsExactlyElementsOf(h.measured);
            assertThat(h.kernelCount()).isEqualTo(1);
            var report = h.verifyChain();
            assertThat(report.ok()).as(report.findings().toString()).isTrue();
        }
    }

    /** The emulator's {@code tear-tail}: the read ends inside the list's last record, then EOF (B.1, TORN_TAIL). */
    @Test
    void aReadEndingInsideTheLastRecordArchivesTheCompletePrefix() throws Exception {
        try (NightlyHarness h = new NightlyHarness(dir)) {
            h.bootAggregate("1");
            h.measure(30);
            NightlyHarness.Result r = h.archiveInProcess(afterStep(step -> {
                if (!step.equals("quoteTpm")) return;
                try {
                    h.measure(1); // not covered by the quote
                } catch (Exception e) {
                    throw new java.io.IOException(e);
                }
                h.emu.ok("tear-tail 40");
            }));
            assertThat(r.exitCode()).as(r.output()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
            // the torn record was not spooled: 31 complete records read of the 32 in the kernel
            assertThat(NightlyS3Test.fields(r.output())).containsEntry("kernel_list_records", "31").containsEntry("records_archived", "31");
            List<org.imaarchiver.replay.bytes.Bytes> measured = List.copyOf(h.measured);
            assertThat(h.archivedRecords()).containsExactlyElementsOf(measured.subList(0, 31));
            assertThat(h.kernelCount()).isEqualTo(2); // the archived record kept as the head, and the torn one

            h.measure(5);
            NightlyHarness.Result next = h.archiveInProcess();
            assertThat(next.exitCode()).as(next.output()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
            assertThat(h.archivedRecords()).containsExactlyElementsOf(h.measured);
            assertThat(h.kernelCount()).isEqualTo(1);
            var report = h.verifyChain();
            assertThat(report.ok()).as(report.findings().toString()).isTrue();
        }
    }

    /** A torn last record the quote covers: no quote point in the complete prefix, the run fails closed, nothing is trimmed. */
    @Test
    void aTornLastRecordThatTheQuoteCoversFailsClosedAndTheNextRunArchivesIt() throws Exception {
        try (NightlyHarness h = new NightlyHarness(dir)) {
            h.bootAggregate("1");
            h.measure(30);
            NightlyHarness.Result r = h.archiveInProcess(afterStep(step -> {
                if (step.equals("quoteTpm")) h.emu.ok("tear-tail 40");
            }));
            assertThat(r.exitCode()).as(r.output()).isEqualTo(RunOutcome.VERIFICATION_FAILED.exitCode());
            assertThat(h.archivedRecords()).isEmpty();
            assertThat(h.kernelCount()).isEqualTo(31);

            NightlyHarness.Result next = h.archiveInProcess();
            assertThat(next.exitCode()).as(next.output()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
            assertThat(h.archivedRecords()).containsExactlyElementsOf(h.measured);
            assertThat(h.kernelCount()).isEqualTo(1);
        }
    }

    @Test
    void aChangedAkInTheSameBootBlocksTrimmingUntilTheOperatorActs() throws Exception {
        try (NightlyHarness h = new NightlyHarness(dir)) {
            h.bootAggregate("1");
            h.measure(30);
            assertThat(h.archiveInProcess().exitCode()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
            h.measure(20);
            long kernelBefore = h.kernelCount();
            List<String> otherAk = List.of("--ima-archiver.ak.template=ecc-p256");
            for (int attempt = 0; attempt < 2; attempt++) {
                NightlyHarness.Result r = h.archiveInProcess(otherAk);
                assertThat(r.exitCode()).as(r.output()).isEqualTo(RunOutcome.TRIM_BLOCKED.exitCode());
                assertThat(NightlyS3Test.fields(r.output()).get("detail")).contains("boot-undecidable");
                assertThat(h.kernelCount()).isEqualTo(kernelBefore);
                assertThat(h.archivedRecords()).hasSize(31);
                assertThat(Files.exists(dir.resolve("state/" + ArchiveRun.BLOCK_FILE))).isTrue();
            }
            // operator: the AK change was a mistake; back to the enrolled AK, clear the block
            NightlyHarness.Result stillBlocked = h.archiveInProcess();
            assertThat(stillBlocked.exitCode()).as(stillBlocked.output()).isEqualTo(RunOutcome.TRIM_BLOCKED.exitCode());
            assertThat(h.kernelCount()).isEqualTo(kernelBefore);
            Files.delete(dir.resolve("state/" + ArchiveRun.BLOCK_FILE));
            NightlyHarness.Result r = h.archiveInProcess();
            assertThat(r.exitCode()).as(r.output()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
            assertThat(h.archivedRecords()).containsExactlyElementsOf(h.measured);
            assertThat(h.kernelCount()).isEqualTo(1);
            var report = h.verifyChain();
            assertThat(report.ok()).as(report.findings().toString()).isTrue();
        }
    }
}

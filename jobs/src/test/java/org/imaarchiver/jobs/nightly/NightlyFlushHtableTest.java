package org.imaarchiver.jobs.nightly;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.LocalDirectoryStore;
import org.imaarchiver.replay.bytes.Bytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * {@code ima_flush_htable} kernels trimmed by staging with prompt (kernel-interface.md A.8, D.2 variant)
 * against swtpm + the imafs emulator in {@code --flush-htable} mode: N is EINVAL there, D deletes
 * the whole staged list, and the records beyond the quote point live on as the kept excess until
 * the next segment holds them. The invariant: the archive is byte for byte everything measured up
 * to the last quote, nothing twice, and the excess is exactly the rest.
 */
class NightlyFlushHtableTest {
    @TempDir
    Path dir;

    private NightlyHarness host() throws Exception {
        NightlyHarness h = new NightlyHarness(dir, "--flush-htable");
        h.kernelCommandLine("root=/dev/vda ro ima_flush_htable");
        return h;
    }

    /** Measures {@code n} records after the quote and before {@code A}. */
    private static ApplicationContextInitializer<ConfigurableApplicationContext> appendAfterQuote(NightlyHarness h, int n) {
        AfterStep l = step -> {
            if (!step.equals("quoteTpm")) return;
            try {
                h.measure(n);
            } catch (Exception e) {
                throw new java.io.IOException(e);
            }
        };
        return l.installer();
    }

    @Test
    void threeNightsTrimEverythingAndKeepTheExcessUntilTheNextSegmentHoldsIt() throws Exception {
        try (NightlyHarness h = host()) {
            h.bootAggregate("1");
            h.measure(50);
            NightlyHarness.Result r = h.archiveInProcess(appendAfterQuote(h, 3));
            assertThat(r.exitCode()).as(r.output()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
            assertThat(NightlyS3Test.fields(r.output())).containsEntry("records_archived", "51").containsEntry("records_trimmed", "54");
            assertThat(h.archivedRecords()).containsExactlyElementsOf(h.measured.subList(0, 51));
            assertThat(h.kernelCount()).isZero();
            assertThat(stagedCount(h)).isZero();
            assertExcess(h, 51, 3);

            // night 2: files of night 1 measured again (possible after the flush: D.1 item 9), 2 records after the quote
            h.measure(20);
            for (int k = 0; k < 5; k++) assertThat(h.measureAgain(k).ok()).isTrue();
            r = h.archiveInProcess(appendAfterQuote(h, 2));
            assertThat(r.exitCode()).as(r.output()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
            int quoted = h.measured.size() - 2;
            assertThat(h.archivedRecords()).containsExactlyElementsOf(h.measured.subList(0, quoted));
            assertThat(h.kernelCount()).isZero();
            assertExcess(h, quoted, 2);

            // night 3: nothing after the quote: the archive holds everything, no excess is left
            h.measure(10);
            r = h.archiveInProcess();
            assertThat(r.exitCode()).as(r.output()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
            assertThat(h.archivedRecords()).containsExactlyElementsOf(h.measured);
            assertThat(h.kernelCount()).isZero();
            assertNoExcess(h);

            NightlyHarness.Result idle = h.archiveInProcess();
            assertThat(idle.exitCode()).as(idle.output()).isEqualTo(RunOutcome.NOTHING_TO_DO.exitCode());
            var report = h.verifyChain();
            assertThat(report.ok()).as(report.findings().toString()).isTrue();
        }
    }

    @Test
    void killedAfterAAfterTheExcessAndAfterDNothingIsLostOrDuplicated() throws Exception {
        try (NightlyHarness h = host()) {
            h.bootAggregate("1");
            // leave an excess so that every killed run also replays one
            h.measure(20);
            assertThat(h.archiveInProcess(appendAfterQuote(h, 2)).exitCode()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
            // after A (spoolKernelList), after the excess is kept and journaled (journalTrimIntent), after D (trimKernelLog)
            for (String step : List.of("spoolKernelList", "journalTrimIntent", "trimKernelLog")) {
                h.measure(6);
                NightlyHarness.Result killed = h.archiveInChild(Optional.of(step), Optional.empty(), h.measureLater(2));
                assertThat(killed.exitCode()).as(step + ": " + killed.output()).isEqualTo(137);
                // the rerun keeps one record of its own as excess, so that the next killed run replays one too
                NightlyHarness.Result rerun = h.archiveInProcess(appendAfterQuote(h, 1));
                assertThat(rerun.exitCode()).as("after a kill after " + step + ": " + rerun.output())
                        .isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
                int quoted = h.measured.size() - 1;
                assertThat(h.archivedRecords()).as("after " + step).containsExactlyElementsOf(h.measured.subList(0, quoted));
                assertThat(stagedCount(h)).as("after " + step).isZero();
                // the rerun's own record: kept as excess, or (when it found the killed run's batch still
                // staged, so that its A was EEXIST and the record stayed in the current list) in the kernel
                if (h.kernelCount() == 1) assertNoExcess(h);
                else assertExcess(h, quoted, 1);
                assertThat(Files.exists(dir.resolve("state/" + ArchiveRun.BLOCK_FILE))).as("after " + step).isFalse();
            }
            NightlyHarness.Result last = h.archiveInProcess();
            assertThat(last.exitCode()).as(last.output()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
            assertThat(h.archivedRecords()).containsExactlyElementsOf(h.measured);
            assertNoExcess(h);
            var report = h.verifyChain();
            assertThat(report.ok()).as(report.findings().toString()).isTrue();
        }
    }

    @Test
    void aKexecBetweenTheJournaledDAndTheDCarriesTheBatchAndNothingIsLost() throws Exception {
        try (NightlyHarness h = host()) {
            h.bootAggregate("1");
            h.measure(20);
            assertThat(h.archiveInProcess(appendAfterQuote(h, 2)).exitCode()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
            h.measure(8);
            // excess kept and D journaled, then the job dies before D ...
            NightlyHarness.Result killed = h.archiveInChild(Optional.of("journalTrimIntent"), Optional.empty(), h.measureLater(2));
            assertThat(killed.exitCode()).as(killed.output()).isEqualTo(137);
            assertThat(stagedCount(h)).isEqualTo(10);
            // ... and a kexec carries the staged batch to the front of the next kernel's list (A.8 kexec)
            h.emu.ok("kexec");
            assertThat(stagedCount(h)).isZero();
            h.bootAggregate("1-kexec");
            h.measure(3);
            NightlyHarness.Result r = h.archiveInProcess();
            assertThat(r.exitCode()).as(r.output()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
            assertThat(h.archivedRecords()).containsExactlyElementsOf(h.measured);
            assertThat(h.kernelCount()).isZero();
            assertNoExcess(h);
            var report = h.verifyChain();
            assertThat(report.ok()).as(report.findings().toString()).isTrue();
        }
    }

    @Test
    void aRebootBeforeTheNextRunKeepsTheOldBootsExcessAsUnverified() throws Exception {
        try (NightlyHarness h = host()) {
            h.bootAggregate("1");
            h.measure(30);
            assertThat(h.archiveInProcess(appendAfterQuote(h, 4)).exitCode()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
            List<Bytes> oldBoot = List.copyOf(h.measured);
            assertExcess(h, 31, 4);

            h.emu.ok("reboot");
            h.rebootTpm();
            h.bootAggregate("2");
            h.measure(15);
            NightlyHarness.Result r = h.archiveInProcess();
            assertThat(r.exitCode()).as(r.output()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
            assertThat(NightlyS3Test.fields(r.output()).get("detail")).contains("unverified");
            // the old boot's excess was never quoted: not archived, not dropped
            List<Bytes> expected = new java.util.ArrayList<>(oldBoot.subList(0, 31));
            expected.addAll(h.measured.subList(oldBoot.size(), h.measured.size()));
            assertThat(h.archivedRecords()).containsExactlyElementsOf(expected);
            assertThat(listFiles(dir.resolve("state/excess/unverified"))).hasSize(1);
            try (ArchiveStore store = LocalDirectoryStore.open(h.archive)) {
                assertThat(new ExcessRecords(dir.resolve("state"), store, NightlyHarness.HOST).inStore())
                        .singleElement().satisfies(e -> {
                            assertThat(e.start()).isEqualTo(31);
                            assertThat(e.count()).isEqualTo(4);
                        });
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            StatusReport.print(h.settings(), new PrintStream(out, true, StandardCharsets.UTF_8));
            assertThat(out.toString(StandardCharsets.UTF_8)).contains("unverified excess");
            var report = h.verifyChain();
            assertThat(report.ok()).as(report.findings().toString()).isTrue();
        }
    }

    private static long stagedCount(NightlyHarness h) throws Exception {
        return Long.parseLong(h.emu.ok("count").field("staged").orElseThrow());
    }

    /** Exactly one kept excess, locally and in the store, holding the last {@code count} records measured. */
    private void assertExcess(NightlyHarness h, long start, long count) throws Exception {
        List<Path> local = listFiles(dir.resolve("state/excess"));
        assertThat(local).hasSize(1);
        ExcessRecords.Excess e = ExcessRecords.Excess.parse(local.get(0).getFileName().toString()).orElseThrow();
        assertThat(e.start()).isEqualTo(start);
        assertThat(e.count()).isEqualTo(count);
        byte[] expected = concat(h.measured.subList(h.measured.size() - (int) count, h.measured.size()));
        assertThat(Files.readAllBytes(local.get(0))).isEqualTo(expected);
        try (ArchiveStore store = LocalDirectoryStore.open(h.archive)) {
            assertThat(store.readAll(ExcessRecords.prefix(NightlyHarness.HOST) + e.fileName())).isEqualTo(expected);
        }
    }

    private void assertNoExcess(NightlyHarness h) throws Exception {
        assertThat(listFiles(dir.resolve("state/excess"))).isEmpty();
        try (ArchiveStore store = LocalDirectoryStore.open(h.archive); Stream<String> keys = store.list(ExcessRecords.prefix(NightlyHarness.HOST))) {
            assertThat(keys.toList()).isEmpty();
        }
    }

    private static List<Path> listFiles(Path d) throws Exception {
        if (!Files.isDirectory(d)) return List.of();
        try (Stream<Path> s = Files.list(d)) {
            return s.filter(Files::isRegularFile).filter(p -> p.getFileName().toString().endsWith(".raw")).toList();
        }
    }

    private static byte[] concat(List<Bytes> records) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Bytes b : records) out.writeBytes(b.toArray());
        return out.toByteArray();
    }
}

package org.imaarchiver.jobs.nightly;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.imaarchiver.jobs.host.imafs.ImafsEmulator;
import org.imaarchiver.jobs.logview.KeptRecords;
import org.imaarchiver.jobs.logview.ViewProcess;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.testsupport.Swtpm;
import org.imaarchiver.replay.testsupport.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log view (issue 12) over the nightly job on swtpm + the imafs emulator. Real readers decide:
 * evmctl against the PCRs tpm2_pcrread reads from the swtpm, a second emulator that receives the
 * same measurements and is never trimmed, and an offset-based reader like rust-keylime's.
 */
class LogViewTest {
    private static final List<String> LISTS = List.of("binary_runtime_measurements_sha1", "binary_runtime_measurements_sha256",
            "ascii_runtime_measurements_sha1", "ascii_runtime_measurements_sha256", "binary_runtime_measurements", "ascii_runtime_measurements",
            "runtime_measurements_count");

    @TempDir
    Path dir;

    @Test
    void threeNightsWithTrimsTheViewIsTheUntrimmedListAndEvmctlMatchesIt() throws Exception {
        Tools.require("evmctl", "ima-evm-utils");
        try (NightlyHarness h = new NightlyHarness(dir.resolve("host"));
             ImafsEmulator untrimmed = ImafsEmulator.start(dir.resolve("untrimmed"), "--banks", "sha1,sha256")) {
            h.mirrorTo(untrimmed);
            h.bootAggregate("1");
            h.measure(40);
            // mounted before the first trim
            try (ViewProcess view = ViewProcess.start(h.emu.mountPoint(), dir.resolve("host/state"), dir.resolve("view"))) {
                assertSameLists(view, untrimmed, "before the first trim");
                int[] perNight = {80, 120, 60};
                for (int night = 1; night <= 3; night++) {
                    if (night == 3) { // kexec keeps the carried list (C.5): the view goes on
                        h.emu.ok("kexec");
                        untrimmed.ok("kexec");
                    }
                    h.measure(perNight[night - 1]);
                    NightlyHarness.Result r = h.archiveInProcess();
                    assertThat(r.exitCode()).as(r.output()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
                    assertThat(h.kernelCount()).as("night %d trimmed the kernel list", night).isEqualTo(1);
                    assertSameLists(view, untrimmed, "night " + night);
                    assertEvmctlMatches(h, view.file("binary_runtime_measurements"), "night " + night);
                    h.measure(3); // records after the night's quote, only in the live list
                    assertSameLists(view, untrimmed, "night " + night + " plus live records");
                }
                assertThat(new KeptRecords(dir.resolve("host/state")).chunks(0)).hasSize(3);
                // the status shows the kept records and their disk use
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                StatusReport.print(h.settings(), new PrintStream(out, true, StandardCharsets.UTF_8));
                assertThat(out.toString(StandardCharsets.UTF_8)).containsPattern("log view: \\d+ kept records of boot 0 \\(3 trims\\), \\d+ bytes");
            }
        }
    }

    @Test
    void anOffsetReaderAcrossTrimsARacingTrimAndAReboot() throws Exception {
        try (NightlyHarness h = new NightlyHarness(dir.resolve("host"))) {
            h.bootAggregate("1");
            h.measure(30);
            try (ViewProcess view = ViewProcess.start(h.emu.mountPoint(), dir.resolve("host/state"), dir.resolve("view"))) {
                Path list = view.file("binary_runtime_measurements_sha256");
                OffsetReader reader = new OffsetReader(list);
                List<Bytes> seen = new ArrayList<>(reader.attest());
                // a reader polling the tail in a loop while the nights trim
                AtomicBoolean stop = new AtomicBoolean();
                AtomicReference<Throwable> failure = new AtomicReference<>();
                List<Bytes> racing = java.util.Collections.synchronizedList(new ArrayList<>(seen));
                OffsetReader racer = reader.copy();
                // like rust-keylime, the racer keeps the view file open for its whole life and seeks
                FileChannel held = FileChannel.open(list, StandardOpenOption.READ);
                Thread t = new Thread(() -> {
                    try {
                        while (!stop.get()) {
                            racing.addAll(racer.attest(held));
                            Thread.sleep(5);
                        }
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                });
                t.start();
                int trimmed = 0;
                for (int night = 0; night < 8 && trimmed < 3; night++) {
                    h.measure(25);
                    NightlyHarness.Result r = h.archiveInProcess();
                    assertThat(r.exitCode()).as(r.output()).isIn(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode(),
                            RunOutcome.ARCHIVED_NOT_TRIMMED.exitCode(), RunOutcome.NOTHING_TO_DO.exitCode());
                    if (r.exitCode() == RunOutcome.ARCHIVED_AND_TRIMMED.exitCode()) trimmed++;
                    seen.addAll(reader.attest());
                }
                stop.set(true);
                t.join();
                assertThat(failure.get()).as("the racing reader; the view's log:%n%s", view.log()).isNull();
                racing.addAll(racer.attest(held));
                held.close();
                assertThat(trimmed).as("trims that got past the racing reader").isGreaterThanOrEqualTo(1);
                assertThat(seen).containsExactlyElementsOf(h.measured);
                assertThat(racing).containsExactlyElementsOf(h.measured);

                // a reboot starts a new view; the next run deletes the old boot's kept records
                int before = h.measured.size();
                h.emu.ok("reboot");
                h.rebootTpm();
                h.bootAggregate("2");
                h.measure(20);
                OffsetReader afterReboot = new OffsetReader(list);
                assertThat(afterReboot.attest()).containsExactlyElementsOf(h.measured.subList(before, h.measured.size()));
                NightlyHarness.Result r = h.archiveInProcess();
                assertThat(r.exitCode()).as(r.output()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
                h.measure(5);
                assertThat(afterReboot.attest()).containsExactlyElementsOf(h.measured.subList(before + 21, h.measured.size()));
                assertThat(new KeptRecords(dir.resolve("host/state")).boots()).containsExactly(1L);
                assertThat(new OffsetReader(list).attest()).containsExactlyElementsOf(h.measured.subList(before, h.measured.size()));
            }
        }
    }

    @Test
    void aDeclinedTrimKeepsNoRecordsAndTheViewStaysWhole() throws Exception {
        try (NightlyHarness h = new NightlyHarness(dir.resolve("host"));
             ImafsEmulator untrimmed = ImafsEmulator.start(dir.resolve("untrimmed"), "--banks", "sha1,sha256")) {
            h.mirrorTo(untrimmed);
            h.bootAggregate("1");
            h.measure(40);
            try (ViewProcess view = ViewProcess.start(h.emu.mountPoint(), dir.resolve("host/state"), dir.resolve("view"))) {
                // a reader of the kernel's own list: the copy for the view is made, the N gets EBUSY
                try (FileChannel reader = FileChannel.open(h.emu.file("binary_runtime_measurements_sha256"), StandardOpenOption.READ)) {
                    NightlyHarness.Result r = h.archiveInProcess();
                    assertThat(r.exitCode()).as(r.output()).isEqualTo(RunOutcome.ARCHIVED_NOT_TRIMMED.exitCode());
                }
                assertThat(new KeptRecords(dir.resolve("host/state")).chunks(0)).isEmpty();
                assertSameLists(view, untrimmed, "after the declined trim");
                NightlyHarness.Result r = h.archiveInProcess();
                assertThat(r.exitCode()).as(r.output()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
                assertThat(new KeptRecords(dir.resolve("host/state")).chunks(0)).hasSize(1);
                assertSameLists(view, untrimmed, "after the trim");
            }
        }
    }

    @Test
    void aSigkilledViewRestartsWithTheSameBytes() throws Exception {
        try (NightlyHarness h = new NightlyHarness(dir.resolve("host"))) {
            h.bootAggregate("1");
            h.measure(50);
            assertThat(h.archiveInProcess().exitCode()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
            h.measure(10);
            byte[] before;
            try (ViewProcess view = ViewProcess.start(h.emu.mountPoint(), dir.resolve("host/state"), dir.resolve("view"))) {
                before = Files.readAllBytes(view.file("binary_runtime_measurements_sha256"));
                view.kill();
            }
            try (ViewProcess again = ViewProcess.start(h.emu.mountPoint(), dir.resolve("host/state"), dir.resolve("view"))) {
                assertThat(Files.readAllBytes(again.file("binary_runtime_measurements_sha256"))).isEqualTo(before);
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                for (Bytes b : h.measured) all.write(b.toArray());
                assertThat(before).isEqualTo(all.toByteArray());
            }
        }
    }

    /** Every list file of the view equals the never-trimmed emulator's, byte for byte. */
    private static void assertSameLists(ViewProcess view, ImafsEmulator untrimmed, String when) throws IOException {
        for (String name : LISTS) {
            assertThat(Files.readAllBytes(view.file(name))).as("%s: %s", when, name).isEqualTo(Files.readAllBytes(untrimmed.file(name)));
        }
    }

    /** evmctl on the view's legacy (SHA-1 digest) list against the swtpm's PCRs read by tpm2_pcrread, per bank (T.3). */
    private void assertEvmctlMatches(NightlyHarness h, Path list, String when) throws Exception {
        Path sha1 = pcrFile(h.tpm, "sha1");
        Path sha256 = pcrFile(h.tpm, "sha256");
        for (String bank : List.of("sha1", "sha256")) {
            Swtpm.Result r = h.tpm.run("evmctl", "ima_measurement", "-v", "--ignore-violations", "--verify-bank=" + bank,
                    "--pcrs", "sha1," + sha1, "--pcrs", "sha256," + sha256, list.toString());
            assertThat(r.stdout() + r.stderr()).as("%s: evmctl %s", when, bank).contains("Matched");
        }
    }

    private Path pcrFile(Swtpm tpm, String bank) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 24; i++) sb.append(String.format("PCR-%02d: %s%n", i, pcrRead(tpm, bank, i)));
        return Files.writeString(dir.resolve(bank + ".pcrs"), sb.toString());
    }

    private static String pcrRead(Swtpm tpm, String bank, int pcr) throws Exception {
        String out = tpm.tpm2("tpm2_pcrread", bank + ":" + pcr);
        Matcher m = Pattern.compile("(?m)^\\s*" + pcr + "\\s*:\\s*0x([0-9A-Fa-f]+)").matcher(out);
        assertThat(m.find()).as("tpm2_pcrread output: %s", out).isTrue();
        return m.group(1).toLowerCase(Locale.ROOT);
    }

    /**
     * Reads like rust-keylime serving {@code ima_ml_entry}: it keeps (entries, offset) of the records
     * it has returned, and for each attestation opens the list, seeks to the offset, reads the tail
     * to EOF and returns the whole records in it (a torn last record is read again next time).
     * The record layout is parsed here independently (B.3: sha256 digests, little-endian).
     */
    static final class OffsetReader {
        private final Path list;
        private long entries;
        private long offset;

        OffsetReader(Path list) { this.list = list; }

        OffsetReader copy() {
            OffsetReader c = new OffsetReader(list);
            c.entries = entries;
            c.offset = offset;
            return c;
        }

        /** One attestation through a fresh open of the list. */
        List<Bytes> attest() throws IOException {
            try (FileChannel ch = FileChannel.open(list, StandardOpenOption.READ)) {
                return attest(ch);
            }
        }

        /** One attestation through a descriptor the reader keeps open: seek to the offset, read the tail. */
        List<Bytes> attest(FileChannel ch) throws IOException {
            ByteArrayOutputStream tail = new ByteArrayOutputStream();
            ch.position(offset);
            ByteBuffer b = ByteBuffer.allocate(64 * 1024);
            while (ch.read(b) >= 0) {
                tail.write(b.array(), 0, b.position());
                b.clear();
            }
            byte[] t = tail.toByteArray();
            ByteBuffer in = ByteBuffer.wrap(t).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            List<Bytes> out = new ArrayList<>();
            while (in.remaining() >= 4 + 32 + 4) {
                int start = in.position();
                in.position(start + 4 + 32);
                int nameLen = in.getInt();
                if (in.remaining() < nameLen + 4) break;
                in.position(in.position() + nameLen);
                int dataLen = in.getInt();
                if (in.remaining() < dataLen) break;
                in.position(in.position() + dataLen);
                out.add(Bytes.wrap(java.util.Arrays.copyOfRange(t, start, in.position())));
                entries++;
                offset += in.position() - start;
            }
            return out;
        }
    }
}

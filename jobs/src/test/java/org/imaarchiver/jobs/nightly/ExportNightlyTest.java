package org.imaarchiver.jobs.nightly;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.imaarchiver.cli.Main;
import org.imaarchiver.jobs.host.imafs.ImafsEmulator;
import org.imaarchiver.replay.testsupport.Swtpm;
import org.imaarchiver.replay.testsupport.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code export} of an archive the nightly job wrote over three nights with trims (swtpm + the imafs
 * emulator, as the demo runs). The expected lists come from a second emulator that received the same
 * measurements and was never trimmed: its C code, not ours, renders every bank's binary and ASCII
 * file. evmctl replays the exported legacy list against the PCRs tpm2_pcrread reads from the swtpm.
 */
class ExportNightlyTest {
    @TempDir Path dir;

    record Result(int code, byte[] out, String err) {
        @Override
        public String toString() { return "exit " + code + "\nstderr:\n" + err; }
    }

    @Test
    void threeTrimmedNightsExportAsTheUntrimmedListAndEvmctlMatchesTheTpm() throws Exception {
        Tools.require("evmctl", "ima-evm-utils");
        Tools.require("tpm2_pcrread", "tpm2-tools");
        try (NightlyHarness h = new NightlyHarness(dir);
             ImafsEmulator untrimmed = ImafsEmulator.start(dir.resolve("untrimmed"), "--banks", "sha1,sha256")) {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            int file = 0;
            measure(h, untrimmed, "ima-ng", ImafsEmulator.imaNg("sha256", sha256.digest("boot_aggregate 1".getBytes(StandardCharsets.UTF_8)),
                    "boot_aggregate"));
            for (int night = 0; night < 3; night++) {
                for (int i = 0; i < 40; i++, file++) {
                    measure(h, untrimmed, "ima-ng", ImafsEmulator.imaNg("sha256", sha256.digest(("file " + file).getBytes(StandardCharsets.UTF_8)),
                            "/usr/bin/tool-" + file));
                }
                if (night == 1) violation(h, untrimmed); // B.8: a zero digest in every bank
                NightlyHarness.Result r = h.archiveInProcess();
                assertThat(r.exitCode()).as(r.output()).isZero();
                assertThat(h.kernelCount()).as("night %d trimmed", night).isEqualTo(1);
                // after every night: the export is the untrimmed list so far
                Result e = export(h, "--format", "binary");
                assertThat(e.code()).as(e.toString()).isZero();
                assertThat(e.out()).isEqualTo(readAll(untrimmed.file("binary_runtime_measurements_sha256")));
            }

            everyFileEqualsTheUntrimmedOne(h, untrimmed);

            // evmctl (20-byte template digests only: the legacy list) against the swtpm's PCRs, each bank on its own (T.3)
            Path sha1Pcrs = pcrFile(h.tpm, "sha1");
            Path sha256Pcrs = pcrFile(h.tpm, "sha256");
            for (String bank : List.of("sha1", "sha256")) {
                Swtpm.Result r = h.tpm.run("evmctl", "ima_measurement", "--ignore-violations", "--verify-bank=" + bank,
                        "--pcrs", "sha1," + sha1Pcrs, "--pcrs", "sha256," + sha256Pcrs, dir.resolve("binary-sha1").toString());
                assertThat(r.exitCode()).as("evmctl %s: %s %s", bank, r.stdout(), r.stderr()).isZero();
                assertThat(r.stdout() + r.stderr()).as("evmctl %s", bank).contains("Matched");
            }
        }
    }

    @Test
    void theLegacyImaTemplateAndAViolationInEveryBanksFile() throws Exception {
        // evmctl refuses lists mixing "ima" with other templates: this boot is checked against the untrimmed emulator only
        try (NightlyHarness h = new NightlyHarness(dir);
             ImafsEmulator untrimmed = ImafsEmulator.start(dir.resolve("untrimmed"), "--banks", "sha1,sha256")) {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            measure(h, untrimmed, "ima-ng", ImafsEmulator.imaNg("sha256", new byte[32], "boot_aggregate"));
            for (int i = 0; i < 5; i++) {
                // B.7: the ima template hashes d and the name in a 256-byte buffer, not the data as listed
                measure(h, untrimmed, "ima", ImafsEmulator.ima(sha1.digest(("legacy " + i).getBytes(StandardCharsets.UTF_8)), "/usr/sbin/legacy-" + i));
            }
            violation(h, untrimmed);
            measure(h, untrimmed, "ima-ng", ImafsEmulator.imaNg("sha256", new byte[32], "/usr/bin/after"));
            NightlyHarness.Result r = h.archiveInProcess();
            assertThat(r.exitCode()).as(r.output()).isZero();
            assertThat(h.kernelCount()).isEqualTo(1);
            everyFileEqualsTheUntrimmedOne(h, untrimmed);

            // kexec (B.9, C.5): the list is carried over and a second boot_aggregate follows; the same boot goes on
            h.emu.ok("kexec");
            untrimmed.ok("kexec");
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            measure(h, untrimmed, "ima-ng", ImafsEmulator.imaNg("sha256", sha256.digest("kexec".getBytes(StandardCharsets.UTF_8)), "boot_aggregate"));
            measure(h, untrimmed, "ima-ng", ImafsEmulator.imaNg("sha256", sha256.digest("later".getBytes(StandardCharsets.UTF_8)), "/usr/bin/later"));
            NightlyHarness.Result k = h.archiveInProcess();
            assertThat(k.exitCode()).as(k.output()).isZero();
            everyFileEqualsTheUntrimmedOne(h, untrimmed);
            assertThat(export(h, "--out", dir.resolve("kexec.bin").toString()).out()).asString(StandardCharsets.UTF_8)
                    .contains("boot 0: 10 records (0..9)");
        }
    }

    /** Both banks' binary and ASCII files, and the legacy names, which are the _sha1 files (B.1). */
    private void everyFileEqualsTheUntrimmedOne(NightlyHarness h, ImafsEmulator untrimmed) throws Exception {
        for (String bank : List.of("sha1", "sha256")) {
            for (String format : List.of("binary", "ascii")) {
                Path out = dir.resolve(format + "-" + bank);
                Result e = export(h, "--format", format, "--bank", bank, "--out", out.toString());
                assertThat(e.code()).as(e.toString()).isZero();
                assertThat(Files.readAllBytes(out)).as("%s %s", format, bank)
                        .isEqualTo(readAll(untrimmed.file(format + "_runtime_measurements_" + bank)));
            }
        }
        assertThat(Files.readAllBytes(dir.resolve("binary-sha1"))).isEqualTo(readAll(untrimmed.file("binary_runtime_measurements")));
        assertThat(Files.readAllBytes(dir.resolve("ascii-sha1"))).isEqualTo(readAll(untrimmed.file("ascii_runtime_measurements")));
    }

    private static void violation(NightlyHarness h, ImafsEmulator untrimmed) throws Exception {
        byte[] v = ImafsEmulator.imaNg("sha256", new byte[32], "/var/log/opened-for-write");
        assertThat(h.emu.violation(10, "ima-ng", v).ok()).isTrue();
        assertThat(untrimmed.violation(10, "ima-ng", v).ok()).isTrue();
    }

    private static void measure(NightlyHarness h, ImafsEmulator untrimmed, String template, byte[] data) throws Exception {
        ImafsEmulator.Reply a = h.emu.measure(10, template, data);
        assertThat(a.ok()).as(a.text()).isTrue();
        ImafsEmulator.Reply b = untrimmed.measure(10, template, data);
        assertThat(b.ok()).as(b.text()).isTrue();
    }

    private Result export(NightlyHarness h, String... extra) {
        List<String> args = new ArrayList<>(List.of("export", h.archive.toString(), "--trust", h.trust.toString(), "--host", NightlyHarness.HOST));
        args.addAll(List.of(extra));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args.toArray(String[]::new), new PrintStream(out, true), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    }

    /** A seq_file reports size 0 (B.1): read to EOF. */
    private static byte[] readAll(Path file) throws Exception {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(8192);
            while (ch.read(buf) >= 0) {
                out.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            return out.toByteArray();
        }
    }

    private static final Pattern VALUE = Pattern.compile("^\\s*(\\d+)\\s*:\\s*0x([0-9A-Fa-f]+)\\s*$");

    /** evmctl's PCR file (kernel-interface.md T.3): 24 lines {@code PCR-NN: hex}, from tpm2_pcrread. */
    private Path pcrFile(Swtpm tpm, String bank) throws Exception {
        String[] values = new String[24];
        StringBuilder spec = new StringBuilder(bank).append(':');
        for (int i = 0; i < 24; i++) spec.append(i == 0 ? "" : ",").append(i);
        for (String line : tpm.tpm2("tpm2_pcrread", spec.toString()).split("\n")) {
            Matcher m = VALUE.matcher(line);
            if (m.matches()) values[Integer.parseInt(m.group(1))] = m.group(2).toLowerCase(java.util.Locale.ROOT);
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 24; i++) {
            assertThat(values[i]).as("tpm2_pcrread %s PCR %d", bank, i).isNotNull();
            sb.append(String.format("PCR-%02d: %s%n", i, values[i]));
        }
        return Files.writeString(dir.resolve(bank + ".pcrs"), sb.toString());
    }
}

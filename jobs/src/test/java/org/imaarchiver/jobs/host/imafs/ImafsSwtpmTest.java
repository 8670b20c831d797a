package org.imaarchiver.jobs.host.imafs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.imaarchiver.replay.testsupport.Swtpm;
import org.imaarchiver.replay.testsupport.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The emulator extends a real swtpm after each record (record first, then extend), per bank
 * (kernel-interface.md B.10 Type 2) with 0xFF for violations (B.8). Expected values come from
 * tpm2_pcrread and from an independent replay of the served binary lists.
 */
class ImafsSwtpmTest {
    private static final List<String> BANKS = List.of("sha1", "sha256", "sha384");
    private static final HexFormat HEX = HexFormat.of();

    @TempDir
    Path dir;

    /** PCR values from tpm2_pcrread's YAML output, e.g. {@code sha256: / 10: 0xABC...}. */
    private static String pcrRead(Swtpm tpm, String bank, int pcr) throws Exception {
        String out = tpm.tpm2("tpm2_pcrread", bank + ":" + pcr);
        Matcher m = Pattern.compile("(?m)^\\s*" + pcr + "\\s*:\\s*0x([0-9A-Fa-f]+)").matcher(out);
        assertThat(m.find()).as("tpm2_pcrread output: %s", out).isTrue();
        return m.group(1).toLowerCase(Locale.ROOT);
    }

    @Test
    void pcrsAfterMeasurementsMatchTpm2PcrreadAndAReplayOfTheServedList() throws Exception {
        try (Swtpm tpm = Swtpm.start(dir.resolve("tpm"));
             ImafsEmulator emu = ImafsEmulator.start(dir.resolve("emu"), "--banks", String.join(",", BANKS),
                     "--tpm", "127.0.0.1:" + tpm.port())) {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            for (int i = 0; i < 12; i++) {
                byte[] fileDigest = sha256.digest(("content " + i).getBytes(StandardCharsets.UTF_8));
                if (i == 5) {
                    assertThat(emu.violation(10, "ima-ng", ImafsEmulator.imaNg("sha256", new byte[32], "/tmp/tomtou")).ok()).isTrue();
                } else if (i == 7) {
                    assertThat(emu.measure(10, "ima", ImafsEmulator.ima(new byte[20], "/sbin/init")).ok()).isTrue();
                } else if (i % 4 == 3) {
                    assertThat(emu.measure(11, "ima-ng", ImafsEmulator.imaNg("sha256", fileDigest, "/etc/pcr11-" + i)).ok()).isTrue();
                } else {
                    assertThat(emu.measure(10, "ima-ng", ImafsEmulator.imaNg("sha256", fileDigest, "/usr/bin/f" + i)).ok()).isTrue();
                }
            }
            for (String bank : BANKS) {
                int size = MessageDigest.getInstance(ServedList.javaName(bank)).getDigestLength();
                List<ServedList.Rec> recs = ServedList.parse(ServedList.readAll(emu.file("binary_runtime_measurements_" + bank)), size);
                assertThat(recs).hasSize(12);
                for (int pcr : new int[] {10, 11}) {
                    String replayed = HEX.formatHex(ServedList.replay(recs, pcr, bank));
                    assertThat(pcrRead(tpm, bank, pcr)).as("%s PCR %d", bank, pcr).isEqualTo(replayed);
                }
            }
            assertThat(pcrRead(tpm, "sha256", 10)).isNotEqualTo("0".repeat(64));
        }
    }

    /** evmctl's PCR file (kernel-interface.md T.3): 24 lines {@code PCR-NN: hex}, from tpm2_pcrread. */
    private static Path pcrFile(Swtpm tpm, String bank, Path dir) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 24; i++) sb.append(String.format("PCR-%02d: %s%n", i, pcrRead(tpm, bank, i)));
        return Files.writeString(dir.resolve(bank + ".pcrs"), sb.toString());
    }

    @Test
    void evmctlMatchesTheServedLegacyListAgainstTheTpm() throws Exception {
        Tools.require("evmctl", "ima-evm-utils");
        try (Swtpm tpm = Swtpm.start(dir.resolve("tpm"));
             ImafsEmulator emu = ImafsEmulator.start(dir.resolve("emu"), "--tpm", "127.0.0.1:" + tpm.port())) {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            for (int i = 0; i < 8; i++) {
                byte[] fd = sha256.digest(("evm " + i).getBytes(StandardCharsets.UTF_8));
                assertThat(emu.measure(10, "ima-ng", ImafsEmulator.imaNg("sha256", fd, "/usr/lib/x" + i)).ok()).isTrue();
            }
            assertThat(emu.violation(10, "ima-ng", ImafsEmulator.imaNg("sha256", new byte[32], "/tmp/v")).ok()).isTrue();
            // evmctl 1.4 reads 20-byte template digests only: the legacy (_sha1) list; it recomputes
            // the sha256 bank from the template data itself
            Path list = Files.write(dir.resolve("list.bin"), ServedList.readAll(emu.file("binary_runtime_measurements")));
            Path sha1 = pcrFile(tpm, "sha1", dir);
            Path sha256File = pcrFile(tpm, "sha256", dir);
            for (String bank : List.of("sha1", "sha256")) {
                Swtpm.Result r = tpm.run("evmctl", "ima_measurement", "--ignore-violations", "--verify-bank=" + bank,
                        "--pcrs", "sha1," + sha1, "--pcrs", "sha256," + sha256File, list.toString());
                assertThat(r.exitCode()).as("evmctl %s: %s %s", bank, r.stdout(), r.stderr()).isZero();
                // evmctl exits 0 even when it reads no PCRs (kernel-interface.md T.3): require the verdict
                assertThat(r.stdout() + r.stderr()).contains("Matched");
            }
        }
    }

    @Test
    void aBankTheTpmLacksFailsClearly() throws Exception {
        try (Swtpm tpm = Swtpm.start(dir.resolve("tpm"))) {
            // swtpm allocates sha1/sha256/sha384/sha512; SM3 is not allocated
            assertThatThrownBy(() -> ImafsEmulator.start(dir.resolve("emu1"), "--banks", "sha256,sm3", "--tpm", "127.0.0.1:" + tpm.port()))
                    .isInstanceOf(IOException.class).hasMessageContaining("sm3");
            try (ImafsEmulator emu = ImafsEmulator.start(dir.resolve("emu2"), "--banks", "sha256,sm3")) {
                ImafsEmulator.Reply r = emu.command("tpm 127.0.0.1:" + tpm.port());
                assertThat(r.ok()).isFalse();
                assertThat(r.errno()).contains("EHOSTUNREACH");
                // without a TPM the emulator still serves the sm3 list
                assertThat(emu.measure(10, "ima-ng", ImafsEmulator.imaNg("sha256", new byte[32], "x")).ok()).isTrue();
            }
        }
    }
}

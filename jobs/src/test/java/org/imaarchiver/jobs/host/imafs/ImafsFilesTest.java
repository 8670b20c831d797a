package org.imaarchiver.jobs.host.imafs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file tree and the served content: kernel-interface.md A.8 Files, B.1, B.3, B.6, B.7, B.8. */
class ImafsFilesTest {
    private static final HexFormat HEX = HexFormat.of();

    @TempDir
    Path dir;

    private static byte[] digestOf(String s, String bank) {
        return ServedList.templateDigest(bank, "ima-ng", s.getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> names(Path mnt) throws Exception {
        try (Stream<Path> s = Files.list(mnt)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void treeHasPerBankStagedAndLegacyFiles() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir, "--banks", "sha1,sha256,sha384")) {
            List<String> expected = new java.util.ArrayList<>();
            for (String bank : List.of("sha1", "sha256", "sha384")) {
                for (String kind : List.of("binary", "ascii")) {
                    expected.add(kind + "_runtime_measurements_" + bank);
                    expected.add(kind + "_runtime_measurements_" + bank + "_staged");
                }
            }
            for (String kind : List.of("binary", "ascii")) {
                expected.add(kind + "_runtime_measurements");
                expected.add(kind + "_runtime_measurements_staged");
            }
            expected.add("runtime_measurements_count");
            expected.add("violations");
            assertThat(names(emu.mountPoint())).containsExactlyInAnyOrderElementsOf(expected);

            assertThat(Files.readSymbolicLink(emu.file("binary_runtime_measurements")))
                    .isEqualTo(Path.of("binary_runtime_measurements_sha1"));
            assertThat(Files.readSymbolicLink(emu.file("ascii_runtime_measurements_staged")))
                    .isEqualTo(Path.of("ascii_runtime_measurements_sha1_staged"));
            // 7.2: originals and staged files are 0660; counters stay read-only
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(emu.file("binary_runtime_measurements_sha256"))))
                    .isEqualTo("rw-rw----");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(emu.file("runtime_measurements_count"))))
                    .isEqualTo("r--r-----");
            // seq_file: size 0, read to EOF
            assertThat(Files.size(emu.file("binary_runtime_measurements_sha256"))).isZero();
        }
    }

    @Test
    void sha1FilesExistWithoutASha1Bank() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir, "--banks", "sha256")) {
            assertThat(names(emu.mountPoint())).contains("binary_runtime_measurements_sha1", "binary_runtime_measurements_sha256")
                    .doesNotContain("binary_runtime_measurements_sha384");
        }
    }

    @Test
    void binaryFilesCarryEachBanksTemplateDigest() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir, "--banks", "sha1,sha256,sha384")) {
            byte[] ng = ImafsEmulator.imaNg("sha256", digestOf("boot", "sha256"), "boot_aggregate");
            byte[] old = ImafsEmulator.ima(digestOf("bin", "sha1"), "/usr/bin/true");
            byte[] viol = ImafsEmulator.imaNg("sha256", new byte[32], "/tmp/tomtou");
            assertThat(emu.measure(10, "ima-ng", ng).ok()).isTrue();
            assertThat(emu.measure(10, "ima", old).ok()).isTrue();
            assertThat(emu.violation(10, "ima-ng", viol).ok()).isTrue();
            assertThat(emu.measure(11, "d-ng|n-ng", ImafsEmulator.imaNg("sha1", digestOf("x", "sha1"), "custom")).ok()).isTrue();

            for (var bank : List.of(new Object[] {"sha1", 20}, new Object[] {"sha256", 32}, new Object[] {"sha384", 48})) {
                String name = (String) bank[0];
                int size = (Integer) bank[1];
                byte[] raw = ServedList.readAll(emu.file("binary_runtime_measurements_" + name));
                List<ServedList.Rec> recs = ServedList.parse(raw, size);
                assertThat(recs).extracting(ServedList.Rec::template).containsExactly("ima-ng", "ima", "ima-ng", "d-ng|n-ng");
                assertThat(recs).extracting(ServedList.Rec::pcr).containsExactly(10, 10, 10, 11);
                assertThat(recs.get(0).data()).isEqualTo(ng);
                assertThat(recs.get(1).data()).isEqualTo(old);
                assertThat(recs.get(0).digest()).isEqualTo(ServedList.templateDigest(name, "ima-ng", ng));
                assertThat(recs.get(1).digest()).isEqualTo(ServedList.templateDigest(name, "ima", old));
                assertThat(recs.get(2).digest()).isEqualTo(new byte[size]); // B.8: violation stored as zeros
                assertThat(recs.get(3).digest()).isEqualTo(ServedList.templateDigest(name, "d-ng|n-ng", recs.get(3).data()));
            }
            // the legacy name is the sha1 file
            assertThat(ServedList.readAll(emu.file("binary_runtime_measurements")))
                    .isEqualTo(ServedList.readAll(emu.file("binary_runtime_measurements_sha1")));
            assertThat(Files.readString(emu.file("runtime_measurements_count"))).isEqualTo("4\n");
            assertThat(Files.readString(emu.file("violations"))).isEqualTo("1\n");
        }
    }

    @Test
    void imaTemplateBinaryLayoutIsSpecial() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir)) {
            byte[] d = digestOf("f", "sha1");
            emu.measure(10, "ima", ImafsEmulator.ima(d, "/bin/sh"));
            byte[] raw = ServedList.readAll(emu.file("binary_runtime_measurements_sha1"));
            // pcr(4) | digest(20) | 3 | "ima" | d(20) | nlen(4) | name -- no template-data length (B.3)
            assertThat(raw).hasSize(4 + 20 + 4 + 3 + 20 + 4 + 7);
            assertThat(new String(raw, 28, 3, StandardCharsets.US_ASCII)).isEqualTo("ima");
            assertThat(java.util.Arrays.copyOfRange(raw, 31, 51)).isEqualTo(d);
            assertThat(new String(raw, 55, 7, StandardCharsets.US_ASCII)).isEqualTo("/bin/sh");
        }
    }

    @Test
    void asciiFilesFollowB6() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir)) {
            byte[] fd = digestOf("a", "sha256");
            byte[] ng = ImafsEmulator.imaNg("sha256", fd, "/usr/bin/a");
            byte[] d1 = digestOf("b", "sha1");
            byte[] old = ImafsEmulator.ima(d1, "/usr/bin/b");
            emu.measure(10, "ima-ng", ng);
            emu.measure(10, "ima", old);
            emu.violation(10, "ima-ng", ImafsEmulator.imaNg("sha256", new byte[32], "/tmp/v"));
            String sha256 = Files.readString(emu.file("ascii_runtime_measurements_sha256"));
            assertThat(sha256.lines()).containsExactly(
                    "10 " + HEX.formatHex(ServedList.templateDigest("sha256", "ima-ng", ng)) + " ima-ng sha256:" + HEX.formatHex(fd) + " /usr/bin/a",
                    "10 " + HEX.formatHex(ServedList.templateDigest("sha256", "ima", old)) + " ima " + HEX.formatHex(d1) + " /usr/bin/b",
                    "10 " + "0".repeat(64) + " ima-ng sha256:" + "0".repeat(64) + " /tmp/v");
            String legacy = Files.readString(emu.file("ascii_runtime_measurements"));
            assertThat(legacy.lines().findFirst().orElseThrow())
                    .isEqualTo("10 " + HEX.formatHex(ServedList.templateDigest("sha1", "ima-ng", ng)) + " ima-ng sha256:" + HEX.formatHex(fd) + " /usr/bin/a");
        }
    }

    @Test
    void malformedTemplateDataIsRefused() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir)) {
            byte[] ng = ImafsEmulator.imaNg("sha256", new byte[32], "x");
            assertThat(emu.measure(10, "ima-ng", java.util.Arrays.copyOf(ng, ng.length - 1)).errno()).contains("EINVAL");
            assertThat(emu.measure(10, "ima-sig", ng).errno()).contains("EINVAL"); // 2 fields, 3 expected
            assertThat(emu.currentCount()).isZero();
        }
    }

    @Test
    void duplicateMeasurementsAreDroppedLikeIma() throws Exception {
        byte[] ng = ImafsEmulator.imaNg("sha256", new byte[32], "same");
        try (ImafsEmulator emu = ImafsEmulator.start(dir)) {
            assertThat(emu.measure(10, "ima-ng", ng).ok()).isTrue();
            assertThat(emu.measure(10, "ima-ng", ng).errno()).contains("EEXIST");
            assertThat(emu.measure(11, "ima-ng", ng).ok()).isTrue(); // the hash table is per PCR
        }
    }

    @Test
    void preStagingKernelHasNoStagedFilesAndNoWrites() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir, "--no-staging")) {
            assertThat(names(emu.mountPoint())).noneMatch(n -> n.endsWith("_staged"));
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(emu.file("binary_runtime_measurements_sha1"))))
                    .isEqualTo("r--r-----");
            emu.measure(10, "ima-ng", ImafsEmulator.imaNg("sha256", new byte[32], "x"));
            // no users counter before 7.2: a reader and an (as-root) read/write open coexist, writes fail
            try (FileChannel r = FileChannel.open(emu.file("binary_runtime_measurements_sha1"), StandardOpenOption.READ);
                 FileChannel rw = FileChannel.open(emu.file("binary_runtime_measurements_sha1"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                assertThat(Errno.of(() -> rw.write(ByteBuffer.wrap("1\n".getBytes(StandardCharsets.US_ASCII))))).isEqualTo("EINVAL");
                assertThat(ServedList.readToEof(r)).isNotEmpty();
            }
            assertThat(emu.currentCount()).isEqualTo(1);
        }
    }
}

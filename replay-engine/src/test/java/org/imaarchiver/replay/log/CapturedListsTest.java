package org.imaarchiver.replay.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.testsupport.CapturedData;
import org.imaarchiver.replay.testsupport.CapturedData.Debian61;
import org.imaarchiver.replay.testsupport.CapturedData.Debian612;
import org.junit.jupiter.api.Test;

/**
 * The binary and ASCII lists the kernel gave in the project's own capture (testdata/README.md,
 * Debian 6.1 under QEMU, read one right after the other with no measurement between them).
 */
class CapturedListsTest {
    private static byte[] file(String name) throws Exception {
        return Files.readAllBytes(CapturedData.file(CapturedData.DEBIAN_6_1, name));
    }

    @Test
    void theAsciiAndBinaryListsAgreeRecordByRecord() throws Exception {
        byte[] binary = file("binary_runtime_measurements");
        byte[] ascii = file("ascii_runtime_measurements");
        List<MeasurementRecord> fromBinary = LogFiles.readBinary(binary, LogReadOptions.of("bin"));
        AsciiLogReader reader = AsciiLogReader.open(new ByteArrayInputStream(ascii), LogReadOptions.of("ascii"));
        List<MeasurementRecord> fromAscii = LogFiles.readAll(reader);

        assertThat(fromBinary).hasSize((int) Debian61.RECORDS);
        assertThat(fromAscii).hasSameSizeAs(fromBinary);
        assertThat(reader.bytesConsumed()).isEqualTo(ascii.length);
        for (int i = 0; i < fromAscii.size(); i++) {
            MeasurementRecord a = fromAscii.get(i), b = fromBinary.get(i);
            assertThat(a.index()).as("record %d", i).isEqualTo(b.index()).isEqualTo(i);
            assertThat(a.pcr()).as("record %d", i).isEqualTo(b.pcr()).isEqualTo(10);
            assertThat(a.templateDigest()).as("record %d", i).isEqualTo(b.templateDigest());
            assertThat(a.templateName()).as("record %d", i).isEqualTo(b.templateName()).isEqualTo("ima-sig");
            assertThat(a.templateData()).as("record %d", i).isEqualTo(b.templateData());
            assertThat(a.raw()).as("record %d", i).isEqualTo(b.raw());
        }
        // Each ASCII line's own columns, read as text: PCR, template digest, template, file digest, path.
        List<String> lines = new String(ascii, StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSameSizeAs(fromBinary);
        assertThat(lines.get(0)).startsWith("10 ").contains(" ima-sig sha256:").endsWith(" boot_aggregate ");
        for (int i = 0; i < lines.size(); i++) {
            String[] cols = lines.get(i).split(" ");
            assertThat(cols[1]).as("line %d", i).isEqualTo(fromBinary.get(i).templateDigest().hex());
        }
    }

    @Test
    void theFormatterReproducesTheKernelsAsciiListByteForByte() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (MeasurementRecord r : LogFiles.readBinary(file("binary_runtime_measurements"), LogReadOptions.of("bin"))) {
            AsciiFormatter.write(r, out);
        }
        assertThat(out.toByteArray()).isEqualTo(file("ascii_runtime_measurements"));
    }

    @Test
    void everyStoredSha1TemplateDigestRecomputesAndNothingIsAViolation() throws Exception {
        List<MeasurementRecord> records = LogFiles.readBinary(file("binary_runtime_measurements"), LogReadOptions.of("bin"));
        BinaryLogReaderTest.assertStoredDigestsRecompute(records, HashAlgorithm.SHA1);
        assertThat(records.stream().filter(MeasurementRecord::isViolation)).isEmpty();
    }

    // ---- Debian 12's 6.12 kernel: per-bank files (kernel-interface.md B.1) ----

    private static byte[] file612(String name) throws Exception {
        return Files.readAllBytes(CapturedData.file(CapturedData.DEBIAN_6_12, name));
    }

    /** On 6.10+ the legacy names are links to the _sha1 files (B.1): read through them, the same bytes. */
    @Test
    void on612TheLegacyFilesAreTheSha1Files() throws Exception {
        assertThat(file612("binary_runtime_measurements")).isEqualTo(file612("binary_runtime_measurements_sha1"));
        assertThat(file612("ascii_runtime_measurements")).isEqualTo(file612("ascii_runtime_measurements_sha1"));
    }

    /**
     * Each per-bank binary file holds that bank's template digest (32 bytes in _sha256, ...), every one
     * recomputes from the template data, the files differ only there, and the formatter reproduces the
     * kernel's per-bank ASCII file byte for byte.
     */
    @Test
    void each612PerBankListHasItsBanksDigestsAndMatchesItsAsciiFile() throws Exception {
        List<MeasurementRecord> sha1 = LogFiles.readBinary(file612("binary_runtime_measurements_sha1"), LogReadOptions.of("sha1"));
        for (HashAlgorithm bank : HashAlgorithm.values()) {
            String name = "binary_runtime_measurements_" + bank.kernelName();
            List<MeasurementRecord> records = LogFiles.readBinary(file612(name), LogReadOptions.of(name).withBank(bank));
            assertThat(records).as(name).hasSize((int) Debian612.RECORDS);
            BinaryLogReaderTest.assertStoredDigestsRecompute(records, bank);
            for (int i = 0; i < records.size(); i++) {
                assertThat(records.get(i).templateDigest().length()).as("%s record %d", name, i).isEqualTo(bank.digestLength());
                assertThat(records.get(i).templateData()).as("%s record %d", name, i).isEqualTo(sha1.get(i).templateData());
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (MeasurementRecord r : records) AsciiFormatter.write(r, out);
            assertThat(out.toByteArray()).as(name).isEqualTo(file612("ascii_runtime_measurements_" + bank.kernelName()));
        }
    }
}

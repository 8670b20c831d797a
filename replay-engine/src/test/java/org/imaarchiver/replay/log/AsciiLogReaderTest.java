package org.imaarchiver.replay.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import org.imaarchiver.replay.log.MalformedLogException.Kind;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.junit.jupiter.api.Test;

class AsciiLogReaderTest {
    private static final String EMBRAVE = "Cybersecurity-LINKS+embrave/";

    private static List<MeasurementRecord> readAscii(byte[] bytes, LogReadOptions options) throws Exception {
        return LogFiles.readAll(AsciiLogReader.open(new ByteArrayInputStream(bytes), options));
    }

    @Test
    void embraveAsciiRebuildsExactlyTheBinaryRecords() throws Exception {
        byte[] binary = Files.readAllBytes(LogFiles.ima(EMBRAVE + "binary_runtime_measurements"));
        byte[] ascii = Files.readAllBytes(LogFiles.ima(EMBRAVE + "ascii_runtime_measurements"));
        List<MeasurementRecord> fromBinary = LogFiles.readBinary(binary, LogReadOptions.of("bin"));
        AsciiLogReader reader = AsciiLogReader.open(new ByteArrayInputStream(ascii), LogReadOptions.of("ascii"));
        List<MeasurementRecord> fromAscii = LogFiles.readAll(reader);

        assertThat(fromAscii).hasSize(922).hasSameSizeAs(fromBinary);
        assertThat(reader.bytesConsumed()).isEqualTo(ascii.length);
        long lineOffset = 0;
        for (int i = 0; i < fromAscii.size(); i++) {
            MeasurementRecord a = fromAscii.get(i), b = fromBinary.get(i);
            assertThat(a.index()).isEqualTo(b.index());
            assertThat(a.pcr()).isEqualTo(b.pcr());
            assertThat(a.templateDigest()).isEqualTo(b.templateDigest());
            assertThat(a.templateName()).isEqualTo(b.templateName());
            assertThat(a.templateData()).isEqualTo(b.templateData());
            assertThat(a.byteOrder()).isEqualTo(b.byteOrder());
            assertThat(a.raw()).as("record %d", i).isEqualTo(b.raw());
            assertThat(a.offset()).isEqualTo(lineOffset);
            while (ascii[(int) lineOffset] != '\n') lineOffset++;
            lineOffset++;
        }
    }

    @Test
    void rustKeylimeAsciiParsesAndEveryTemplateHashRecomputes() throws Exception {
        byte[] ascii = Files.readAllBytes(LogFiles.ima("keylime+rust-keylime/ascii_runtime_measurements"));
        List<MeasurementRecord> records = readAscii(ascii, LogReadOptions.of("keylime"));
        assertThat(records).hasSize(826);
        BinaryLogReaderTest.assertStoredDigestsRecompute(records, HashAlgorithm.SHA1);
        assertThat(records.stream().filter(MeasurementRecord::isViolation)).isEmpty();
    }

    @Test
    void formatterReproducesTheKernelAsciiFileByteForByte() throws Exception {
        byte[] binary = Files.readAllBytes(LogFiles.ima(EMBRAVE + "binary_runtime_measurements"));
        byte[] ascii = Files.readAllBytes(LogFiles.ima(EMBRAVE + "ascii_runtime_measurements"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (MeasurementRecord r : LogFiles.readBinary(binary, LogReadOptions.of("bin"))) AsciiFormatter.write(r, out);
        assertThat(out.toByteArray()).isEqualTo(ascii);
    }

    @Test
    void formattedRebuildableTemplatesReadBackToTheSameRecords() throws Exception {
        // imatest.log has ima, ima-ng, ima-sig (with and without signature) and ima-buf records
        byte[] binary = Files.readAllBytes(LogFiles.ima("kgoldman+ibmtss/imatest.log"));
        List<MeasurementRecord> records = LogFiles.readBinary(binary, LogReadOptions.of("imatest")).stream()
                .filter(r -> List.of("ima", "ima-ng", "ima-sig", "ima-buf").contains(r.templateName())).toList();
        assertThat(records.stream().map(MeasurementRecord::templateName).distinct()).hasSize(4);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (MeasurementRecord r : records) AsciiFormatter.write(r, out);
        List<MeasurementRecord> back = readAscii(out.toByteArray(), LogReadOptions.of("ascii"));
        assertThat(back).hasSameSizeAs(records);
        for (int i = 0; i < back.size(); i++) {
            assertThat(back.get(i).raw()).as("record %s", records.get(i).templateName()).isEqualTo(records.get(i).raw());
            assertThat(back.get(i).templateData()).isEqualTo(records.get(i).templateData());
        }
    }

    @Test
    void aTemplateThatCannotBeRebuiltIsABadLineWithItsIndexAndOffset() throws Exception {
        byte[] binary = Files.readAllBytes(LogFiles.ima("kgoldman+ibmtss/imatest.log"));
        List<MeasurementRecord> records = LogFiles.readBinary(binary, LogReadOptions.of("imatest"));
        MeasurementRecord ngv2 = records.stream().filter(r -> r.templateName().equals("ima-ngv2")).findFirst().orElseThrow();
        byte[] first = AsciiFormatter.format(records.get(7)); // an ima-ng record
        byte[] list = BinaryLogReaderTest.concat(first, first, AsciiFormatter.format(ngv2));
        MalformedLogException e = catchThrowableOfType(() -> readAscii(list,
                LogReadOptions.of("ascii").withFirstIndex(100)), MalformedLogException.class);
        assertThat(e.kind()).isEqualTo(Kind.BAD_ASCII_LINE);
        assertThat(e.recordIndex()).isEqualTo(102);
        assertThat(e.offset()).isEqualTo(2L * first.length);
    }

    @Test
    void badLinesFailWithPreciseKinds() {
        String digest = "1d8d532d463c9f8c205d0df7787669a85f93e260";
        String good = "10 " + digest + " ima-ng sha1:0000000000000000000000000000000000000000 boot_aggregate\n";
        assertThat(kind(good + "24 " + digest + " ima-ng sha1:00 /x\n")).isEqualTo(Kind.BAD_PCR);
        assertThat(kind(good + "10 " + digest + " ima-foo sha1:00 /x\n")).isEqualTo(Kind.UNKNOWN_TEMPLATE);
        assertThat(kind(good + "10 " + digest + " d-ng|what sha1:00 /x\n")).isEqualTo(Kind.UNKNOWN_FIELD);
        assertThat(kind(good + "10 " + digest + " ima-ng sha1:zz /x\n")).isEqualTo(Kind.BAD_ASCII_LINE);
        assertThat(kind(good + "10 " + digest + " ima-ng sha1:00\n")).isEqualTo(Kind.BAD_ASCII_LINE);
        assertThat(kind(good + "10 " + digest.substring(2) + " ima-ng sha1:00 /x\n")).isEqualTo(Kind.UNKNOWN_FORMAT);
        assertThat(kind(good + "10 " + digest + "00000000000000000000000000 ima-ng sha1:00 /x\n"))
                .isEqualTo(Kind.UNKNOWN_FORMAT);
        // a sha256-sized template digest in a sha1 list
        assertThat(kind(good + "10 " + digest + "000000000000000000000000 ima-ng sha1:00 /x\n"))
                .isEqualTo(Kind.BAD_ASCII_LINE);
        assertThat(kind(good + "10 " + digest + " ima-ng sha1:00 /x")).isEqualTo(Kind.TORN_TAIL);
        assertThat(kind(good + "\n")).isEqualTo(Kind.BAD_ASCII_LINE);
    }

    /**
     * The real embrave list converted to CRLF (a Windows transfer): malformed at its first line, naming
     * it, instead of parsing with a CR glued to the last field and failing as a digest mismatch.
     */
    @Test
    void crlfLineEndingsAreMalformedAtTheFirstLine() throws Exception {
        byte[] ascii = Files.readAllBytes(LogFiles.ima(EMBRAVE + "ascii_runtime_measurements"));
        byte[] crlf = new String(ascii, StandardCharsets.ISO_8859_1).replace("\n", "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        MalformedLogException e = catchThrowableOfType(() -> readAscii(crlf, LogReadOptions.of("converted")), MalformedLogException.class);
        assertThat(e).isNotNull();
        assertThat(e.kind()).isEqualTo(Kind.BAD_ASCII_LINE);
        assertThat(e.recordIndex()).isZero();
        assertThat(e.offset()).isZero();
        assertThat(e.getMessage()).contains("line 1: line ends in CR LF");
        // Only the converted line is refused: an LF list whose second line has a CR fails at that line.
        int firstLf = new String(ascii, StandardCharsets.ISO_8859_1).indexOf('\n');
        String second = new String(ascii, StandardCharsets.ISO_8859_1).substring(firstLf + 1);
        int secondLf = second.indexOf('\n');
        byte[] mixed = (new String(ascii, 0, firstLf + 1, StandardCharsets.ISO_8859_1) + second.substring(0, secondLf) + "\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        MalformedLogException m = catchThrowableOfType(() -> readAscii(mixed, LogReadOptions.of("mixed")), MalformedLogException.class);
        assertThat(m.recordIndex()).isEqualTo(1);
        assertThat(m.offset()).isEqualTo(firstLf + 1);
    }

    @Test
    void singleDigitPcrsAreRightAligned() throws Exception {
        String line = " 9 1d8d532d463c9f8c205d0df7787669a85f93e260 ima-ng sha1:00 /x\n";
        List<MeasurementRecord> r = readAscii(line.getBytes(StandardCharsets.US_ASCII), LogReadOptions.of("a"));
        assertThat(r).singleElement().satisfies(m -> assertThat(m.pcr()).isEqualTo(9));
    }

    private static Kind kind(String list) {
        MalformedLogException e = catchThrowableOfType(() -> readAscii(list.getBytes(StandardCharsets.US_ASCII),
                LogReadOptions.of("a")), MalformedLogException.class);
        assertThat(e).as(list).isNotNull();
        assertThat(e.recordIndex()).isEqualTo(1);
        return e.kind();
    }
}

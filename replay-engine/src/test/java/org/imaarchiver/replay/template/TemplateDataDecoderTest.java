package org.imaarchiver.replay.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.LogFiles;
import org.imaarchiver.replay.log.LogReadOptions;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MalformedLogException.Kind;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.log.RecordDecoder;
import org.imaarchiver.replay.pcr.Digest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Field values checked against an independent dump (Python struct) of kgoldman's imatest.log. */
class TemplateDataDecoderTest {
    private static List<MeasurementRecord> imatest;

    @BeforeAll
    static void read() throws Exception {
        imatest = LogFiles.readBinary(Files.readAllBytes(LogFiles.ima("kgoldman+ibmtss/imatest.log")),
                LogReadOptions.of("imatest"));
    }

    @Test
    void customFormatsDecodeInTheirFieldOrder() throws Exception {
        DecodedRecord r1 = RecordDecoder.decode(imatest.get(1)); // n-ng|d-ng
        assertThat(r1.templateName()).isEqualTo("n-ng|d-ng");
        assertThat(r1.name()).contains("boot_aggregate");
        assertThat(r1.fileDigestAlgorithm()).contains("sha1");
        assertThat(r1.fileDigest()).contains(Digest.zeros(20));
        DecodedRecord r4 = RecordDecoder.decode(imatest.get(4)); // n
        assertThat(r4.name()).contains("boot_aggregate");
        assertThat(r4.fileDigest()).isEmpty();
        DecodedRecord r5 = RecordDecoder.decode(imatest.get(5)); // sig, empty
        assertThat(r5.signaturePresent()).isFalse();
        assertThat(RecordDecoder.templateData(imatest.get(5)).fields()).singleElement()
                .satisfies(f -> assertThat(f.value()).isInstanceOf(FieldValue.Empty.class));
    }

    @Test
    void legacyImaTemplateViolation() throws Exception {
        MeasurementRecord r = imatest.get(6);
        assertThat(r.isImaTemplate()).isTrue();
        assertThat(r.isViolation()).isTrue();
        TemplateData data = RecordDecoder.templateData(r);
        assertThat(data).isInstanceOf(TemplateData.Ima.class);
        DecodedRecord d = RecordDecoder.decode(r);
        assertThat(d.violation()).isTrue();
        assertThat(d.fileDigestAlgorithm()).contains("sha1");
        assertThat(d.fileDigest()).hasValueSatisfying(x -> assertThat(x.length()).isEqualTo(20));
        assertThat(d.name()).hasValueSatisfying(n -> assertThat(n).hasSize(14));
    }

    @Test
    void imaSigCarriesAnImaDigsig() throws Exception {
        DecodedRecord d = RecordDecoder.decode(imatest.get(10));
        assertThat(d.templateName()).isEqualTo("ima-sig");
        assertThat(d.name()).contains("/usr/lib/systemd/systemd");
        assertThat(d.fileDigestAlgorithm()).contains("sha256");
        assertThat(d.fileDigest().orElseThrow().hex()).startsWith("b983291f027a24d5");
        assertThat(d.signaturePresent()).isTrue();
        // type 0x03 (IMA digsig), version 2, hash algorithm 4 (sha256) (B.5)
        assertThat(d.signature().orElseThrow().hex()).startsWith("030204");
    }

    @Test
    void imaNgv2CarriesTheDigestType() throws Exception {
        DecodedRecord d = RecordDecoder.decode(imatest.get(15));
        assertThat(d.templateName()).isEqualTo("ima-ngv2");
        assertThat(d.fileDigestType()).contains("ima");
        assertThat(d.fileDigestAlgorithm()).contains("sha256");
        assertThat(d.fileDigest().orElseThrow().hex()).startsWith("9bb37c1bb81ebad4");
        assertThat(d.name()).contains("boot_aggregate");
        assertThat(RecordDecoder.decode(imatest.get(12)).name()).contains("/tmp/lower/lower/lower-file.txt");
    }

    @Test
    void imaBufCarriesAKeyringCertificate() throws Exception {
        DecodedRecord d = RecordDecoder.decode(imatest.get(13));
        assertThat(d.templateName()).isEqualTo("ima-buf");
        assertThat(d.name()).contains(".builtin_trusted_keys");
        Bytes buf = d.buffer().orElseThrow();
        // a DER certificate: SEQUENCE, two length bytes 0x0528
        assertThat(buf.hex()).startsWith("30820528");
        assertThat(buf.length()).isEqualTo(4 + 0x528);
    }

    @Test
    void evmSigDecodesXattrsAndInodeFields() throws Exception {
        MeasurementRecord r = imatest.get(14);
        TemplateData data = RecordDecoder.templateData(r);
        assertThat(data.field(TemplateField.XATTRNAMES).orElseThrow().value())
                .isEqualTo(new FieldValue.XattrNames(List.of("security.selinux", "security.ima")));
        assertThat(data.field(TemplateField.XATTRLENGTHS).orElseThrow().value())
                .isEqualTo(new FieldValue.XattrLengths(List.of(37L, 34L)));
        assertThat(data.field(TemplateField.IUID).orElseThrow().value()).isEqualTo(new FieldValue.UnsignedInt(0, 4));
        assertThat(data.field(TemplateField.IGID).orElseThrow().value()).isEqualTo(new FieldValue.UnsignedInt(0, 4));
        // mode 0100644, a regular file rw-r--r--
        assertThat(data.field(TemplateField.IMODE).orElseThrow().value()).isEqualTo(new FieldValue.UnsignedInt(0100644, 2));
        DecodedRecord d = RecordDecoder.decode(r);
        assertThat(d.name()).contains("/tmp/lower/lower/foo-evmsig-4.txt");
        assertThat(d.signaturePresent()).isTrue(); // evmsig, an EVM portable signature (type 5)
        assertThat(data.field(TemplateField.EVMSIG).orElseThrow().data().hex()).startsWith("050204");
        assertThat(d.signature()).isEmpty();
    }

    @Test
    void imaModsigWithAndWithoutAppendedSignature() throws Exception {
        DecodedRecord unsigned = RecordDecoder.decode(imatest.get(9));
        assertThat(unsigned.signaturePresent()).isFalse();
        assertThat(unsigned.name().orElseThrow()).startsWith("/usr/lib/modules/5.4.0-rc7+/kernel/drive");
        TemplateData signed = RecordDecoder.templateData(imatest.get(16));
        assertThat(signed.field(TemplateField.D_MODSIG).orElseThrow().value())
                .isInstanceOfSatisfying(FieldValue.EventDigest.class, e -> {
                    assertThat(e.algorithm()).isEqualTo("sha256");
                    assertThat(e.digest().hex()).startsWith("61a156435dbcf37b");
                });
        assertThat(signed.field(TemplateField.MODSIG).orElseThrow().data().hex()).startsWith("3082");
        DecodedRecord d = RecordDecoder.decode(imatest.get(16));
        assertThat(d.signaturePresent()).isTrue();
        assertThat(d.name()).contains("/boot/vmlinuz-6.1.6-200.fc37.x86_64");
    }

    // ---- malformed fields --------------------------------------------------------------------

    private static MeasurementRecord record(String template, boolean violation, byte[]... fields) {
        int total = 0;
        for (byte[] f : fields) total += 4 + f.length;
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        for (byte[] f : fields) b.putInt(f.length).put(f);
        Digest digest = violation ? Digest.zeros(20) : Digest.filled(20, (byte) 1);
        return new MeasurementRecord(42, 4242, 10, digest, template, Bytes.wrap(b.array()), ByteOrder.LITTLE_ENDIAN,
                Bytes.wrap(b.array()));
    }

    private static byte[] dng(String algo, int digestLength) {
        return ByteBuffer.allocate(algo.length() + 2 + digestLength).put(algo.getBytes(StandardCharsets.US_ASCII))
                .put((byte) ':').put((byte) 0).array();
    }

    private static byte[] str(String s) {
        return (s + "\0").getBytes(StandardCharsets.US_ASCII);
    }

    private static Kind kind(MeasurementRecord r) {
        MalformedLogException e = catchThrowableOfType(() -> RecordDecoder.decode(r, "src"), MalformedLogException.class);
        assertThat(e).isNotNull();
        assertThat(e.recordIndex()).isEqualTo(42);
        assertThat(e.offset()).isEqualTo(4242);
        assertThat(e.source()).isEqualTo("src");
        return e.kind();
    }

    @Test
    void digestLengthMustMatchItsAlgorithmExceptInViolations() throws Exception {
        assertThat(kind(record("ima-ng", false, dng("sha256", 20), str("/x")))).isEqualTo(Kind.BAD_FIELD);
        // B.8: a violation's d-ng may carry 20 zero bytes under any algorithm name
        DecodedRecord v = RecordDecoder.decode(record("ima-ng", true, dng("sha256", 20), str("/x")));
        assertThat(v.violation()).isTrue();
        assertThat(v.fileDigest()).contains(Digest.zeros(20));
        // an algorithm the kernel may know but we do not size is accepted as is
        assertThat(RecordDecoder.decode(record("ima-ng", false, dng("wp512", 64), str("/x"))).fileDigestAlgorithm())
                .contains("wp512");
    }

    @Test
    void prefixlessDngIsAcceptedOnlyForSha1AndMd5Lengths() throws Exception {
        assertThat(RecordDecoder.decode(record("ima-ng", false, new byte[20], str("/x"))).fileDigestAlgorithm())
                .contains("sha1");
        assertThat(RecordDecoder.decode(record("ima-ng", false, new byte[16], str("/x"))).fileDigestAlgorithm())
                .contains("md5");
        assertThat(kind(record("ima-ng", false, new byte[32], str("/x")))).isEqualTo(Kind.BAD_FIELD);
        assertThat(kind(record("ima-ngv2", false, dng("sha1", 20), str("/x")))).isEqualTo(Kind.BAD_FIELD);
    }

    @Test
    void malformedFieldsFailClosed() {
        assertThat(kind(record("ima-ng", false, dng("sha1", 20), "/x".getBytes(StandardCharsets.US_ASCII))))
                .isEqualTo(Kind.BAD_FIELD);
        assertThat(kind(record("ima-ng", false, dng("sha1", 20), "/x\0y\0".getBytes(StandardCharsets.US_ASCII))))
                .isEqualTo(Kind.BAD_FIELD);
        assertThat(kind(record("iuid", false, new byte[3]))).isEqualTo(Kind.BAD_FIELD);
        assertThat(kind(record("xattrlengths", false, new byte[5]))).isEqualTo(Kind.BAD_FIELD);
        assertThat(kind(record("xattrnames|xattrlengths", false, str("a|b"), new byte[4]))).isEqualTo(Kind.BAD_FIELD);
        assertThat(kind(record("ima-ng", false, dng("sha1", 20)))).isEqualTo(Kind.FIELD_LENGTH_MISMATCH);
        assertThat(kind(record("ima-ng", false, dng("sha1", 20), str("/x"), str("extra")))).isEqualTo(Kind.FIELD_LENGTH_MISMATCH);
        assertThat(kind(record("ima-nope", false, str("/x")))).isEqualTo(Kind.UNKNOWN_TEMPLATE);
        assertThat(kind(record("n-ng|nope", false, str("/x")))).isEqualTo(Kind.UNKNOWN_FIELD);
    }

    @Test
    void everyRecordOfEveryRealListDecodes() throws Exception {
        for (String f : List.of("kgoldman+ibmtss/sha1.log", "Cybersecurity-LINKS+embrave/binary_runtime_measurements")) {
            for (MeasurementRecord r : LogFiles.readFile(LogFiles.ima(f))) {
                DecodedRecord d = RecordDecoder.decode(r);
                assertThat(d.name()).isPresent();
                assertThat(d.fileDigest()).isPresent();
                assertThat(d.fileDigestAlgorithm()).isPresent();
                if (f.contains("embrave")) assertThat(d.fileDigestAlgorithm()).contains("sha256");
            }
        }
    }
}

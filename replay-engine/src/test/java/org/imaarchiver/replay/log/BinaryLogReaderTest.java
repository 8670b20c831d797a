package org.imaarchiver.replay.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.imaarchiver.replay.log.MalformedLogException.Kind;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class BinaryLogReaderTest {

    @Test
    void imatestHas17RecordsIn14TemplatesWithOneViolationAllDecoding() throws Exception {
        byte[] bytes = Files.readAllBytes(LogFiles.ima("kgoldman+ibmtss/imatest.log"));
        BinaryLogReader reader = BinaryLogReader.open(new ByteArrayInputStream(bytes), LogReadOptions.of("imatest.log"));
        List<MeasurementRecord> records = LogFiles.readAll(reader);

        assertThat(records).hasSize(17);
        assertThat(records.stream().map(MeasurementRecord::templateName).distinct()).hasSize(14);
        assertThat(records.stream().map(MeasurementRecord::templateName).collect(Collectors.toSet()))
                .contains("ima", "ima-ng", "ima-sig", "ima-buf", "ima-modsig", "evm-sig", "ima-ngv2", "ima-sigv2",
                        "d-ng|sig", "n-ng|d-ng", "n", "sig");
        assertThat(records.stream().filter(MeasurementRecord::isViolation)).hasSize(1);
        assertThat(reader.bank()).contains(HashAlgorithm.SHA1);
        assertThat(reader.byteOrder()).contains(ByteOrder.LITTLE_ENDIAN);
        assertThat(reader.bytesConsumed()).isEqualTo(bytes.length);
        assertThat(reader.recordsRead()).isEqualTo(17);
        for (MeasurementRecord r : records) {
            assertThat(RecordDecoder.decode(r).templateName()).isEqualTo(r.templateName());
            assertThat(RecordDecoder.templateData(r).template().name()).isEqualTo(r.templateName());
            assertThat(r.pcr()).isEqualTo(10);
        }
        assertStoredDigestsRecompute(records, HashAlgorithm.SHA1);
        // records tile the file: each starts where the previous one ended
        long expectedOffset = 0;
        for (int i = 0; i < records.size(); i++) {
            assertThat(records.get(i).index()).isEqualTo(i);
            assertThat(records.get(i).offset()).isEqualTo(expectedOffset);
            expectedOffset += records.get(i).raw().length();
        }
    }

    @ParameterizedTest
    @CsvSource({"sha1.log,SHA1", "sha256.log,SHA256", "sha384.log,SHA384", "sha512.log,SHA512"})
    void perBankListsAutodetectTheirDigestSizeAndEveryTemplateDigestRecomputes(String file, HashAlgorithm bank)
            throws Exception {
        byte[] bytes = Files.readAllBytes(LogFiles.ima("kgoldman+ibmtss/" + file));
        BinaryLogReader reader = BinaryLogReader.open(new ByteArrayInputStream(bytes), LogReadOptions.of(file));
        List<MeasurementRecord> records = LogFiles.readAll(reader);

        assertThat(records).hasSize(362);
        assertThat(reader.bank()).contains(bank);
        assertThat(records).allSatisfy(r -> assertThat(r.templateDigest().length()).isEqualTo(bank.digestLength()));
        assertThat(reader.bytesConsumed()).isEqualTo(bytes.length);
        assertStoredDigestsRecompute(records, bank);
        for (MeasurementRecord r : records) RecordDecoder.decode(r);

        // the same boot: the template data equals the sha1 file's, record by record
        List<MeasurementRecord> sha1 = LogFiles.readBinary(
                Files.readAllBytes(LogFiles.ima("kgoldman+ibmtss/sha1.log")), LogReadOptions.of("sha1.log"));
        for (int i = 0; i < records.size(); i++) {
            assertThat(records.get(i).templateData()).isEqualTo(sha1.get(i).templateData());
        }
    }

    @Test
    void embraveBinaryListRecomputesEveryTemplateDigest() throws Exception {
        byte[] bytes = Files.readAllBytes(LogFiles.ima("Cybersecurity-LINKS+embrave/binary_runtime_measurements"));
        List<MeasurementRecord> records = LogFiles.readBinary(bytes, LogReadOptions.of("embrave"));
        assertThat(records).hasSize(922);
        assertThat(records).allSatisfy(r -> assertThat(r.templateName()).isEqualTo("ima-ng"));
        assertStoredDigestsRecompute(records, HashAlgorithm.SHA1);
    }

    @Test
    void anExplicitBankAndByteOrderAreUsedWithoutDetection() throws Exception {
        byte[] bytes = Files.readAllBytes(LogFiles.ima("kgoldman+ibmtss/sha256.log"));
        LogReadOptions opts = LogReadOptions.of("sha256.log").withBank(HashAlgorithm.SHA256)
                .withByteOrder(ByteOrder.LITTLE_ENDIAN).withFirstIndex(1000);
        List<MeasurementRecord> records = LogFiles.readBinary(bytes, opts);
        assertThat(records).hasSize(362);
        assertThat(records.get(0).index()).isEqualTo(1000);
        assertThat(records.get(361).index()).isEqualTo(1361);

        // the wrong bank is not silently accepted
        MalformedLogException e = catchThrowableOfType(() -> LogFiles.readBinary(bytes,
                LogReadOptions.of("sha256.log").withBank(HashAlgorithm.SHA1)), MalformedLogException.class);
        assertThat(e).isNotNull();
        assertThat(e.kind()).isNotEqualTo(Kind.TORN_TAIL);
        assertThat(e.recordIndex()).isZero();
        assertThat(e.offset()).isZero();
    }

    @Test
    void aStreamDeliveringOneByteAtATimeGivesTheSameRecords() throws Exception {
        byte[] bytes = Files.readAllBytes(LogFiles.ima("kgoldman+ibmtss/imatest.log"));
        List<MeasurementRecord> whole = LogFiles.readBinary(bytes, LogReadOptions.of("imatest"));
        InputStream trickle = new FilterInputStream(new ByteArrayInputStream(bytes)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, 1));
            }
        };
        assertThat(LogFiles.readAll(BinaryLogReader.open(trickle, LogReadOptions.of("imatest")))).isEqualTo(whole);
        assertThat(LogFiles.readAll(BinaryLogReader.open(Channels.newChannel(new ByteArrayInputStream(bytes)),
                LogReadOptions.of("imatest")))).isEqualTo(whole);
    }

    @ParameterizedTest
    @CsvSource({"kgoldman+ibmtss/imatest.log,20", "kgoldman+ibmtss/sha1.log,20", "kgoldman+ibmtss/sha512.log,64"})
    void bigEndianListsParseToTheSameRecords(String file, int digestSize) throws Exception {
        byte[] le = Files.readAllBytes(LogFiles.ima(file));
        byte[] be = LogFiles.toBigEndian(le, digestSize);
        assertThat(be).isNotEqualTo(le);
        List<MeasurementRecord> little = LogFiles.readBinary(le, LogReadOptions.of("le"));
        BinaryLogReader reader = BinaryLogReader.open(new ByteArrayInputStream(be), LogReadOptions.of("be"));
        List<MeasurementRecord> big = LogFiles.readAll(reader);

        assertThat(reader.byteOrder()).contains(ByteOrder.BIG_ENDIAN);
        assertThat(big).hasSameSizeAs(little);
        for (int i = 0; i < big.size(); i++) {
            MeasurementRecord b = big.get(i), l = little.get(i);
            assertThat(b.byteOrder()).isEqualTo(ByteOrder.BIG_ENDIAN);
            assertThat(b.index()).isEqualTo(l.index());
            assertThat(b.offset()).isEqualTo(l.offset());
            assertThat(b.pcr()).isEqualTo(l.pcr());
            assertThat(b.templateDigest()).isEqualTo(l.templateDigest());
            assertThat(b.templateName()).isEqualTo(l.templateName());
            assertThat(b.raw().length()).isEqualTo(l.raw().length());
            assertThat(RecordDecoder.decode(b)).isEqualTo(RecordDecoder.decode(l));
            assertThat(RecordDecoder.templateData(b).fields().stream().map(f -> f.value()).toList())
                    .isEqualTo(RecordDecoder.templateData(l).fields().stream().map(f -> f.value()).toList());
        }
    }

    // ---- malformed input: kind, record index and offset ------------------------------------------

    /** One ima-ng record, little-endian, 20-byte digest (B.3, B.5). */
    static byte[] imaNgRecord(int pcr, String path) {
        byte[] dng = concat("sha256:".getBytes(StandardCharsets.US_ASCII), new byte[1], new byte[32]);
        byte[] nng = concat(path.getBytes(StandardCharsets.US_ASCII), new byte[1]);
        ByteBuffer data = ByteBuffer.allocate(8 + dng.length + nng.length).order(ByteOrder.LITTLE_ENDIAN);
        data.putInt(dng.length).put(dng).putInt(nng.length).put(nng);
        return record(pcr, "ima-ng", data.array());
    }

    static byte[] record(int pcr, String template, byte[] data) {
        byte[] name = template.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(4 + 20 + 4 + name.length + 4 + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(pcr).put(filled(20, (byte) 0x11)).putInt(name.length).put(name).putInt(data.length).put(data);
        return b.array();
    }

    static byte[] filled(int n, byte v) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, v);
        return b;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    private static MalformedLogException failure(byte[] list) {
        return failure(list, LogReadOptions.of("crafted").withBank(HashAlgorithm.SHA1));
    }

    private static MalformedLogException failure(byte[] list, LogReadOptions options) {
        MalformedLogException e = catchThrowableOfType(() -> LogFiles.readBinary(list, options), MalformedLogException.class);
        assertThat(e).as("expected MalformedLogException").isNotNull();
        assertThat(e.source()).isEqualTo(options.sourceName());
        return e;
    }

    @Test
    void aTwoGigabyteDataLengthIsRefusedBeforeAllocating() {
        byte[] good = imaNgRecord(10, "/a");
        byte[] bad = imaNgRecord(10, "/b");
        int dataLengthAt = 4 + 20 + 4 + 6;
        ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN).putInt(dataLengthAt, Integer.MIN_VALUE); // 2^31
        MalformedLogException e = failure(concat(good, good, bad), LogReadOptions.of("crafted").withFirstIndex(7));
        assertThat(e.kind()).isEqualTo(Kind.BAD_LENGTH);
        assertThat(e.recordIndex()).isEqualTo(9);
        assertThat(e.offset()).isEqualTo(2L * good.length);

        ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN).putInt(dataLengthAt, LogReadOptions.MAX_TEMPLATE_DATA_LENGTH + 1);
        assertThat(failure(bad).kind()).isEqualTo(Kind.BAD_LENGTH);
        // a smaller configured bound is enforced as well
        assertThat(failure(good, LogReadOptions.of("x").withMaxTemplateDataLength(10)).kind()).isEqualTo(Kind.BAD_LENGTH);
    }

    @Test
    void absurdNameLengthsAreBadLengths() {
        byte[] bad = imaNgRecord(10, "/b");
        ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN).putInt(24, 0x7FFFFFFF);
        assertThat(failure(bad).kind()).isEqualTo(Kind.BAD_LENGTH);
        ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN).putInt(24, BinaryLogReader.MAX_TEMPLATE_NAME_LENGTH + 1);
        assertThat(failure(bad).kind()).isEqualTo(Kind.BAD_LENGTH);
        ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN).putInt(24, 0);
        assertThat(failure(bad).kind()).isEqualTo(Kind.BAD_LENGTH);
    }

    @Test
    void anImaNameLongerThan255IsABadLength() {
        byte[] name = "ima".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(4 + 20 + 4 + 3 + 20 + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(10).put(new byte[20]).putInt(3).put(name).put(new byte[20]).putInt(256);
        assertThat(failure(b.array()).kind()).isEqualTo(Kind.BAD_LENGTH);
    }

    @Test
    void aFieldLengthBeyondItsBoundIsABadLength() {
        // n-ng of 5000 bytes, above the kernel's 4097 (B.5)
        byte[] dng = concat("sha1:".getBytes(StandardCharsets.US_ASCII), new byte[1], new byte[20]);
        byte[] nng = concat(filled(4999, (byte) 'a'), new byte[1]);
        ByteBuffer data = ByteBuffer.allocate(8 + dng.length + nng.length).order(ByteOrder.LITTLE_ENDIAN);
        data.putInt(dng.length).put(dng).putInt(nng.length).put(nng);
        assertThat(failure(record(10, "ima-ng", data.array())).kind()).isEqualTo(Kind.BAD_LENGTH);
    }

    @Test
    void aPcrAbove23IsBadPcr() {
        byte[] list = concat(imaNgRecord(10, "/a"), imaNgRecord(24, "/b"));
        MalformedLogException e = failure(list);
        assertThat(e.kind()).isEqualTo(Kind.BAD_PCR);
        assertThat(e.recordIndex()).isEqualTo(1);
        assertThat(e.offset()).isEqualTo(imaNgRecord(10, "/a").length);
    }

    @Test
    void unknownTemplatesAndFieldsFailClosed() {
        byte[] data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(0).putInt(0).array();
        assertThat(failure(record(10, "ima-foo", data)).kind()).isEqualTo(Kind.UNKNOWN_TEMPLATE);
        MalformedLogException e = failure(concat(imaNgRecord(10, "/a"), record(10, "d-ng|bogus", data)));
        assertThat(e.kind()).isEqualTo(Kind.UNKNOWN_FIELD);
        assertThat(e.recordIndex()).isEqualTo(1);
    }

    @Test
    void aDataLengthDisagreeingWithTheFieldsIsAMismatchEvenAtTheEndOfInput() {
        byte[] rec = imaNgRecord(10, "/a");
        int dataLengthAt = 4 + 20 + 4 + 6;
        ByteBuffer bb = ByteBuffer.wrap(rec).order(ByteOrder.LITTLE_ENDIAN);
        int dataLength = bb.getInt(dataLengthAt);
        // longer than the fields: in the middle and as the last record (EOF inside the claimed data)
        bb.putInt(dataLengthAt, dataLength + 100);
        assertThat(failure(concat(rec, imaNgRecord(10, "/b"))).kind()).isEqualTo(Kind.FIELD_LENGTH_MISMATCH);
        assertThat(failure(rec).kind()).isEqualTo(Kind.FIELD_LENGTH_MISMATCH);
        // shorter than the fields
        bb.putInt(dataLengthAt, dataLength - 3);
        assertThat(failure(rec).kind()).isIn(Kind.BAD_LENGTH, Kind.FIELD_LENGTH_MISMATCH);
        bb.putInt(dataLengthAt, 4);
        assertThat(failure(rec).kind()).isEqualTo(Kind.FIELD_LENGTH_MISMATCH);
    }

    @Test
    void everyCorruptedLengthFieldInACompleteListIsCorruptionNotATornTail() throws Exception {
        for (String file : List.of("kgoldman+ibmtss/imatest.log", "Cybersecurity-LINKS+embrave/binary_runtime_measurements")) {
            byte[] whole = Files.readAllBytes(LogFiles.ima(file));
            List<MeasurementRecord> all = LogFiles.readBinary(whole, LogReadOptions.of(file));
            // the first 40 records, cut at a record boundary: a complete list, and quick to re-read
            int end = all.size() > 40 ? (int) all.get(40).offset() : whole.length;
            byte[] bytes = java.util.Arrays.copyOf(whole, end);
            List<MeasurementRecord> records = all.subList(0, Math.min(all.size(), 40));
            int checked = 0;
            for (MeasurementRecord r : records) {
                if (r.isImaTemplate()) continue;
                // positions (absolute) of the data length and of every field length (B.3, B.5)
                List<Integer> lengthFields = new java.util.ArrayList<>();
                int dataLengthAt = (int) r.offset() + 4 + 20 + 4 + r.templateName().length();
                lengthFields.add(dataLengthAt);
                ByteBuffer data = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
                int at = dataLengthAt + 4;
                while (at < dataLengthAt + 4 + r.templateData().length()) {
                    lengthFields.add(at);
                    at += 4 + data.getInt(at);
                }
                for (int lengthAt : lengthFields) {
                    for (int delta : new int[] {1, -1, 64, 1 << 20}) {
                        byte[] damaged = bytes.clone();
                        ByteBuffer d = ByteBuffer.wrap(damaged).order(ByteOrder.LITTLE_ENDIAN);
                        d.putInt(lengthAt, d.getInt(lengthAt) + delta);
                        LogReadOptions opts = LogReadOptions.of("damaged").withBank(HashAlgorithm.SHA1)
                                .withByteOrder(ByteOrder.LITTLE_ENDIAN);
                        MalformedLogException e = catchThrowableOfType(() -> LogFiles.readBinary(damaged, opts),
                                MalformedLogException.class);
                        assertThat(e).as("%s record %d length at %d %+d", file, r.index(), lengthAt, delta).isNotNull();
                        assertThat(e.kind()).as("%s record %d length at %d %+d", file, r.index(), lengthAt, delta)
                                .isIn(Kind.BAD_LENGTH, Kind.FIELD_LENGTH_MISMATCH);
                        assertThat(e.recordIndex()).isEqualTo(r.index());
                        assertThat(e.offset()).isEqualTo(r.offset());
                        checked++;
                    }
                }
            }
            assertThat(checked).isGreaterThan(100);
        }
    }

    @Test
    void truncationInsideARecordIsATornTailAndAtABoundaryACleanEnd() throws Exception {
        byte[] bytes = Files.readAllBytes(LogFiles.ima("kgoldman+ibmtss/imatest.log"));
        List<MeasurementRecord> all = LogFiles.readBinary(bytes, LogReadOptions.of("imatest"));
        java.util.Map<Long, Integer> boundaries = new java.util.HashMap<>();
        for (int i = 0; i < all.size(); i++) boundaries.put(all.get(i).offset(), i);
        boundaries.put((long) bytes.length, all.size());
        // every truncation point; the bank and order are known, as for a list re-read after a torn tail
        LogReadOptions opts = LogReadOptions.of("imatest").withBank(HashAlgorithm.SHA1).withByteOrder(ByteOrder.LITTLE_ENDIAN);
        // plain checks in the loop (4000 cuts), one assertion on the collected mismatches
        List<String> wrong = new java.util.ArrayList<>();
        int torn = 0;
        for (int cut = 0; cut <= bytes.length; cut++) {
            byte[] prefix = java.util.Arrays.copyOf(bytes, cut);
            Integer complete = boundaries.get((long) cut);
            BinaryLogReader reader = BinaryLogReader.open(new ByteArrayInputStream(prefix), opts);
            int n = 0;
            try {
                while (reader.next().isPresent()) n++;
                if (complete == null || n != complete || reader.bytesConsumed() != cut) {
                    wrong.add("cut " + cut + ": clean end after " + n + " records");
                }
            } catch (MalformedLogException e) {
                torn++;
                int lastGood = (int) reader.recordsRead();
                long start = lastGood == 0 ? 0 : all.get(lastGood - 1).offset() + all.get(lastGood - 1).raw().length();
                boolean inside = start < cut && start + all.get(lastGood).raw().length() > cut;
                MalformedLogException again = null;
                try {
                    reader.next();
                } catch (MalformedLogException e2) {
                    again = e2;
                }
                if (complete != null || e.kind() != Kind.TORN_TAIL || !inside || e.recordIndex() != lastGood
                        || e.offset() != start || reader.bytesConsumed() != start || again != e) {
                    wrong.add("cut " + cut + ": " + e.kind() + " at record " + e.recordIndex() + " offset " + e.offset());
                }
            }
        }
        assertThat(wrong).isEmpty();
        assertThat(torn).isEqualTo(bytes.length + 1 - boundaries.size());
    }

    @Test
    void truncationWithAutodetectionIsAlsoATornTail() throws Exception {
        byte[] bytes = Files.readAllBytes(LogFiles.ima("kgoldman+ibmtss/sha256.log"));
        // the first record (ima-sig boot_aggregate, 32-byte digest) takes 104 bytes
        for (int cut : new int[] {1, 3, 10, 40, 80, 103, 120}) {
            MalformedLogException e = failure(java.util.Arrays.copyOf(bytes, cut), LogReadOptions.of("sha256"));
            assertThat(e.kind()).as("cut %d", cut).isEqualTo(Kind.TORN_TAIL);
            assertThat(e.recordIndex()).isEqualTo(cut < 104 ? 0 : 1);
        }
        assertThat(LogFiles.readBinary(new byte[0], LogReadOptions.of("empty"))).isEmpty();
    }

    @Test
    void garbageIsAnUnknownFormat() {
        byte[] garbage = filled(400, (byte) 0x5A);
        assertThat(failure(garbage, LogReadOptions.of("garbage")).kind()).isEqualTo(Kind.UNKNOWN_FORMAT);
    }

    static void assertStoredDigestsRecompute(List<MeasurementRecord> records, HashAlgorithm bank) {
        MessageDigest md = bank.newDigest();
        byte[] scratch = new byte[bank.digestLength()];
        int checked = 0;
        for (MeasurementRecord r : records) {
            if (r.isViolation()) continue;
            assertThat(TemplateHash.matchesStored(r, md, scratch)).as("record %d (%s)", r.index(), r.templateName()).isTrue();
            assertThat(TemplateHash.of(r, bank)).isEqualTo(r.templateDigest());
            checked++;
        }
        assertThat(checked).isPositive();
    }

}

package org.imaarchiver.archive.segment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.api.Binary;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegmentRoundTripTest {
    @TempDir Path dir;

    /** The data digest definition, implemented independently of DataDigest. */
    static Digest independentDataDigest(List<MeasurementRecord> records) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (MeasurementRecord r : records) {
            byte[] raw = r.raw().toArray();
            md.update(ByteBuffer.allocate(12).putLong(r.index()).putInt(raw.length).array());
            md.update(raw);
        }
        return Digest.wrap(md.digest());
    }

    static WrittenSegment write(Path file, List<MeasurementRecord> records, String host, long seq, Optional<Digest> prev)
            throws IOException {
        try (SegmentWriter w = SegmentWriter.create(file, records.get(0).index(), QueryColumns::of)) {
            for (MeasurementRecord r : records) w.write(r);
            return w.finish(TestManifests.forSummary(host, seq, w.summary(), prev), Optional.empty());
        }
    }

    @Test
    void tenThousandRecordsRoundTripRecordForRecord() throws Exception {
        List<MeasurementRecord> records = ImaRecordGenerator.generate(42, 0, 10_000, true);
        WrittenSegment ws = write(dir.resolve("s0.parquet"), records, "host-a", 0, Optional.empty());

        assertThat(ws.manifest().recordCount()).isEqualTo(10_000);
        assertThat(ws.manifest().dataDigest()).isEqualTo(independentDataDigest(records));

        SegmentReader reader = SegmentReader.open(ws.file());
        assertThat(reader.manifest()).isEqualTo(ws.manifest());
        assertThat(reader.manifestBytes()).isEqualTo(ws.manifestBytes());
        assertThat(reader.rowCount()).isEqualTo(10_000);
        List<MeasurementRecord> back = new ArrayList<>();
        try (var cursor = reader.records()) {
            for (var r = cursor.next(); r.isPresent(); r = cursor.next()) back.add(r.get());
        }
        assertThat(back).hasSize(records.size());
        for (int i = 0; i < records.size(); i++) assertThat(back.get(i)).isEqualTo(records.get(i));

        assertThat(SegmentVerifier.verifyData(reader)).isEmpty();
        assertThat(SegmentVerifier.compareSidecar(reader, ws.manifestBytes())).isEmpty();
        assertThat(SegmentVerifier.verifyNonce(reader.manifest())).isEmpty();
    }

    /**
     * The layout check recomputes statistics, size statistics, page counts and column/offset indexes
     * per page and row group: a file with several row groups and many pages (small layout knobs) and
     * names longer than the column index truncation verifies without findings.
     */
    @Test
    void manyRowGroupsAndPagesHaveNoLayoutFinding() throws Exception {
        List<MeasurementRecord> records = ImaRecordGenerator.generate(9, 0, 4_000, true);
        Path file = dir.resolve("small-pages.parquet");
        WrittenSegment ws;
        try (SegmentWriter w = SegmentWriter.create(file, 0, QueryColumns::of, new SegmentWriter.Options(1 << 20, 8 << 10, 3))) {
            for (MeasurementRecord r : records) w.write(r);
            ws = w.finish(TestManifests.forSummary("host-a", 0, w.summary(), Optional.empty()), Optional.empty());
        }
        try (org.apache.parquet.hadoop.ParquetFileReader r = org.apache.parquet.hadoop.ParquetFileReader.open(
                new org.apache.parquet.io.LocalInputFile(ws.file()))) {
            assertThat(r.getRowGroups()).hasSizeGreaterThan(1);
            var raw = r.getRowGroups().get(0).getColumns().stream().filter(c -> c.getPath().toDotString().equals(SegmentSchema.RAW))
                    .findFirst().orElseThrow();
            assertThat(r.readOffsetIndex(raw).getPageCount()).isGreaterThan(1);
        }
        assertThat(records.stream().anyMatch(m -> QueryColumns.of(m).name().map(String::length).orElse(0) > 64)).isTrue();
        assertThat(SegmentVerifier.verifyData(SegmentReader.open(ws.file()))).isEmpty();
    }

    @Test
    void queryColumnsThatDoNotMatchRawAreFindings() throws Exception {
        // A writer whose decoded view lies about one record's path and another's file digest: the
        // authoritative bytes and the data digest are intact, only what a SQL engine would read differs.
        List<MeasurementRecord> records = ImaRecordGenerator.generate(3, 0, 50, false);
        java.util.function.Function<MeasurementRecord, org.imaarchiver.replay.template.DecodedRecord> lying = r -> {
            var d = QueryColumns.of(r);
            if (r.index() == 7) {
                return new org.imaarchiver.replay.template.DecodedRecord(d.index(), d.pcr(), d.templateName(), d.violation(),
                        d.fileDigestAlgorithm(), d.fileDigestType(), d.fileDigest(), Optional.of("/usr/bin/innocent"),
                        d.signaturePresent(), d.signature(), d.buffer());
            }
            if (r.index() == 31) {
                return new org.imaarchiver.replay.template.DecodedRecord(d.index(), d.pcr(), d.templateName(), d.violation(),
                        d.fileDigestAlgorithm(), d.fileDigestType(), Optional.of(Digest.zeros(32)), d.name(),
                        d.signaturePresent(), d.signature(), d.buffer());
            }
            return d;
        };
        Path file = dir.resolve("lying.parquet");
        try (SegmentWriter w = SegmentWriter.create(file, 0, lying)) {
            for (MeasurementRecord r : records) w.write(r);
            w.finish(TestManifests.forSummary("host-a", 0, w.summary(), Optional.empty()), Optional.empty());
        }
        List<SegmentFinding> findings = SegmentVerifier.verifyData(SegmentReader.open(file));
        assertThat(findings).hasSize(2).allMatch(f -> f instanceof SegmentFinding.QueryColumnMismatch);
        var first = (SegmentFinding.QueryColumnMismatch) findings.get(0);
        var second = (SegmentFinding.QueryColumnMismatch) findings.get(1);
        assertThat(first.recordIndex()).isEqualTo(7);
        assertThat(first.column()).isEqualTo(SegmentSchema.NAME);
        assertThat(first.found()).isEqualTo("\"/usr/bin/innocent\"");
        assertThat(second.recordIndex()).isEqualTo(31);
        assertThat(second.column()).isEqualTo(SegmentSchema.FILE_DIGEST_HEX);
        assertThat(second.found()).isEqualTo("\"" + "0".repeat(64) + "\"");
    }

    @Test
    void segmentStartingMidBootKeepsAbsoluteIndices() throws Exception {
        List<MeasurementRecord> records = ImaRecordGenerator.generate(7, 5_000, 300, false);
        WrittenSegment ws = write(dir.resolve("mid.parquet"), records, "host-a", 4, Optional.of(Digest.filled(32, (byte) 9)));
        SegmentReader reader = SegmentReader.open(ws.file());
        assertThat(reader.manifest().firstIndex()).isEqualTo(5_000);
        assertThat(reader.manifest().lastIndex()).isEqualTo(5_299);
        try (var cursor = reader.records()) {
            assertThat(cursor.next().orElseThrow()).isEqualTo(records.get(0));
        }
        assertThat(SegmentVerifier.verifyData(reader)).isEmpty();
    }

    @Test
    void writerRejectsNonContiguousIndicesAndDeletesUnfinishedFile() throws Exception {
        List<MeasurementRecord> records = ImaRecordGenerator.generate(1, 0, 5, false);
        Path file = dir.resolve("bad.parquet");
        try (SegmentWriter w = SegmentWriter.create(file, 0, QueryColumns::of)) {
            w.write(records.get(0));
            RecordOrderException e = org.junit.jupiter.api.Assertions.assertThrows(RecordOrderException.class,
                    () -> w.write(records.get(2)));
            assertThat(e.expectedIndex()).isEqualTo(1);
            assertThat(e.foundIndex()).isEqualTo(2);
        }
        assertThat(file).doesNotExist();
    }

    @Test
    void writerRejectsManifestThatDoesNotDescribeTheRecords() throws Exception {
        List<MeasurementRecord> records = ImaRecordGenerator.generate(1, 0, 5, false);
        try (SegmentWriter w = SegmentWriter.create(dir.resolve("m.parquet"), 0, QueryColumns::of)) {
            for (var r : records) w.write(r);
            SegmentSummary s = w.summary();
            SegmentSummary lying = new SegmentSummary(s.firstIndex(), s.recordCount(), Digest.zeros(32), s.rawBytes());
            assertThatThrownBy(() -> w.finish(TestManifests.forSummary("h", 0, lying, Optional.empty()), Optional.empty()))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void existingFileIsNotOverwritten() throws Exception {
        Path file = dir.resolve("exists.parquet");
        Files.writeString(file, "x");
        assertThatThrownBy(() -> SegmentWriter.create(file, 0, QueryColumns::of)).isInstanceOf(IOException.class);
    }

    /**
     * A file forged outside SegmentWriter: row 2 is missing and row 3's raw bytes are truncated,
     * while the footer carries the manifest of the intact records.
     */
    @Test
    void verifierReportsGapDigestCountAndMalformedRecord() throws Exception {
        List<MeasurementRecord> records = ImaRecordGenerator.generate(3, 0, 6, false);
        WrittenSegment intact = write(dir.resolve("intact.parquet"), records, "host-b", 2, Optional.of(Digest.zeros(32)));
        Path forged = dir.resolve("forged.parquet");
        Map<String, String> kv = new HashMap<>();
        kv.put(SegmentSchema.MANIFEST_KEY, new String(intact.manifestBytes().toArray(), StandardCharsets.US_ASCII));
        SimpleGroupFactory f = new SimpleGroupFactory(SegmentSchema.SCHEMA);
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new LocalOutputFile(forged))
                .withConf(new PlainParquetConfiguration()).withType(SegmentSchema.SCHEMA).withExtraMetaData(kv)
                .withCompressionCodec(CompressionCodecName.ZSTD).build()) {
            for (MeasurementRecord r : records) {
                if (r.index() == 2) continue;
                byte[] raw = r.raw().toArray();
                if (r.index() == 3) raw = java.util.Arrays.copyOf(raw, raw.length - 5);
                Group g = f.newGroup().append(SegmentSchema.RECORD_INDEX, r.index()).append(SegmentSchema.PCR, r.pcr())
                        .append(SegmentSchema.TEMPLATE_NAME, r.templateName())
                        .append(SegmentSchema.RAW, Binary.fromConstantByteArray(raw))
                        .append(SegmentSchema.SIGNATURE_PRESENT, false).append(SegmentSchema.VIOLATION, false);
                w.write(g);
            }
        }
        SegmentReader reader = SegmentReader.open(forged);
        List<SegmentFinding> findings = SegmentVerifier.verifyData(reader);
        assertThat(findings).contains(new SegmentFinding.IndexGap("host-b", 2, 2, 3));
        assertThat(findings).contains(new SegmentFinding.RecordCountMismatch("host-b", 2, 6, 5));
        assertThat(findings).filteredOn(x -> x instanceof SegmentFinding.MalformedRecord)
                .singleElement()
                .satisfies(x -> {
                    var m = (SegmentFinding.MalformedRecord) x;
                    assertThat(m.recordIndex()).isEqualTo(3);
                    assertThat(m.kind()).isEqualTo(MalformedLogException.Kind.BAD_LENGTH);
                });
        assertThat(findings).filteredOn(x -> x instanceof SegmentFinding.DataDigestMismatch)
                .singleElement()
                .satisfies(x -> assertThat(((SegmentFinding.DataDigestMismatch) x).expected()).isEqualTo(intact.manifest().dataDigest()));

        // The strict record cursor fails at the same place, naming the record.
        try (var cursor = reader.records()) {
            cursor.next();
            cursor.next();
            MalformedLogException e = org.junit.jupiter.api.Assertions.assertThrows(MalformedLogException.class, cursor::next);
            assertThat(e.recordIndex()).isEqualTo(3);
        }
    }

    @Test
    void sidecarThatDiffersFromFooterIsReported() throws Exception {
        List<MeasurementRecord> records = ImaRecordGenerator.generate(5, 0, 10, false);
        WrittenSegment ws = write(dir.resolve("s.parquet"), records, "host-c", 0, Optional.empty());
        var other = TestManifests.forSummary("host-c", 1, new SegmentSummary(0, 10, ws.manifest().dataDigest(), 0),
                Optional.of(ws.manifestDigest()));
        var sidecar = ManifestCodec.encode(other);
        SegmentReader reader = SegmentReader.open(ws.file());
        assertThat(SegmentVerifier.compareSidecar(reader, sidecar))
                .containsExactly(new SegmentFinding.ManifestMismatch("host-c", 0, ws.manifestDigest(), ManifestCodec.digestOf(sidecar)));
    }

    @Test
    void footerUsesZstdAndFieldIds() throws Exception {
        WrittenSegment ws = write(dir.resolve("z.parquet"), ImaRecordGenerator.generate(9, 0, 100, true), "h", 0, Optional.empty());
        try (ParquetFileReader r = ParquetFileReader.open(new LocalInputFile(ws.file()))) {
            var schema = r.getFooter().getFileMetaData().getSchema();
            assertThat(schema.getType(SegmentSchema.RAW).getId().intValue()).isEqualTo(SegmentSchema.RAW_ID);
            assertThat(schema.getType(SegmentSchema.FILE_DIGEST_HEX).getId().intValue()).isEqualTo(SegmentSchema.FILE_DIGEST_HEX_ID);
            for (var col : r.getFooter().getBlocks().get(0).getColumns()) {
                assertThat(col.getCodec()).isEqualTo(CompressionCodecName.ZSTD);
            }
        }
    }

    @Test
    void filesThatAreNotSegmentsAreTypedErrors() throws Exception {
        Path notParquet = Files.writeString(dir.resolve("x.parquet"), "definitely not parquet, but long enough to have a tail");
        assertThatThrownBy(() -> SegmentReader.open(notParquet)).isInstanceOf(SegmentFormatException.class);

        Path noManifest = dir.resolve("plain.parquet");
        SimpleGroupFactory f = new SimpleGroupFactory(SegmentSchema.SCHEMA);
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new LocalOutputFile(noManifest))
                .withConf(new PlainParquetConfiguration()).withType(SegmentSchema.SCHEMA).build()) {
            w.write(f.newGroup().append(SegmentSchema.RECORD_INDEX, 0L).append(SegmentSchema.PCR, 10)
                    .append(SegmentSchema.TEMPLATE_NAME, "ima-ng")
                    .append(SegmentSchema.RAW, Binary.fromString("x")).append(SegmentSchema.SIGNATURE_PRESENT, false)
                    .append(SegmentSchema.VIOLATION, false));
        }
        assertThatThrownBy(() -> SegmentReader.open(noManifest)).isInstanceOf(SegmentFormatException.class);
    }
}

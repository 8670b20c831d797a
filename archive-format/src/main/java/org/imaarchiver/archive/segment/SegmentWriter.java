package org.imaarchiver.archive.segment;

import static org.imaarchiver.archive.segment.SegmentSchema.*;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.template.DecodedRecord;

/**
 * Streams the records of one segment into a local Parquet file (ZSTD, dictionary encoding, Parquet
 * v2 pages) while computing the {@link DataDigest}. Memory is bounded by one row group, not by the
 * record count. Records must arrive with contiguous indices starting at {@code firstIndex}.
 *
 * <p>Use: {@link #create}, {@link #write} each record, read {@link #summary()} to build the manifest,
 * then {@link #finish}; {@link #close()} without {@code finish} deletes the partial file.
 */
public final class SegmentWriter implements AutoCloseable {

    /**
     * Layout knobs.
     *
     * @param rowGroupBytes   target row-group size (buffered in memory before it is flushed)
     * @param pageBytes       target page size
     * @param zstdLevel       ZSTD compression level
     */
    public record Options(long rowGroupBytes, int pageBytes, int zstdLevel) {
        /**
         * 16 MiB row groups: the writer holds a whole row group's compressed pages in the heap until
         * it is flushed, so this bounds the writer's memory (docs/performance.md "Nightly run": 64 MiB
         * kept ~110 MiB live while a 1M-record segment was written, 16 MiB ~40 MiB); scans of 16 MiB
         * chunks stay sequential.
         */
        public static final Options DEFAULT = new Options(16L << 20, 1 << 20, 9);

        public Options {
            if (rowGroupBytes < (1 << 20)) throw new IllegalArgumentException("rowGroupBytes < 1 MiB");
            if (pageBytes < (8 << 10)) throw new IllegalArgumentException("pageBytes < 8 KiB");
            if (zstdLevel < 1 || zstdLevel > 22) throw new IllegalArgumentException("zstdLevel outside 1..22");
        }
    }

    private final Path file;
    private final Function<MeasurementRecord, DecodedRecord> decoder;
    private final SegmentWriteSupport support;
    private final ParquetWriter<Row> parquet;
    private final DataDigest digest = new DataDigest();
    private final long firstIndex;
    private long nextIndex;
    private long rawBytes;
    private int templateDigestLength = -1;
    private ByteOrder byteOrder;
    private boolean finished;
    private boolean closed;

    private SegmentWriter(Path file, long firstIndex, Function<MeasurementRecord, DecodedRecord> decoder,
                          SegmentWriteSupport support, ParquetWriter<Row> parquet) {
        this.file = file;
        this.firstIndex = firstIndex;
        this.nextIndex = firstIndex;
        this.decoder = decoder;
        this.support = support;
        this.parquet = parquet;
    }

    /**
     * Creates {@code file} (fails if it exists) for records starting at absolute index {@code firstIndex}.
     *
     * @param decoder the query view of each record (the replay engine's RecordDecoder); it must not
     *                change what is authoritative, it only fills the convenience columns
     */
    public static SegmentWriter create(Path file, long firstIndex, Function<MeasurementRecord, DecodedRecord> decoder,
                                       Options options) throws IOException {
        Objects.requireNonNull(decoder, "decoder");
        if (firstIndex < 0) throw new IllegalArgumentException("firstIndex < 0");
        SegmentWriteSupport support = new SegmentWriteSupport();
        ParquetWriter<Row> parquet = new Builder(new LocalOutputFile(file), support)
                .withConf(new PlainParquetConfiguration())
                .withWriteMode(ParquetFileWriter.Mode.CREATE)
                .withCompressionCodec(CompressionCodecName.ZSTD)
                .config("parquet.compression.codec.zstd.level", Integer.toString(options.zstdLevel()))
                .withWriterVersion(ParquetProperties.WriterVersion.PARQUET_2_0)
                .withDictionaryEncoding(true)
                // Unique per record: a dictionary only costs memory before the writer falls back.
                .withDictionaryEncoding(RAW, false)
                .withDictionaryEncoding(FILE_DIGEST_HEX, false)
                // Min/max of whole records is useless for pruning and bloats the footer.
                .withStatisticsEnabled(RAW, false)
                .withStatisticsEnabled(BUFFER, false)
                .withRowGroupSize(options.rowGroupBytes())
                .withPageSize(options.pageBytes())
                .withDictionaryPageSize(options.pageBytes())
                .withPageWriteChecksumEnabled(true)
                .build();
        return new SegmentWriter(file, firstIndex, decoder, support, parquet);
    }

    public static SegmentWriter create(Path file, long firstIndex, Function<MeasurementRecord, DecodedRecord> decoder)
            throws IOException {
        return create(file, firstIndex, decoder, Options.DEFAULT);
    }

    /** Appends the next record; its index must be exactly the next index. */
    public void write(MeasurementRecord record) throws IOException {
        if (finished || closed) throw new IllegalStateException("segment already finished");
        if (record.index() != nextIndex) throw new RecordOrderException(nextIndex, record.index());
        int dl = record.templateDigest().length();
        if (templateDigestLength < 0) {
            templateDigestLength = dl;
            byteOrder = record.byteOrder();
        } else if (dl != templateDigestLength || !byteOrder.equals(record.byteOrder())) {
            throw new IllegalArgumentException("record " + record.index() + ": template digest size " + dl + "/byte order "
                    + record.byteOrder() + " differs from the segment's " + templateDigestLength + "/" + byteOrder);
        }
        DecodedRecord decoded = decoder.apply(record);
        if (decoded.index() != record.index()) {
            throw new IllegalArgumentException("decoder returned index " + decoded.index() + " for record " + record.index());
        }
        parquet.write(new Row(record, decoded));
        digest.update(record.index(), record.raw());
        rawBytes += record.raw().length();
        nextIndex++;
    }

    public SegmentSummary summary() {
        return new SegmentSummary(firstIndex, nextIndex - firstIndex, digest.current(), rawBytes);
    }

    /**
     * Writes {@code manifest} (and the CMS {@code signature} over its canonical bytes, if given) into
     * the footer and closes the file. The manifest must repeat this writer's summary.
     */
    public WrittenSegment finish(SegmentManifest manifest, Optional<Bytes> signature) throws IOException {
        if (finished || closed) throw new IllegalStateException("segment already finished");
        SegmentSummary s = summary();
        if (manifest.firstIndex() != s.firstIndex() || manifest.recordCount() != s.recordCount()
                || !manifest.dataDigest().equals(s.dataDigest())) {
            throw new IllegalArgumentException("manifest (first " + manifest.firstIndex() + ", count " + manifest.recordCount()
                    + ", data " + manifest.dataDigest() + ") does not describe the written records (first " + s.firstIndex()
                    + ", count " + s.recordCount() + ", data " + s.dataDigest() + ")");
        }
        if (templateDigestLength >= 0 && (templateDigestLength != manifest.replay().templateDigestAlgorithm().digestLength()
                || !byteOrder.equals(manifest.replay().byteOrder()))) {
            throw new IllegalArgumentException("manifest replay facts " + manifest.replay() + " do not match the records ("
                    + templateDigestLength + "-byte template digests, " + byteOrder + ")");
        }
        Bytes bytes = ManifestCodec.encode(manifest);
        Map<String, String> footer = new HashMap<>();
        footer.put(MANIFEST_KEY, new String(bytes.toArray(), StandardCharsets.US_ASCII));
        signature.ifPresent(sig -> footer.put(MANIFEST_SIGNATURE_KEY, Base64.getEncoder().encodeToString(sig.toArray())));
        support.footer = footer;
        finished = true;
        parquet.close();
        closed = true;
        return new WrittenSegment(file, manifest, bytes, ManifestCodec.digestOf(bytes), Files.size(file), rawBytes);
    }

    /** Closes; when {@link #finish} was not called, the partial file is deleted. */
    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        try {
            parquet.close();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** One row: the record and its query view. */
    record Row(MeasurementRecord record, DecodedRecord decoded) {}

    private static final class Builder extends ParquetWriter.Builder<Row, Builder> {
        private final SegmentWriteSupport support;

        Builder(OutputFile file, SegmentWriteSupport support) {
            super(file);
            this.support = support;
        }

        @Override protected Builder self() { return this; }
        @Override protected WriteSupport<Row> getWriteSupport(Configuration conf) { return support; }
        @Override protected WriteSupport<Row> getWriteSupport(ParquetConfiguration conf) { return support; }
    }

    /** Writes rows straight to the RecordConsumer (no intermediate Group objects). */
    private static final class SegmentWriteSupport extends WriteSupport<Row> {
        private RecordConsumer out;
        Map<String, String> footer = Map.of();

        @Override
        public WriteContext init(Configuration configuration) { return new WriteContext(SCHEMA, Map.of()); }

        @Override
        public WriteContext init(ParquetConfiguration configuration) { return new WriteContext(SCHEMA, Map.of()); }

        @Override
        public void prepareForWrite(RecordConsumer recordConsumer) { this.out = recordConsumer; }

        @Override
        public String getName() { return "ima-archiver"; }

        @Override
        public void write(Row row) {
            MeasurementRecord r = row.record();
            DecodedRecord d = row.decoded();
            out.startMessage();
            field(RECORD_INDEX, () -> out.addLong(r.index()));
            field(PCR, () -> out.addInteger(r.pcr()));
            field(TEMPLATE_NAME, () -> out.addBinary(Binary.fromString(r.templateName())));
            field(RAW, () -> out.addBinary(Binary.fromConstantByteArray(r.raw().toArray())));
            d.fileDigestAlgorithm().ifPresent(a -> field(FILE_DIGEST_ALGORITHM,
                    () -> out.addBinary(Binary.fromString(a))));
            d.fileDigest().map(Digest::hex).ifPresent(h -> field(FILE_DIGEST_HEX,
                    () -> out.addBinary(Binary.fromString(h))));
            d.name().ifPresent(n -> field(NAME, () -> out.addBinary(Binary.fromString(n))));
            field(SIGNATURE_PRESENT, () -> out.addBoolean(d.signaturePresent()));
            field(VIOLATION, () -> out.addBoolean(r.isViolation()));
            d.buffer().ifPresent(b -> field(BUFFER, () -> out.addBinary(Binary.fromConstantByteArray(b.toArray()))));
            d.fileDigestType().ifPresent(t -> field(FILE_DIGEST_TYPE,
                    () -> out.addBinary(Binary.fromString(t))));
            out.endMessage();
        }

        private void field(String name, Runnable value) {
            // Parquet's consumer wants the field's position in the schema, not its id.
            int pos = SCHEMA.getFieldIndex(name);
            out.startField(name, pos);
            value.run();
            out.endField(name, pos);
        }

        @Override
        public FinalizedWriteContext finalizeWrite() { return new FinalizedWriteContext(footer); }
    }
}

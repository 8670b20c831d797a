package org.imaarchiver.archive.segment;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.conf.HadoopParquetConfiguration;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.column.impl.ColumnReadStoreImpl;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.schema.MessageType;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;

/**
 * Opens a segment file: the manifest from its footer, and a streaming pass over its rows, reading
 * only the authoritative columns ({@code record_index}, {@code raw}). Rebuilt records carry as
 * {@code offset} their byte offset within the segment's concatenated raw bytes.
 */
public final class SegmentReader {
    private final Path file;
    private final SegmentManifest manifest;
    private final Bytes manifestBytes;
    private final Optional<Bytes> signature;
    private final Optional<String> signatureText;
    private final long rowCount;

    private SegmentReader(Path file, SegmentManifest manifest, Bytes manifestBytes, Optional<Bytes> signature,
                          Optional<String> signatureText, long rowCount) {
        this.signatureText = signatureText;
        this.file = file;
        this.manifest = manifest;
        this.manifestBytes = manifestBytes;
        this.signature = signature;
        this.rowCount = rowCount;
    }

    /** Reads the footer; the rows are read later by {@link #rows()} / {@link #records()}. */
    public static SegmentReader open(Path file) throws IOException, SegmentFormatException, MalformedManifestException {
        String source = file.toString();
        Map<String, String> kv;
        long rows;
        MessageType schema;
        try (ParquetFileReader r = ParquetFileReader.open(new LocalInputFile(file),
                ParquetReadOptions.builder(readConfiguration()).build())) {
            kv = r.getFooter().getFileMetaData().getKeyValueMetaData();
            schema = r.getFooter().getFileMetaData().getSchema();
            rows = r.getRecordCount();
        } catch (RuntimeException e) {
            // A corrupt footer also surfaces as unchecked errors: a bad file, not an I/O failure.
            throw new SegmentFormatException(source, "unreadable Parquet footer", e);
        } catch (java.nio.file.FileSystemException e) {
            throw e; // the file itself (missing, access): an environment problem
        } catch (IOException e) {
            // Parquet reports an undecodable Thrift FileMetaData as a plain IOException ("can not read
            // class FileMetaData"): the content is malformed, a finding, not an I/O failure.
            throw new SegmentFormatException(source, "unreadable Parquet footer: " + e.getMessage(), e);
        }
        checkAuthoritativeColumns(source, schema);
        String m = kv.get(SegmentSchema.MANIFEST_KEY);
        if (m == null) throw new SegmentFormatException(source, "no footer key " + SegmentSchema.MANIFEST_KEY, null);
        Bytes manifestBytes = Bytes.wrap(m.getBytes(StandardCharsets.UTF_8));
        SegmentManifest manifest = ManifestCodec.decode(manifestBytes);
        Optional<Bytes> signature = Optional.empty();
        String sig = kv.get(SegmentSchema.MANIFEST_SIGNATURE_KEY);
        if (sig != null) {
            try {
                signature = Optional.of(Bytes.wrap(Base64.getDecoder().decode(sig)));
            } catch (IllegalArgumentException e) {
                throw new SegmentFormatException(source, "footer signature is not base64", e);
            }
        }
        return new SegmentReader(file, manifest, manifestBytes, signature, Optional.ofNullable(sig), rows);
    }

    /**
     * Reader configuration: page checksums verified. A Hadoop
     * {@code Configuration} WITHOUT default resources: one that loads them parses Hadoop's
     * core-default.xml (about 0.1-0.3 s of CPU) for every reader, and Parquet would otherwise build
     * such instances itself (for the read options and for the codec factory). Reading a local file
     * needs none of those defaults.
     */
    private static ParquetConfiguration readConfiguration() {
        Configuration conf = new Configuration(false);
        // The writer stores page CRCs; checking them turns a flipped bit in a page into an error here.
        conf.set("parquet.page.verify-checksum.enabled", "true");
        return new HadoopParquetConfiguration(conf);
    }

    private static void checkAuthoritativeColumns(String source, MessageType schema) throws SegmentFormatException {
        for (var f : SegmentSchema.AUTHORITATIVE_PROJECTION.getFields()) {
            if (!schema.containsField(f.getName())) throw new SegmentFormatException(source, "no column " + f.getName(), null);
            var actual = schema.getType(f.getName());
            if (!actual.equals(f)) {
                throw new SegmentFormatException(source, "column " + f.getName() + " is " + actual + ", expected " + f, null);
            }
        }
    }

    public Path file() { return file; }
    /** The manifest from the footer. */
    public SegmentManifest manifest() { return manifest; }
    /** The footer's manifest bytes exactly as stored. */
    public Bytes manifestBytes() { return manifestBytes; }
    /** The CMS signature from the footer, if the writer embedded one. */
    public Optional<Bytes> signature() { return signature; }
    /** The footer's signature value exactly as stored (base64 text), if any. */
    public Optional<String> signatureText() { return signatureText; }
    /** Row count according to the Parquet footer. */
    public long rowCount() { return rowCount; }

    /** One stored row's authoritative values. */
    public record Row(long recordIndex, Bytes raw) {}

    /** A pull cursor over rows in file order; close it. */
    public interface Cursor<T> extends AutoCloseable {
        Optional<T> next() throws IOException, MalformedLogException;

        @Override
        void close() throws IOException;
    }

    /** Streams {@code (record_index, raw)} in file order without interpreting {@code raw}. */
    public Cursor<Row> rows() throws IOException {
        ColumnRows c = new ColumnRows(SegmentSchema.AUTHORITATIVE_PROJECTION);
        return c.cursor(() -> new Row(c.longValue(0), c.bytes(1).orElseThrow()));
    }

    /**
     * One row with every column: the authoritative {@code (record_index, raw)} and the query columns
     * as stored (absent optional columns are empty). For verifying the query columns against raw.
     * String columns are their stored UTF-8 bytes: the verifier compares bytes (what a query engine
     * reads) and decodes them only to report a mismatch.
     */
    public record FullRow(long recordIndex, Bytes raw, int pcr, Bytes templateName, Optional<Bytes> fileDigestAlgorithm,
                          Optional<Bytes> fileDigestHex, Optional<Bytes> name, boolean signaturePresent, boolean violation,
                          Optional<Bytes> buffer, Optional<Bytes> fileDigestType) {}

    /** Streams every column of every row in file order, page checksums verified. */
    public Cursor<FullRow> fullRows() throws IOException {
        ColumnRows c = new ColumnRows(SegmentSchema.SCHEMA);
        // Column positions are SegmentSchema.SCHEMA's field order.
        return c.cursor(() -> new FullRow(c.longValue(0), c.bytes(3).orElseThrow(), c.intValue(1), c.bytes(2).orElseThrow(),
                c.bytes(4), c.bytes(5), c.bytes(6), c.booleanValue(7), c.booleanValue(8), c.bytes(9), c.bytes(10)));
    }

    /**
     * Reads the columns of a projection straight from the column chunks, without Parquet's record
     * assembly (docs/performance.md: the example {@code Group} API built a {@code SimpleGroup} and
     * decoded every string per row, the largest per-row cost of verify). Values are decoded a batch
     * of rows at a time, one column after the other, in small loops the JIT compiles quickly. Same
     * checks as a {@code ParquetReader}: the file schema must contain the projection (as
     * {@code ReadSupport} requires), page CRCs are verified, a page that does not decode fails the
     * read (rows of the batch before it are not handed out: a caller's findings for a segment with
     * an unreadable page are that one failure). One row group is in memory at a time, as with
     * {@code ParquetReader}, plus one batch of values.
     */
    private final class ColumnRows {
        private static final int BATCH = 1024;
        private final ParquetFileReader reader;
        private final MessageType projection;
        private final ColumnDescriptor[] columns;
        private final int[] maxDefinition;
        private final String createdBy;
        private final ColumnReader[] readers;
        private final long[][] longs;
        private final int[][] ints;
        private final boolean[][] booleans;
        private final Bytes[][] binaries;
        private long groupRowsLeft;
        private int batchSize;
        /** The current row within the batch (-1 before the first). */
        private int at = -1;

        ColumnRows(MessageType projection) throws IOException {
            this.projection = projection;
            ParquetFileReader r = null;
            try {
                r = ParquetFileReader.open(new LocalInputFile(file),
                        ParquetReadOptions.builder(readConfiguration()).usePageChecksumVerification(true).build());
                r.getFooter().getFileMetaData().getSchema().checkContains(projection);
                r.setRequestedSchema(projection);
            } catch (RuntimeException e) {
                if (r != null) r.close();
                throw new IOException(file + ": unreadable Parquet data", e);
            }
            this.reader = r;
            this.createdBy = r.getFooter().getFileMetaData().getCreatedBy();
            this.columns = projection.getColumns().toArray(new ColumnDescriptor[0]);
            int n = columns.length;
            this.maxDefinition = new int[n];
            this.readers = new ColumnReader[n];
            this.longs = new long[n][];
            this.ints = new int[n][];
            this.booleans = new boolean[n][];
            this.binaries = new Bytes[n][];
            for (int c = 0; c < n; c++) {
                maxDefinition[c] = columns[c].getMaxDefinitionLevel();
                switch (columns[c].getPrimitiveType().getPrimitiveTypeName()) {
                    case INT64 -> longs[c] = new long[BATCH];
                    case INT32 -> ints[c] = new int[BATCH];
                    case BOOLEAN -> booleans[c] = new boolean[BATCH];
                    case BINARY -> binaries[c] = new Bytes[BATCH];
                    default -> throw new IllegalArgumentException("column type " + columns[c]);
                }
            }
        }

        /** Moves to the next row; false at the end. */
        private boolean advance() throws IOException {
            if (++at < batchSize) return true;
            while (groupRowsLeft == 0) {
                PageReadStore pages = reader.readNextRowGroup();
                if (pages == null) return false;
                ColumnReadStoreImpl store = new ColumnReadStoreImpl(pages, NO_CONVERTER, projection, createdBy);
                for (int c = 0; c < columns.length; c++) readers[c] = store.getColumnReader(columns[c]);
                groupRowsLeft = pages.getRowCount();
            }
            int n = (int) Math.min(BATCH, groupRowsLeft);
            for (int c = 0; c < columns.length; c++) {
                if (longs[c] != null) readLongs(readers[c], longs[c], n);
                else if (ints[c] != null) readInts(readers[c], ints[c], n);
                else if (booleans[c] != null) readBooleans(readers[c], booleans[c], n);
                else readBinaries(readers[c], maxDefinition[c], binaries[c], n);
            }
            groupRowsLeft -= n;
            batchSize = n;
            at = 0;
            return true;
        }

        private static void readLongs(ColumnReader r, long[] out, int n) {
            for (int i = 0; i < n; i++) {
                out[i] = r.getLong();
                r.consume();
            }
        }

        private static void readInts(ColumnReader r, int[] out, int n) {
            for (int i = 0; i < n; i++) {
                out[i] = r.getInteger();
                r.consume();
            }
        }

        private static void readBooleans(ColumnReader r, boolean[] out, int n) {
            for (int i = 0; i < n; i++) {
                out[i] = r.getBoolean();
                r.consume();
            }
        }

        /** Copies (page buffers are reused); null for a null value. */
        private static void readBinaries(ColumnReader r, int maxDefinition, Bytes[] out, int n) {
            for (int i = 0; i < n; i++) {
                out[i] = r.getCurrentDefinitionLevel() == maxDefinition ? Bytes.wrap(r.getBinary().getBytes()) : null;
                r.consume();
            }
        }

        long longValue(int c) { return longs[c][at]; }

        int intValue(int c) { return ints[c][at]; }

        boolean booleanValue(int c) { return booleans[c][at]; }

        /** A binary column's value, empty when null. */
        Optional<Bytes> bytes(int c) { return Optional.ofNullable(binaries[c][at]); }

        <T> Cursor<T> cursor(java.util.function.Supplier<T> row) {
            return new Cursor<>() {
                @Override
                public Optional<T> next() throws IOException {
                    try {
                        return advance() ? Optional.of(row.get()) : Optional.empty();
                    } catch (RuntimeException e) {
                        // Parquet reports corrupt pages and bad checksums unchecked; callers get one checked type.
                        throw new IOException(file + ": unreadable Parquet data", e);
                    }
                }

                @Override
                public void close() throws IOException { reader.close(); }
            };
        }
    }

    /** Values are taken from the column readers directly; nothing is written to a converter. */
    private static final GroupConverter NO_CONVERTER = new GroupConverter() {
        private final PrimitiveConverter none = new PrimitiveConverter() {};

        @Override
        public Converter getConverter(int fieldIndex) { return none; }

        @Override
        public void start() {}

        @Override
        public void end() {}
    };

    /**
     * Streams the records rebuilt from {@code raw}, with the template digest size and byte order from
     * the manifest. Fails with {@link MalformedLogException} naming the record index and offset.
     */
    public Cursor<MeasurementRecord> records() throws IOException {
        Cursor<Row> rows = rows();
        String source = file.toString();
        return new Cursor<>() {
            long offset;

            @Override
            public Optional<MeasurementRecord> next() throws IOException, MalformedLogException {
                Optional<Row> row = rows.next();
                if (row.isEmpty()) return Optional.empty();
                Row r = row.get();
                MeasurementRecord rec = RawRecords.parse(source, r.recordIndex(), offset, r.raw(),
                        manifest.replay().templateDigestAlgorithm(), manifest.replay().byteOrder());
                offset += r.raw().length();
                return Optional.of(rec);
            }

            @Override
            public void close() throws IOException { rows.close(); }
        };
    }
}

package org.imaarchiver.archive.segment;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.conf.HadoopParquetConfiguration;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.schema.MessageType;
import org.imaarchiver.replay.log.Bytes;
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
                ParquetReadOptions.builder(readConfiguration(Optional.empty())).build())) {
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
     * Reader configuration: page checksums verified, the given read projection. A Hadoop
     * {@code Configuration} WITHOUT default resources: one that loads them parses Hadoop's
     * core-default.xml (about 0.1-0.3 s of CPU) for every reader, and Parquet would otherwise build
     * such instances itself (for the read options and for the codec factory). Reading a local file
     * needs none of those defaults.
     */
    private static ParquetConfiguration readConfiguration(Optional<MessageType> projection) {
        Configuration conf = new Configuration(false);
        projection.ifPresent(p -> conf.set(ReadSupport.PARQUET_READ_SCHEMA, p.toString()));
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
        return groups(SegmentSchema.AUTHORITATIVE_PROJECTION,
                g -> new Row(g.getLong(SegmentSchema.RECORD_INDEX, 0), binary(g, SegmentSchema.RAW).orElseThrow()));
    }

    /** Rows of {@code schema} (a projection of the segment's), page checksums verified, mapped by {@code map}. */
    private <T> Cursor<T> groups(MessageType schema, java.util.function.Function<Group, T> map) throws IOException {
        ParquetReader<Group> reader;
        try {
            reader = new GroupReaderBuilder(new LocalInputFile(file), readConfiguration(Optional.of(schema))).build();
        } catch (RuntimeException e) {
            throw new IOException(file + ": unreadable Parquet data", e);
        }
        return new Cursor<>() {
            @Override
            public Optional<T> next() throws IOException {
                Group g;
                try {
                    g = reader.read();
                } catch (RuntimeException e) {
                    // Parquet reports corrupt pages and bad checksums unchecked; callers get one checked type.
                    throw new IOException(file + ": unreadable Parquet data", e);
                }
                return g == null ? Optional.empty() : Optional.of(map.apply(g));
            }

            @Override
            public void close() throws IOException { reader.close(); }
        };
    }

    /**
     * One row with every column: the authoritative {@code (record_index, raw)} and the query columns
     * as stored (absent optional columns are empty). For verifying the query columns against raw.
     */
    public record FullRow(long recordIndex, Bytes raw, int pcr, String templateName, Optional<String> fileDigestAlgorithm,
                          Optional<String> fileDigestHex, Optional<String> name, boolean signaturePresent, boolean violation,
                          Optional<Bytes> buffer, Optional<String> fileDigestType) {}

    /** Streams every column of every row in file order, page checksums verified. */
    public Cursor<FullRow> fullRows() throws IOException {
        return groups(SegmentSchema.SCHEMA, g -> new FullRow(g.getLong(SegmentSchema.RECORD_INDEX, 0),
                binary(g, SegmentSchema.RAW).orElseThrow(), g.getInteger(SegmentSchema.PCR, 0),
                g.getString(SegmentSchema.TEMPLATE_NAME, 0), string(g, SegmentSchema.FILE_DIGEST_ALGORITHM),
                string(g, SegmentSchema.FILE_DIGEST_HEX), string(g, SegmentSchema.NAME),
                g.getBoolean(SegmentSchema.SIGNATURE_PRESENT, 0), g.getBoolean(SegmentSchema.VIOLATION, 0),
                binary(g, SegmentSchema.BUFFER), string(g, SegmentSchema.FILE_DIGEST_TYPE)));
    }

    private static Optional<String> string(Group g, String field) {
        return g.getFieldRepetitionCount(field) == 0 ? Optional.empty() : Optional.of(g.getString(field, 0));
    }

    private static Optional<Bytes> binary(Group g, String field) {
        if (g.getFieldRepetitionCount(field) == 0) return Optional.empty();
        ByteBuffer b = g.getBinary(field, 0).toByteBuffer();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return Optional.of(Bytes.wrap(bytes));
    }

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

    private static final class GroupReaderBuilder extends ParquetReader.Builder<Group> {
        GroupReaderBuilder(InputFile file, ParquetConfiguration conf) { super(file, conf); }

        @Override
        protected ReadSupport<Group> getReadSupport() { return new GroupReadSupport(); }
    }
}

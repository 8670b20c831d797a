package org.imaarchiver.archive.chain;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroup;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;
import org.imaarchiver.archive.segment.SegmentSchema;
import org.imaarchiver.replay.bytes.Bytes;

/** Test-only rewriting of segment files: rows and footer, as an attacker with write access could. */
public final class ParquetSurgery {
    private ParquetSurgery() {}

    /** Rewrites {@code file} in place with edited rows and footer key/values. */
    public static void rewrite(Path file, UnaryOperator<List<Group>> rows, UnaryOperator<Map<String, String>> footer) throws IOException {
        Map<String, String> kv;
        MessageType schema;
        try (ParquetFileReader r = ParquetFileReader.open(new LocalInputFile(file))) {
            kv = new HashMap<>(r.getFooter().getFileMetaData().getKeyValueMetaData());
            schema = r.getFooter().getFileMetaData().getSchema();
        }
        List<Group> all = new ArrayList<>();
        try (ParquetReader<Group> reader = new GroupReaderBuilder(new LocalInputFile(file), new PlainParquetConfiguration()).build()) {
            for (Group g = reader.read(); g != null; g = reader.read()) all.add(copy(g, schema, null, null));
        }
        List<Group> edited = rows.apply(all);
        kv.remove("writer.model.name"); // the write support sets it
        Map<String, String> newKv = footer.apply(kv);
        Path tmp = file.resolveSibling(file.getFileName() + ".rewrite");
        Files.deleteIfExists(tmp);
        // The layout of the reference writer (v2 pages, CRCs, no statistics for raw/buffer, its model name): an
        // attacker rewrites files that pass the layout check, so these edits reach the content checks.
        try (ParquetWriter<Group> w = new GroupWriterBuilder(new LocalOutputFile(tmp), schema, newKv).withConf(new PlainParquetConfiguration())
                .withWriteMode(ParquetFileWriter.Mode.CREATE)
                .withWriterVersion(org.apache.parquet.column.ParquetProperties.WriterVersion.PARQUET_2_0)
                .withPageWriteChecksumEnabled(true)
                .withStatisticsEnabled(SegmentSchema.RAW, false)
                .withStatisticsEnabled(SegmentSchema.BUFFER, false)
                .build()) {
            for (Group g : edited) w.write(g);
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Rewrites the Thrift footer (FileMetaData) in place, keeping everything before it: the edit an
     * attacker makes to statistics or metadata without touching pages, manifest or signature.
     */
    public static void editFooter(Path file, java.util.function.Consumer<org.apache.parquet.format.FileMetaData> edit) throws IOException {
        byte[] b = Files.readAllBytes(file);
        int len = java.nio.ByteBuffer.wrap(b, b.length - 8, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
        int start = b.length - 8 - len;
        org.apache.parquet.format.FileMetaData fmd = org.apache.parquet.format.Util.readFileMetaData(
                new java.io.ByteArrayInputStream(b, start, len));
        edit.accept(fmd);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(b, 0, start);
        java.io.ByteArrayOutputStream footer = new java.io.ByteArrayOutputStream();
        org.apache.parquet.format.Util.writeFileMetaData(fmd, footer);
        out.writeBytes(footer.toByteArray());
        out.writeBytes(java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(footer.size()).array());
        out.writeBytes("PAR1".getBytes(StandardCharsets.US_ASCII));
        Files.write(file, out.toByteArray());
    }

    /** The footer metadata of column {@code column} in row group 0. */
    public static org.apache.parquet.format.ColumnMetaData column(org.apache.parquet.format.FileMetaData fmd, String column) {
        for (org.apache.parquet.format.ColumnChunk c : fmd.getRow_groups().get(0).getColumns()) {
            if (c.getMeta_data().getPath_in_schema().equals(List.of(column))) return c.getMeta_data();
        }
        throw new IllegalArgumentException("no column " + column);
    }

    /** Footer edit: replace manifest and signature. */
    public static UnaryOperator<Map<String, String>> footer(Bytes manifest, Bytes cms) {
        return kv -> {
            kv.put(SegmentSchema.MANIFEST_KEY, new String(manifest.toArray(), StandardCharsets.US_ASCII));
            kv.put(SegmentSchema.MANIFEST_SIGNATURE_KEY, Base64.getEncoder().encodeToString(cms.toArray()));
            return kv;
        };
    }

    /** A copy of {@code g}; with {@code field} set, that field's value replaced by {@code value}. */
    public static Group copy(Group g, MessageType schema, String field, Object value) {
        SimpleGroup c = new SimpleGroup(schema);
        for (int i = 0; i < schema.getFieldCount(); i++) {
            Type t = schema.getType(i);
            String name = t.getName();
            int n = g.getFieldRepetitionCount(i);
            if (name.equals(field)) {
                if (value instanceof Long l) c.add(i, l);
                else if (value instanceof byte[] b) c.add(i, Binary.fromConstantByteArray(b));
                continue;
            }
            for (int j = 0; j < n; j++) {
                switch (t.asPrimitiveType().getPrimitiveTypeName()) {
                    case INT64 -> c.add(i, g.getLong(i, j));
                    case INT32 -> c.add(i, g.getInteger(i, j));
                    case BOOLEAN -> c.add(i, g.getBoolean(i, j));
                    case BINARY -> c.add(i, g.getBinary(i, j));
                    default -> throw new IllegalStateException("column type " + t);
                }
            }
        }
        return c;
    }

    /** The byte offset of the middle of column {@code column}'s chunk in the first row group. */
    public static long middleOfColumn(Path file, String column) throws IOException {
        try (ParquetFileReader r = ParquetFileReader.open(new LocalInputFile(file))) {
            for (var c : r.getFooter().getBlocks().get(0).getColumns()) {
                if (c.getPath().toDotString().equals(column)) return c.getStartingPos() + c.getTotalSize() / 2;
            }
        }
        throw new IllegalArgumentException("no column " + column);
    }

    public static byte[] raw(Group g) { return g.getBinary(SegmentSchema.RAW, 0).getBytes(); }

    private static final class GroupWriterBuilder extends ParquetWriter.Builder<Group, GroupWriterBuilder> {
        private final MessageType schema;
        private final Map<String, String> kv;

        GroupWriterBuilder(org.apache.parquet.io.OutputFile file, MessageType schema, Map<String, String> kv) {
            super(file);
            this.schema = schema;
            this.kv = kv;
        }

        @Override protected GroupWriterBuilder self() { return this; }

        @Override
        protected org.apache.parquet.hadoop.api.WriteSupport<Group> getWriteSupport(org.apache.hadoop.conf.Configuration conf) {
            return support();
        }

        @Override
        protected org.apache.parquet.hadoop.api.WriteSupport<Group> getWriteSupport(ParquetConfiguration conf) { return support(); }

        private org.apache.parquet.hadoop.api.WriteSupport<Group> support() {
            return new org.apache.parquet.hadoop.api.WriteSupport<>() {
                private org.apache.parquet.example.data.GroupWriter writer;

                @Override
                public WriteContext init(org.apache.hadoop.conf.Configuration c) { return new WriteContext(schema, kv); }

                @Override
                public WriteContext init(ParquetConfiguration c) { return new WriteContext(schema, kv); }

                @Override
                public void prepareForWrite(org.apache.parquet.io.api.RecordConsumer rc) {
                    writer = new org.apache.parquet.example.data.GroupWriter(rc, schema);
                }

                @Override
                public void write(Group g) { writer.write(g); }

                @Override
                public String getName() { return "ima-archiver"; }
            };
        }
    }

    private static final class GroupReaderBuilder extends ParquetReader.Builder<Group> {
        GroupReaderBuilder(InputFile file, ParquetConfiguration conf) { super(file, conf); }

        @Override
        protected ReadSupport<Group> getReadSupport() { return new GroupReadSupport(); }
    }

}

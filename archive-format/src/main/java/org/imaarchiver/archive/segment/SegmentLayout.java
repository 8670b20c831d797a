package org.imaarchiver.archive.segment;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.parquet.column.statistics.SizeStatistics;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.format.ColumnChunk;
import org.apache.parquet.format.ColumnIndex;
import org.apache.parquet.format.ColumnMetaData;
import org.apache.parquet.format.ConvertedType;
import org.apache.parquet.format.DataPageHeaderV2;
import org.apache.parquet.format.Encoding;
import org.apache.parquet.format.FieldRepetitionType;
import org.apache.parquet.format.FileMetaData;
import org.apache.parquet.format.KeyValue;
import org.apache.parquet.format.LogicalType;
import org.apache.parquet.format.OffsetIndex;
import org.apache.parquet.format.PageEncodingStats;
import org.apache.parquet.format.PageHeader;
import org.apache.parquet.format.PageLocation;
import org.apache.parquet.format.PageType;
import org.apache.parquet.format.RowGroup;
import org.apache.parquet.format.SchemaElement;
import org.apache.parquet.format.StringType;
import org.apache.parquet.format.Type;
import org.apache.parquet.format.Util;
import org.apache.parquet.format.converter.ParquetMetadataConverter;
import org.apache.parquet.internal.column.columnindex.ColumnIndexBuilder;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.imaarchiver.replay.bytes.Bytes;

/**
 * The structure of a segment file around its rows (docs/archive-format.md §12 step 9a): every byte a
 * Parquet reader or a query engine acts on, other than the row values (data digest, query columns)
 * and the page bodies (page CRCs), is checked here. Thrift structures (footer, page headers, column
 * and offset indexes) must re-encode to exactly their bytes, so no byte can hide in a skipped or
 * unknown field; the schema must be §5's; statistics, size statistics, column and offset indexes must
 * equal what the streamed rows give (query engines prune row groups and pages with them: a lying
 * minimum could hide the row an analyst searches for); page headers must describe the pages.
 *
 * <p>Use: {@link #read}, feed every row in file order to {@link #accept}, then {@link #finish}.
 * Memory: the footer, one page header at a time and one statistics object per page.
 */
public final class SegmentLayout {
    /** One structure of the file that is not what the schema and the rows require. */
    public record Problem(String structure, String expected, String found) {}

    /** parquet-mr's default (the writer does not change it): min/max in column indexes are truncated to this. */
    static final int COLUMN_INDEX_TRUNCATE_LENGTH = 64;
    /** Columns the writer keeps no statistics for (§5 note 3): no column index, no min/max. */
    static final Set<String> NO_STATISTICS = Set.of(SegmentSchema.RAW, SegmentSchema.BUFFER);
    static final String WRITER_MODEL_KEY = "writer.model.name";
    static final String WRITER_MODEL = "ima-archiver";
    private static final Pattern CREATED_BY = Pattern.compile("parquet-mr version 1\\.(1[2-9]|[2-9][0-9])\\.[0-9]+(-SNAPSHOT)? \\(build [0-9a-f]{40}\\)");
    private static final byte[] MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);

    private final List<Problem> problems = new ArrayList<>();
    private final List<PrimitiveType> columns = SegmentSchema.SCHEMA.getColumns().stream().map(c -> c.getPrimitiveType()).toList();
    /** Per row group, per column: the data pages' row counts and the chunk's metadata. */
    private final List<Chunk[]> groups = new ArrayList<>();
    private final Optional<String> footerSignature;
    private int group;
    private long rowInGroup;
    /** {@link #groupRows} per row group, computed once (the pages are walked before the first row). */
    private final List<Long> groupRows = new ArrayList<>();

    private SegmentLayout(Optional<String> footerSignature) { this.footerSignature = footerSignature; }

    /** The footer's base64 signature value, if any (the caller compares it with the sidecar CMS). */
    public Optional<String> footerSignature() { return footerSignature; }

    private final class Chunk {
        final String column;
        final PrimitiveType type;
        final ColumnMetaData meta;
        final Optional<ColumnIndex> columnIndex;
        final Optional<OffsetIndex> offsetIndex;
        final List<Long> pageRows = new ArrayList<>();
        final List<Long> pageNulls = new ArrayList<>();
        final Statistics<?> chunkStats;
        final List<Statistics<?>> pageStats = new ArrayList<>();
        final List<SizeStatistics.Builder> pageSize = new ArrayList<>();
        final List<Long> pageNullsSeen = new ArrayList<>();
        final int maxDef;
        final boolean withStatistics;
        int page = -1;
        long pageEnd;
        Statistics<?> currentStats;
        SizeStatistics.Builder currentSize;

        Chunk(PrimitiveType type, ColumnMetaData meta, Optional<ColumnIndex> ci, Optional<OffsetIndex> oi) {
            this.column = type.getName();
            this.type = type;
            this.meta = meta;
            this.columnIndex = ci;
            this.offsetIndex = oi;
            this.chunkStats = Statistics.createStats(type);
            this.maxDef = type.getRepetition() == org.apache.parquet.schema.Type.Repetition.OPTIONAL ? 1 : 0;
            this.withStatistics = !NO_STATISTICS.contains(column);
        }

        int maxDef() { return maxDef; }

        /**
         * Moves to the page holding {@code row} (rows arrive in order); the statistics of that page,
         * or null when the pages hold fewer rows (reported by finish).
         */
        private Statistics<?> pageFor(long row) {
            while (row >= pageEnd && page + 1 < pageRows.size()) {
                page++;
                pageEnd += pageRows.get(page);
                pageStats.add(Statistics.createStats(type));
                pageSize.add(SizeStatistics.newBuilder(type, 0, maxDef));
                pageNullsSeen.add(0L);
                currentStats = pageStats.get(page);
                currentSize = pageSize.get(page);
            }
            if (page < 0 || row >= pageEnd) return null;
            return currentStats;
        }

        // Page level only: the chunk's statistics are the pages' merged (finish), half the work per row.

        void nullValue(long row) {
            Statistics<?> ps = pageFor(row);
            if (ps == null) return;
            ps.incrementNumNulls();
            currentSize.add(0, 0);
            pageNullsSeen.set(page, pageNullsSeen.get(page) + 1);
        }

        void longValue(long row, long v) {
            Statistics<?> ps = pageFor(row);
            if (ps == null) return;
            ((Statistics) ps).updateStats(v);
            currentSize.add(0, maxDef);
        }

        void intValue(long row, int v) {
            Statistics<?> ps = pageFor(row);
            if (ps == null) return;
            ((Statistics) ps).updateStats(v);
            currentSize.add(0, maxDef);
        }

        void booleanValue(long row, boolean v) {
            Statistics<?> ps = pageFor(row);
            if (ps == null) return;
            ((Statistics) ps).updateStats(v);
            currentSize.add(0, maxDef);
        }

        void binaryValue(long row, Optional<Bytes> v) {
            if (v.isEmpty()) {
                nullValue(row);
                return;
            }
            Statistics<?> ps = pageFor(row);
            if (ps == null) return;
            // No statistics for raw/buffer: only their lengths count (size statistics), so no copy. The
            // others are compared for min/max, which is several times faster on an array than through
            // a ByteBuffer (Binary.lexicographicCompare led the layout check's samples).
            Binary bin = withStatistics ? Binary.fromConstantByteArray(v.get().toArray())
                    : Binary.fromConstantByteBuffer(v.get().asReadOnlyBuffer());
            if (withStatistics) ((Statistics) ps).updateStats(bin);
            currentSize.add(0, maxDef, bin);
        }
    }

    /**
     * Reads and checks the structure of {@code file} (already opened by {@link SegmentReader}, so its
     * footer parses). Structural problems are kept for {@link #finish}.
     */
    public static SegmentLayout read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            byte[] tail = read(ch, size - 8, 8);
            int footerLen = ByteBuffer.wrap(tail, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            byte[] footer = read(ch, size - 8 - footerLen, footerLen);
            FileMetaData fmd = Util.readFileMetaData(new ByteArrayInputStream(footer));
            Optional<String> sig = fmd.getKey_value_metadata() == null ? Optional.empty() : fmd.getKey_value_metadata().stream()
                    .filter(kv -> kv.getKey().equals(SegmentSchema.MANIFEST_SIGNATURE_KEY)).map(KeyValue::getValue).findFirst();
            SegmentLayout l = new SegmentLayout(sig);
            if (!Arrays.equals(read(ch, 0, 4), MAGIC)) l.problem("leading magic", "PAR1", "other bytes");
            l.canonical("footer", footer, out -> Util.writeFileMetaData(fmd, out));
            l.checkFooter(fmd);
            l.checkRowGroups(ch, fmd, size - 8 - footerLen);
            return l;
        }
    }

    private interface Writer { void write(ByteArrayOutputStream out) throws IOException; }

    /** Thrift compact encoding is canonical for a struct: bytes that do not re-encode hide something. */
    private void canonical(String what, byte[] stored, Writer w) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(stored.length);
        w.write(out);
        if (!Arrays.equals(out.toByteArray(), stored)) problem(what + " encoding", "canonical Thrift", "other bytes");
    }

    private void problem(String structure, Object expected, Object found) {
        problems.add(new Problem(structure, String.valueOf(expected), String.valueOf(found)));
    }

    private void checkFooter(FileMetaData fmd) {
        if (fmd.getVersion() != 1) problem("footer version", 1, fmd.getVersion());
        List<SchemaElement> expected = expectedSchema();
        if (!expected.equals(fmd.getSchema())) problem("footer schema", expected, fmd.getSchema());
        if (!fmd.isSetColumn_orders() || fmd.getColumn_orders().size() != columns.size()
                || !fmd.getColumn_orders().stream().allMatch(o -> o.isSetTYPE_ORDER())) {
            problem("footer column_orders", "TYPE_ORDER per column", fmd.getColumn_orders());
        }
        if (fmd.isSetEncryption_algorithm() || fmd.isSetFooter_signing_key_metadata()) problem("footer encryption", "none", "set");
        if (!fmd.isSetCreated_by() || !CREATED_BY.matcher(fmd.getCreated_by()).matches()) {
            problem("footer created_by", CREATED_BY.pattern(), fmd.getCreated_by());
        }
        Set<String> keys = new HashSet<>();
        for (KeyValue kv : Optional.ofNullable(fmd.getKey_value_metadata()).orElse(List.of())) {
            if (!keys.add(kv.getKey())) problem("footer key " + kv.getKey(), "once", "twice");
            boolean known = kv.getKey().equals(SegmentSchema.MANIFEST_KEY) || kv.getKey().equals(SegmentSchema.MANIFEST_SIGNATURE_KEY)
                    || kv.getKey().equals(WRITER_MODEL_KEY);
            if (!known) problem("footer key/value metadata", "only " + SegmentSchema.MANIFEST_KEY + ", "
                    + SegmentSchema.MANIFEST_SIGNATURE_KEY + ", " + WRITER_MODEL_KEY, kv.getKey());
            if (kv.getKey().equals(WRITER_MODEL_KEY) && !WRITER_MODEL.equals(kv.getValue())) {
                problem("footer " + WRITER_MODEL_KEY, WRITER_MODEL, kv.getValue());
            }
        }
    }

    /** §5 as Parquet's SchemaElements: the root, then each column with type, repetition, name, id, STRING. */
    static List<SchemaElement> expectedSchema() {
        MessageType s = SegmentSchema.SCHEMA;
        List<SchemaElement> list = new ArrayList<>();
        SchemaElement root = new SchemaElement(s.getName());
        root.setNum_children(s.getFieldCount());
        list.add(root);
        for (org.apache.parquet.schema.Type f : s.getFields()) {
            PrimitiveType p = f.asPrimitiveType();
            SchemaElement e = new SchemaElement(p.getName());
            e.setType(thriftType(p));
            e.setRepetition_type(FieldRepetitionType.valueOf(p.getRepetition().name()));
            e.setField_id(p.getId().intValue());
            if (p.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation) {
                e.setConverted_type(ConvertedType.UTF8);
                e.setLogicalType(LogicalType.STRING(new StringType()));
            }
            list.add(e);
        }
        return list;
    }

    private static Type thriftType(PrimitiveType p) {
        return p.getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.BINARY ? Type.BYTE_ARRAY
                : Type.valueOf(p.getPrimitiveTypeName().name());
    }

    private void checkRowGroups(FileChannel ch, FileMetaData fmd, long footerStart) throws IOException {
        long rows = 0;
        long expectedStart = 4;
        for (int g = 0; g < fmd.getRow_groupsSize(); g++) {
            RowGroup rg = fmd.getRow_groups().get(g);
            String where = "row group " + g;
            if (rg.isSetOrdinal() && rg.getOrdinal() != g) problem(where + " ordinal", g, rg.getOrdinal());
            if (rg.isSetSorting_columns()) problem(where + " sorting_columns", "none", rg.getSorting_columns());
            if (rg.getColumnsSize() != columns.size()) {
                problem(where + " columns", columns.size(), rg.getColumnsSize());
                groups.add(new Chunk[0]);
                continue;
            }
            Chunk[] chunks = new Chunk[columns.size()];
            long compressed = 0;
            long uncompressed = 0;
            for (int c = 0; c < columns.size(); c++) {
                ColumnChunk cc = rg.getColumns().get(c);
                PrimitiveType type = columns.get(c);
                String cw = where + " column " + type.getName();
                ColumnMetaData md = cc.getMeta_data();
                if (md == null) {
                    problem(cw + " meta_data", "present", "absent");
                    continue;
                }
                long start = md.isSetDictionary_page_offset() ? md.getDictionary_page_offset() : md.getData_page_offset();
                if (c == 0 && rg.isSetFile_offset() && rg.getFile_offset() != start) problem(where + " file_offset", start, rg.getFile_offset());
                if (start != expectedStart) problem(cw + " start", expectedStart, start);
                expectedStart = start + md.getTotal_compressed_size();
                if (cc.isSetFile_path()) problem(cw + " file_path", "none", cc.getFile_path());
                // Deprecated in parquet.thrift and ignored by readers; parquet-mr writes 0. Pinned so no bit of it is free.
                if (cc.getFile_offset() != 0) problem(cw + " file_offset", 0, cc.getFile_offset());
                if (cc.isSetCrypto_metadata() || cc.isSetEncrypted_column_metadata()) problem(cw + " encryption", "none", "set");
                if (md.getType() != thriftType(type)) problem(cw + " type", type.getPrimitiveTypeName(), md.getType());
                if (!List.of(type.getName()).equals(md.getPath_in_schema())) problem(cw + " path_in_schema", type.getName(), md.getPath_in_schema());
                if (md.isSetKey_value_metadata()) problem(cw + " key_value_metadata", "none", md.getKey_value_metadata());
                if (md.isSetIndex_page_offset()) problem(cw + " index_page_offset", "none", md.getIndex_page_offset());
                if (md.isSetBloom_filter_offset() || md.isSetBloom_filter_length()) problem(cw + " bloom filter", "none", md.getBloom_filter_offset());
                if (md.isSetGeospatial_statistics()) problem(cw + " geospatial_statistics", "none", "set");
                compressed += md.getTotal_compressed_size();
                uncompressed += md.getTotal_uncompressed_size();
                Optional<ColumnIndex> ci = Optional.empty();
                Optional<OffsetIndex> oi = Optional.empty();
                if (cc.isSetColumn_index_offset()) {
                    byte[] b = read(ch, cc.getColumn_index_offset(), cc.getColumn_index_length());
                    ColumnIndex x = Util.readColumnIndex(new ByteArrayInputStream(b));
                    canonical(cw + " column index", b, out -> Util.writeColumnIndex(x, out));
                    ci = Optional.of(x);
                } else if (cc.isSetColumn_index_length()) {
                    problem(cw + " column_index_length", "none", cc.getColumn_index_length());
                }
                if (cc.isSetOffset_index_offset()) {
                    byte[] b = read(ch, cc.getOffset_index_offset(), cc.getOffset_index_length());
                    OffsetIndex x = Util.readOffsetIndex(new ByteArrayInputStream(b));
                    canonical(cw + " offset index", b, out -> Util.writeOffsetIndex(x, out));
                    oi = Optional.of(x);
                } else {
                    problem(cw + " offset index", "present", "absent");
                }
                Chunk chunk = new Chunk(type, md, ci, oi);
                chunks[c] = chunk;
                walkPages(ch, cw, chunk, start, md, footerStart);
            }
            if (rg.getTotal_byte_size() != uncompressed) problem(where + " total_byte_size", uncompressed, rg.getTotal_byte_size());
            if (rg.isSetTotal_compressed_size() && rg.getTotal_compressed_size() != compressed) {
                problem(where + " total_compressed_size", compressed, rg.getTotal_compressed_size());
            }
            groups.add(chunks);
            rows += rg.getNum_rows();
        }
        if (rows != fmd.getNum_rows()) problem("footer num_rows", rows, fmd.getNum_rows());
    }

    private void walkPages(FileChannel ch, String cw, Chunk chunk, long start, ColumnMetaData md, long footerStart) throws IOException {
        long end = start + md.getTotal_compressed_size();
        if (end > footerStart) {
            problem(cw + " total_compressed_size", "within the file", md.getTotal_compressed_size());
            return;
        }
        long pos = start;
        long uncompressed = 0;
        long values = 0;
        boolean first = true;
        Set<Encoding> encodings = new HashSet<>();
        Map<String, Integer> stats = new java.util.TreeMap<>();
        List<PageLocation> locations = new ArrayList<>();
        long firstRow = 0;
        while (pos < end) {
            int window = (int) Math.min(end - pos, 1 << 16);
            byte[] b = read(ch, pos, window);
            ByteArrayInputStream in = new ByteArrayInputStream(b);
            PageHeader h = Util.readPageHeader(in);
            int hl = window - in.available();
            canonical(cw + " page header at " + pos, Arrays.copyOf(b, hl), out -> Util.writePageHeader(h, out));
            if (!h.isSetCrc()) problem(cw + " page crc at " + pos, "present", "absent");
            if (h.getCompressed_page_size() < 0 || h.getUncompressed_page_size() < 0) problem(cw + " page sizes at " + pos, ">= 0", "negative");
            uncompressed += hl + (long) h.getUncompressed_page_size();
            if (h.getType() == PageType.DICTIONARY_PAGE && first && h.isSetDictionary_page_header()) {
                if (!md.isSetDictionary_page_offset() || md.getDictionary_page_offset() != pos) {
                    problem(cw + " dictionary_page_offset", pos, md.isSetDictionary_page_offset() ? md.getDictionary_page_offset() : "absent");
                }
                if (h.getDictionary_page_header().isSetIs_sorted()) problem(cw + " dictionary is_sorted", "absent", "set");
                encodings.add(h.getDictionary_page_header().getEncoding());
                stats.merge("DICTIONARY_PAGE/" + h.getDictionary_page_header().getEncoding(), 1, Integer::sum);
            } else if (h.getType() == PageType.DATA_PAGE_V2 && h.isSetData_page_header_v2()) {
                if (locations.isEmpty() && md.getData_page_offset() != pos) problem(cw + " data_page_offset", pos, md.getData_page_offset());
                if (first && md.isSetDictionary_page_offset()) problem(cw + " dictionary_page_offset", "none", md.getDictionary_page_offset());
                DataPageHeaderV2 v2 = h.getData_page_header_v2();
                if (v2.isSetStatistics()) problem(cw + " page statistics at " + pos, "none", "set");
                if (v2.getNum_rows() != v2.getNum_values()) problem(cw + " page num_rows at " + pos, v2.getNum_values(), v2.getNum_rows());
                if (v2.getRepetition_levels_byte_length() != 0) problem(cw + " page repetition levels at " + pos, 0, v2.getRepetition_levels_byte_length());
                encodings.add(v2.getEncoding());
                stats.merge("DATA_PAGE_V2/" + v2.getEncoding(), 1, Integer::sum);
                values += v2.getNum_values();
                chunk.pageRows.add((long) v2.getNum_rows());
                chunk.pageNulls.add((long) v2.getNum_nulls());
                locations.add(new PageLocation(pos, hl + h.getCompressed_page_size(), firstRow));
                firstRow += v2.getNum_rows();
            } else {
                problem(cw + " page at " + pos, first ? "DICTIONARY_PAGE or DATA_PAGE_V2" : "DATA_PAGE_V2", h.getType());
            }
            first = false;
            pos += hl + (long) h.getCompressed_page_size();
        }
        if (pos != end) problem(cw + " pages", "ending at " + end, "ending at " + pos);
        if (uncompressed != md.getTotal_uncompressed_size()) problem(cw + " total_uncompressed_size", uncompressed, md.getTotal_uncompressed_size());
        if (values != md.getNum_values()) problem(cw + " num_values", values, md.getNum_values());
        // v2 pages store levels RLE without naming it; parquet-mr lists only the value encodings.
        if (!encodings.equals(new HashSet<>(md.getEncodings())) || md.getEncodings().size() != encodings.size()) {
            problem(cw + " encodings", encodings, md.getEncodings());
        }
        Map<String, Integer> storedStats = new java.util.TreeMap<>();
        for (PageEncodingStats s : Optional.ofNullable(md.getEncoding_stats()).orElse(List.of())) {
            storedStats.merge(s.getPage_type() + "/" + s.getEncoding(), s.getCount(), (a, x) -> -1);
        }
        if (!stats.equals(storedStats)) problem(cw + " encoding_stats", stats, storedStats);
        if (chunk.offsetIndex.isPresent() && !locations.equals(chunk.offsetIndex.get().getPage_locations())) {
            problem(cw + " offset index page_locations", locations, chunk.offsetIndex.get().getPage_locations());
        }
    }

    /** Feeds the next row (file order) for the statistics and per-page counts. */
    public void accept(SegmentReader.FullRow row) {
        while (group < groups.size() && rowInGroup >= groupRows(group)) {
            group++;
            rowInGroup = 0;
        }
        if (group >= groups.size()) return; // more rows than the footer says: record-count-mismatch
        Chunk[] chunks = groups.get(group);
        long at = rowInGroup;
        // Positions are SegmentSchema.SCHEMA's field order (checked when the class loads).
        if (chunks.length == COLUMN_COUNT) {
            if (chunks[0] != null) chunks[0].longValue(at, row.recordIndex());
            if (chunks[1] != null) chunks[1].intValue(at, row.pcr());
            if (chunks[2] != null) chunks[2].binaryValue(at, Optional.of(row.templateName()));
            if (chunks[3] != null) chunks[3].binaryValue(at, Optional.of(row.raw()));
            if (chunks[4] != null) chunks[4].binaryValue(at, row.fileDigestAlgorithm());
            if (chunks[5] != null) chunks[5].binaryValue(at, row.fileDigestHex());
            if (chunks[6] != null) chunks[6].binaryValue(at, row.name());
            if (chunks[7] != null) chunks[7].booleanValue(at, row.signaturePresent());
            if (chunks[8] != null) chunks[8].booleanValue(at, row.violation());
            if (chunks[9] != null) chunks[9].binaryValue(at, row.buffer());
            if (chunks[10] != null) chunks[10].binaryValue(at, row.fileDigestType());
        }
        rowInGroup++;
    }

    private static final int COLUMN_COUNT = 11;
    static {
        List<String> order = List.of(SegmentSchema.RECORD_INDEX, SegmentSchema.PCR, SegmentSchema.TEMPLATE_NAME, SegmentSchema.RAW,
                SegmentSchema.FILE_DIGEST_ALGORITHM, SegmentSchema.FILE_DIGEST_HEX, SegmentSchema.NAME, SegmentSchema.SIGNATURE_PRESENT,
                SegmentSchema.VIOLATION, SegmentSchema.BUFFER, SegmentSchema.FILE_DIGEST_TYPE);
        List<String> schema = SegmentSchema.SCHEMA.getFields().stream().map(org.apache.parquet.schema.Type::getName).toList();
        if (!order.equals(schema)) throw new IllegalStateException("SegmentLayout.accept does not follow the schema's column order");
    }

    /** Rows of row group {@code g} by its first column's data pages (a row group without chunks has none). */
    private long groupRows(int g) {
        if (g >= groupRows.size()) {
            for (int k = groupRows.size(); k <= g; k++) {
                Chunk[] chunks = groups.get(k);
                groupRows.add(chunks.length == 0 || chunks[0] == null ? 0 : chunks[0].pageRows.stream().mapToLong(Long::longValue).sum());
            }
        }
        return groupRows.get(g);
    }

    /** Compares statistics, size statistics, page null counts and the column index with the rows fed; all problems. */
    public List<Problem> finish() {
        for (int g = 0; g < groups.size(); g++) {
            for (Chunk c : groups.get(g)) {
                if (c == null) continue;
                String cw = "row group " + g + " column " + c.column;
                while (c.page + 1 < c.pageRows.size()) { // pages no row reached (fewer rows than pages claim)
                    c.page++;
                    c.pageStats.add(Statistics.createStats(c.type));
                    c.pageSize.add(SizeStatistics.newBuilder(c.type, 0, c.maxDef()));
                    c.pageNullsSeen.add(0L);
                }
                if (!c.pageNulls.equals(c.pageNullsSeen)) problem(cw + " page num_nulls", c.pageNullsSeen, c.pageNulls);
                List<SizeStatistics> pageSizes = c.pageSize.stream().map(SizeStatistics.Builder::build).toList();
                SizeStatistics size = SizeStatistics.newBuilder(c.type, 0, c.maxDef()).build();
                for (int p = 0; p < pageSizes.size(); p++) {
                    ((Statistics) c.chunkStats).mergeStatistics(c.pageStats.get(p));
                    if (p == 0) size = pageSizes.get(0).copy();
                    else size.mergeStatistics(pageSizes.get(p));
                }
                boolean withStats = !NO_STATISTICS.contains(c.column);
                org.apache.parquet.format.Statistics expected = withStats
                        ? ParquetMetadataConverter.toParquetStatistics(c.chunkStats)
                        : new org.apache.parquet.format.Statistics();
                org.apache.parquet.format.Statistics found = c.meta.getStatistics();
                if (!withStats && found != null && found.equals(expected)) found = expected;
                if (!expected.equals(found == null ? new org.apache.parquet.format.Statistics() : found)) {
                    problem(cw + " statistics", expected, found);
                }
                org.apache.parquet.format.SizeStatistics expectedSize = ParquetMetadataConverter.toParquetSizeStatistics(size);
                if (!java.util.Objects.equals(expectedSize, c.meta.getSize_statistics())) {
                    problem(cw + " size_statistics", expectedSize, c.meta.getSize_statistics());
                }
                if (c.offsetIndex.isPresent() && c.type.getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.BINARY) {
                    List<Long> bytes = pageSizes.stream().map(b -> b.getUnencodedByteArrayDataBytes().orElse(0L)).toList();
                    if (!bytes.equals(c.offsetIndex.get().getUnencoded_byte_array_data_bytes())) {
                        problem(cw + " offset index unencoded_byte_array_data_bytes", bytes, c.offsetIndex.get().getUnencoded_byte_array_data_bytes());
                    }
                } else if (c.offsetIndex.isPresent() && c.offsetIndex.get().isSetUnencoded_byte_array_data_bytes()) {
                    problem(cw + " offset index unencoded_byte_array_data_bytes", "none", "set");
                }
                if (withStats) {
                    ColumnIndexBuilder b = ColumnIndexBuilder.getBuilder(c.type, COLUMN_INDEX_TRUNCATE_LENGTH);
                    for (int p = 0; p < c.pageStats.size(); p++) b.add(c.pageStats.get(p), pageSizes.get(p));
                    ColumnIndex expectedIndex = ParquetMetadataConverter.toParquetColumnIndex(c.type, b.build());
                    if (!java.util.Objects.equals(expectedIndex, c.columnIndex.orElse(null))) {
                        problem(cw + " column index", expectedIndex, c.columnIndex.orElse(null));
                    }
                } else if (c.columnIndex.isPresent()) {
                    problem(cw + " column index", "none", "present");
                }
            }
        }
        return List.copyOf(problems);
    }

    private static byte[] read(FileChannel ch, long at, int length) throws IOException {
        if (at < 0 || length < 0 || at + length > ch.size()) throw new IOException("structure at " + at + " (+" + length + ") outside the file");
        ByteBuffer b = ByteBuffer.allocate(length);
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position()) < 0) throw new IOException("short read at " + at);
        }
        return b.array();
    }
}

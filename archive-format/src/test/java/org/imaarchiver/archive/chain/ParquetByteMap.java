package org.imaarchiver.archive.chain;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.parquet.format.PageHeader;
import org.apache.parquet.format.Util;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.io.LocalInputFile;
import shaded.parquet.org.apache.thrift.TException;
import shaded.parquet.org.apache.thrift.protocol.TCompactProtocol;
import shaded.parquet.org.apache.thrift.protocol.TField;
import shaded.parquet.org.apache.thrift.protocol.TList;
import shaded.parquet.org.apache.thrift.protocol.TMap;
import shaded.parquet.org.apache.thrift.protocol.TProtocol;
import shaded.parquet.org.apache.thrift.protocol.TSet;
import shaded.parquet.org.apache.thrift.transport.TIOStreamTransport;

/**
 * Test-only: names the structure every byte of a (well-formed) Parquet file belongs to, down to the
 * Thrift field path in page headers, column/offset indexes and the footer (numeric field ids, as in
 * parquet.thrift). For reporting which bytes a tamper check leaves uncovered.
 */
public final class ParquetByteMap {
    private final String[] where;

    private ParquetByteMap(String[] where) { this.where = where; }

    public String at(long offset) { return where[(int) offset]; }

    public int size() { return where.length; }

    public static ParquetByteMap of(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        String[] w = new String[b.length];
        Arrays.fill(w, "unmapped");
        mark(w, 0, 4, "magic");
        mark(w, b.length - 4, b.length, "magic");
        mark(w, b.length - 8, b.length - 4, "footer length");
        int footerLen = ByteBuffer.wrap(b, b.length - 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        int footerStart = b.length - 8 - footerLen;
        thrift(b, footerStart, b.length - 8, "footer", w);
        try (ParquetFileReader r = ParquetFileReader.open(new LocalInputFile(file))) {
            int g = 0;
            for (BlockMetaData block : r.getFooter().getBlocks()) {
                for (ColumnChunkMetaData c : block.getColumns()) {
                    String col = "rg" + g + "/" + c.getPath().toDotString();
                    long pos = c.getStartingPos();
                    long end = pos + c.getTotalSize();
                    int page = 0;
                    while (pos < end) {
                        ByteArrayInputStream in = new ByteArrayInputStream(b, (int) pos, (int) (end - pos));
                        int before = in.available();
                        PageHeader h = Util.readPageHeader(in);
                        int hl = before - in.available();
                        thrift(b, (int) pos, (int) pos + hl, col + " page" + page + " header", w);
                        mark(w, (int) pos + hl, (int) pos + hl + h.getCompressed_page_size(),
                                col + " page" + page + " " + h.getType() + " body");
                        pos += hl + h.getCompressed_page_size();
                        page++;
                    }
                    if (c.getColumnIndexReference() != null) {
                        long o = c.getColumnIndexReference().getOffset();
                        thrift(b, (int) o, (int) o + c.getColumnIndexReference().getLength(), col + " column index", w);
                    }
                    if (c.getOffsetIndexReference() != null) {
                        long o = c.getOffsetIndexReference().getOffset();
                        thrift(b, (int) o, (int) o + c.getOffsetIndexReference().getLength(), col + " offset index", w);
                    }
                    if (c.getBloomFilterOffset() >= 0) mark(w, (int) c.getBloomFilterOffset(), (int) c.getBloomFilterOffset() + 1, col + " bloom filter");
                }
                g++;
            }
        }
        return new ParquetByteMap(w);
    }

    private static void mark(String[] w, int from, int to, String what) {
        for (int i = from; i < to && i < w.length; i++) w[i] = what;
    }

    /** Marks each byte of the Thrift compact struct in {@code [from, to)} with its field path. */
    private static void thrift(byte[] b, int from, int to, String what, String[] w) {
        mark(w, from, to, what + " (unparsed)");
        ByteArrayInputStream in = new ByteArrayInputStream(b, from, to - from);
        int total = to - from;
        try {
            TProtocol p = new TCompactProtocol(new TIOStreamTransport(in));
            struct(p, in, total, from, what + ":", w);
        } catch (TException e) {
            // leave the rest "unparsed"
        }
    }

    private static int pos(ByteArrayInputStream in, int total, int base) { return base + total - in.available(); }

    private static void struct(TProtocol p, ByteArrayInputStream in, int total, int base, String path, String[] w) throws TException {
        p.readStructBegin();
        while (true) {
            int s = pos(in, total, base);
            TField f = p.readFieldBegin();
            if (f.type == (byte) 0) {
                mark(w, s, pos(in, total, base), path + "stop");
                break;
            }
            String fp = path + f.id;
            mark(w, s, pos(in, total, base), fp + "(field header)");
            value(p, in, total, base, f.type, fp, w);
            p.readFieldEnd();
        }
        p.readStructEnd();
    }

    private static void value(TProtocol p, ByteArrayInputStream in, int total, int base, byte type, String path, String[] w)
            throws TException {
        int s = pos(in, total, base);
        switch (type) {
            case 12 -> struct(p, in, total, base, path + ".", w);
            case 15 -> {
                TList l = p.readListBegin();
                mark(w, s, pos(in, total, base), path + "(list header)");
                for (int i = 0; i < l.size; i++) value(p, in, total, base, l.elemType, path + "[" + i + "]", w);
                p.readListEnd();
            }
            case 14 -> {
                TSet l = p.readSetBegin();
                for (int i = 0; i < l.size; i++) value(p, in, total, base, l.elemType, path + "[" + i + "]", w);
                p.readSetEnd();
            }
            case 13 -> {
                TMap m = p.readMapBegin();
                for (int i = 0; i < m.size; i++) {
                    value(p, in, total, base, m.keyType, path + "{k}", w);
                    value(p, in, total, base, m.valueType, path + "{v}", w);
                }
                p.readMapEnd();
            }
            default -> {
                shaded.parquet.org.apache.thrift.protocol.TProtocolUtil.skip(p, type);
                mark(w, s, pos(in, total, base), path);
            }
        }
    }
}

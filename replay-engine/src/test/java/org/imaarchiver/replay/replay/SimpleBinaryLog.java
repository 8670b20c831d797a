package org.imaarchiver.replay.replay;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.imaarchiver.replay.log.Bytes;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;

/**
 * Test-only minimal reader of little-endian binary lists (ima-kernel.md B.3), until the parser's
 * LogReader is merged. No field validation beyond lengths; the replay tests do not need more.
 */
final class SimpleBinaryLog implements RecordSource, AutoCloseable {
    private static final int MAX_LEN = 16 << 20;
    private final InputStream in;
    private final int digestLength;
    private final String name;
    private long index;
    private long offset;

    SimpleBinaryLog(InputStream in, int digestLength, String name, long firstIndex) {
        this.in = new BufferedInputStream(in, 1 << 16);
        this.digestLength = digestLength;
        this.name = name;
        this.index = firstIndex;
    }

    static SimpleBinaryLog open(Path file, int digestLength) throws IOException {
        return new SimpleBinaryLog(Files.newInputStream(file), digestLength, file.getFileName().toString(), 0);
    }

    @Override
    public Optional<MeasurementRecord> next() throws IOException, MalformedLogException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream(256);
        int first = in.read();
        if (first < 0) return Optional.empty();
        raw.write(first);
        long start = offset;
        try {
            byte[] pcrRest = read(raw, 3);
            int pcr = first | (pcrRest[0] & 0xFF) << 8 | (pcrRest[1] & 0xFF) << 16 | (pcrRest[2] & 0xFF) << 24;
            byte[] digest = read(raw, digestLength);
            int nlen = u32(raw, start);
            String templateName = new String(read(raw, nlen), java.nio.charset.StandardCharsets.UTF_8);
            byte[] data;
            if (MeasurementRecord.IMA_TEMPLATE.equals(templateName)) {
                ByteArrayOutputStream d = new ByteArrayOutputStream();
                d.write(read(raw, 20));
                byte[] len = read(raw, 4);
                d.write(len);
                int n = (len[0] & 0xFF) | (len[1] & 0xFF) << 8 | (len[2] & 0xFF) << 16 | (len[3] & 0xFF) << 24;
                if (n < 0 || n > MAX_LEN) throw bad(start, "ima name length " + n);
                d.write(read(raw, n));
                data = d.toByteArray();
            } else {
                int dlen = u32(raw, start);
                data = read(raw, dlen);
            }
            offset += raw.size();
            MeasurementRecord r = new MeasurementRecord(index++, start, pcr, Digest.wrap(digest), templateName,
                    Bytes.wrap(data), ByteOrder.LITTLE_ENDIAN, Bytes.wrap(raw.toByteArray()));
            return Optional.of(r);
        } catch (EOFException e) {
            throw new MalformedLogException(MalformedLogException.Kind.TORN_TAIL, name, index, start, "input ends inside a record");
        }
    }

    private int u32(ByteArrayOutputStream raw, long start) throws IOException, MalformedLogException {
        byte[] b = read(raw, 4);
        int v = (b[0] & 0xFF) | (b[1] & 0xFF) << 8 | (b[2] & 0xFF) << 16 | (b[3] & 0xFF) << 24;
        if (v < 0 || v > MAX_LEN) throw bad(start, "length " + v);
        return v;
    }

    private MalformedLogException bad(long start, String detail) {
        return new MalformedLogException(MalformedLogException.Kind.BAD_LENGTH, name, index, start, detail);
    }

    private byte[] read(ByteArrayOutputStream raw, int n) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length != n) throw new EOFException();
        raw.write(b);
        return b;
    }

    @Override
    public void close() throws IOException { in.close(); }
}

package org.imaarchiver.replay.log;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.MalformedLogException.Kind;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.template.TemplateDescriptor;
import org.imaarchiver.replay.template.TemplateField;

/**
 * Streams the binary measurement list (kernel-interface.md B.3) record by record in constant memory.
 *
 * <p>Every length is checked against a bound before anything is allocated for it. The template-data
 * length must equal the sum of (4 + field length) over the template's fields (D.3). The input may be
 * a list the kernel is still appending to (B.1: the file is a seq_file read until EOF): EOF exactly
 * at a record boundary is a clean end, EOF inside a record whose lengths were all plausible is a
 * {@link Kind#TORN_TAIL}, and anything contradictory is corruption of a more precise kind.
 *
 * <p>The records are unverified: nothing is re-hashed here.
 */
public final class BinaryLogReader implements LogReader {
    /** The largest PCR index of a TPM (B.11). */
    public static final int MAX_PCR = 23;
    /**
     * Kernel template names are short; a custom format string lists at most 15 field ids of at most
     * 16 characters plus separators (IMA_TEMPLATE_NUM_FIELDS_MAX, IMA_TEMPLATE_FIELD_ID_MAX_LEN).
     */
    public static final int MAX_TEMPLATE_NAME_LENGTH = 255;
    /** The {@code ima} template's name is at most IMA_EVENT_NAME_LEN_MAX bytes (B.5, B.7). */
    public static final int MAX_IMA_NAME_LENGTH = 255;
    /** The {@code ima} template's {@code d} field: a SHA-1 digest with no length prefix (B.3). */
    public static final int IMA_DIGEST_LENGTH = 20;

    /** Digest sizes tried, in order, when the bank is not given (B.1, B.3). */
    private static final List<HashAlgorithm> BANKS = List.of(HashAlgorithm.values());
    private static final int BUFFER_SIZE = 16 * 1024;
    /** Template data beyond this is read into a growing array (see readRecord). */
    private static final int INITIAL_DATA_CAPACITY = 64 * 1024;
    /** pcr + largest digest + name length + name + (ima: d + nlen | data length). */
    private static final int MAX_HEADER = 4 + 64 + 4 + MAX_TEMPLATE_NAME_LENGTH + IMA_DIGEST_LENGTH + 4;

    private final InputStream in;
    private final LogReadOptions options;
    private final byte[] buf = new byte[BUFFER_SIZE];
    private int pos;
    private int lim;
    private boolean eof;
    /** Absolute offset of buf[pos]. */
    private long position;
    private long recordsRead;
    private ByteOrder order;
    private int digestSize;
    private MalformedLogException failure;
    /** How far the last header parse got: 0 PCR, 1 name length, 2 name, 3 template known (for detection). */
    private int stage;

    private BinaryLogReader(InputStream in, LogReadOptions options) {
        this.in = Objects.requireNonNull(in, "in");
        this.options = Objects.requireNonNull(options, "options");
        this.order = options.byteOrder().orElse(null);
        this.digestSize = options.bank().map(HashAlgorithm::digestLength).orElse(0);
    }

    /** A reader over a stream the caller opened (and will close). */
    public static BinaryLogReader open(InputStream in, LogReadOptions options) {
        return new BinaryLogReader(in, options);
    }

    /** A reader over a channel the caller opened (and will close). */
    public static BinaryLogReader open(ReadableByteChannel channel, LogReadOptions options) {
        return new BinaryLogReader(Channels.newInputStream(channel), options);
    }

    @Override
    public long bytesConsumed() { return position; }

    @Override
    public long recordsRead() { return recordsRead; }

    /** The byte order in use, once known (after the first record). */
    public Optional<ByteOrder> byteOrder() { return Optional.ofNullable(order); }

    /** The bank whose digests the list carries, once known (after the first record). */
    public Optional<HashAlgorithm> bank() { return HashAlgorithm.byDigestLength(digestSize); }

    @Override
    public Optional<MeasurementRecord> next() throws IOException, MalformedLogException {
        if (failure != null) throw failure;
        try {
            if (fill(1) == 0) return Optional.empty();
            if (order == null || digestSize == 0) detect();
            return Optional.of(readRecord());
        } catch (MalformedLogException e) {
            failure = e;
            throw e;
        }
    }

    // ---- record parsing -------------------------------------------------------------------------

    /** What the fixed part of a record says; all of it lies in the buffer at {@code pos}. */
    private record Header(int pcr, String name, TemplateDescriptor template, int headerLength, int dataLength) {}

    private MeasurementRecord readRecord() throws IOException, MalformedLogException {
        Header h = parseHeader(order, digestSize);
        long recordOffset = position;
        // grown as bytes arrive, so a corrupt but in-bounds length at a torn tail costs no more
        // memory than the input really holds
        byte[] raw = new byte[Math.min(h.headerLength + h.dataLength, h.headerLength + INITIAL_DATA_CAPACITY)];
        System.arraycopy(buf, pos, raw, 0, h.headerLength);
        pos += h.headerLength;
        int got = 0;
        while (true) {
            got += readInto(raw, h.headerLength + got, raw.length - h.headerLength - got);
            if (got == h.dataLength || eof && pos == lim) break;
            raw = java.util.Arrays.copyOf(raw, h.headerLength + (int) Math.min(h.dataLength, 2L * got));
        }
        int dataStart = h.template.isIma() ? h.headerLength - IMA_DIGEST_LENGTH - 4 : h.headerLength;
        int dataLength = h.template.isIma() ? IMA_DIGEST_LENGTH + 4 + h.dataLength : h.dataLength;
        if (!h.template.isIma()) {
            checkFields(h.template, raw, dataStart, got, h.dataLength, order, recordOffset);
        }
        if (got < h.dataLength) {
            throw error(Kind.TORN_TAIL, recordOffset, "input ends inside the template data ("
                    + got + " of " + h.dataLength + " bytes)");
        }
        position += raw.length;
        long index = options.firstIndex() + recordsRead;
        recordsRead++;
        return new MeasurementRecord(index, recordOffset, h.pcr, Digest.of(raw, 4, digestSize), h.name,
                Bytes.of(raw, dataStart, dataLength), order, Bytes.wrap(raw));
    }

    /**
     * Parses the fixed part of the record at {@code pos}: up to and including the template-data
     * length (or, for {@code ima}, the d field and the name length). Consumes nothing.
     */
    private Header parseHeader(ByteOrder o, int dsize) throws IOException, MalformedLogException {
        long off = position;
        int c = 0;
        stage = 0;
        need(c + 4, "PCR index");
        long pcr = u32(pos + c, o);
        if (pcr > MAX_PCR) throw error(Kind.BAD_PCR, off, "PCR index " + pcr + " outside 0.." + MAX_PCR);
        c += 4 + dsize;
        stage = 1;
        need(c + 4, "template digest and name length");
        long nameLength = u32(pos + c, o);
        if (nameLength == 0 || nameLength > MAX_TEMPLATE_NAME_LENGTH) {
            throw error(Kind.BAD_LENGTH, off, "template name length " + nameLength + " outside 1.."
                    + MAX_TEMPLATE_NAME_LENGTH);
        }
        c += 4;
        stage = 2;
        need(c + (int) nameLength, "template name");
        String name = new String(buf, pos + c, (int) nameLength, StandardCharsets.ISO_8859_1);
        c += (int) nameLength;
        Optional<TemplateDescriptor> template = TemplateDescriptor.find(name);
        if (template.isEmpty()) {
            Optional<String> unknownField = TemplateDescriptor.unknownFieldIn(name);
            if (unknownField.isPresent()) {
                throw error(Kind.UNKNOWN_FIELD, off, "format string \"" + printable(name)
                        + "\" names unknown field \"" + printable(unknownField.get()) + "\"");
            }
            throw error(Kind.UNKNOWN_TEMPLATE, off, "unknown template \"" + printable(name) + "\"");
        }
        stage = 3;
        if (template.get().isIma()) {
            // B.3: d(20) without length, then u32 nlen and the name without NUL
            c += IMA_DIGEST_LENGTH;
            need(c + 4, "ima template d field and name length");
            long nlen = u32(pos + c, o);
            if (nlen > MAX_IMA_NAME_LENGTH) {
                throw error(Kind.BAD_LENGTH, off, "ima template name length " + nlen + " above "
                        + MAX_IMA_NAME_LENGTH);
            }
            return new Header((int) pcr, name, template.get(), c + 4, (int) nlen);
        }
        need(c + 4, "template data length");
        long dataLength = u32(pos + c, o);
        if (dataLength > options.maxTemplateDataLength()) {
            throw error(Kind.BAD_LENGTH, off, "template data length " + dataLength + " above "
                    + options.maxTemplateDataLength());
        }
        int minimum = 4 * template.get().fields().size();
        if (dataLength < minimum) {
            throw error(Kind.FIELD_LENGTH_MISMATCH, off, "template data length " + dataLength + " below the "
                    + minimum + " bytes of field lengths of " + name);
        }
        return new Header((int) pcr, name, template.get(), c + 4, (int) dataLength);
    }

    /**
     * Walks the fields of non-{@code ima} template data (B.5) in {@code data[start, start+available)}
     * whose declared length is {@code declared}: every field length within its bound and within the
     * data, and the fields summing exactly to the declared length (D.3). When the data is truncated
     * ({@code available < declared}) and the walk runs out of bytes, that is a torn tail; when all
     * fields fit in what is there yet sum to less than declared, the length itself is wrong.
     */
    private void checkFields(TemplateDescriptor template, byte[] data, int start, int available, int declared,
                             ByteOrder o, long recordOffset) throws MalformedLogException {
        int c = 0;
        for (TemplateField field : template.fields()) {
            if (declared - c < 4) {
                throw error(Kind.FIELD_LENGTH_MISMATCH, recordOffset, "template data length " + declared
                        + " ends before the length of field " + field);
            }
            if (available - c < 4) {
                throw error(Kind.TORN_TAIL, recordOffset, "input ends inside the template data at field " + field);
            }
            long len = u32(data, start + c, o);
            c += 4;
            if (len > field.maxLength() || len > declared - c) {
                throw error(Kind.BAD_LENGTH, recordOffset, "field " + field + " length " + len + " above "
                        + (len > field.maxLength() ? "its bound " + field.maxLength()
                        : "the " + (declared - c) + " bytes left of the template data"));
            }
            if (len > available - c) {
                throw error(Kind.TORN_TAIL, recordOffset, "input ends inside field " + field);
            }
            c += (int) len;
        }
        if (c != declared) {
            throw error(Kind.FIELD_LENGTH_MISMATCH, recordOffset, "template data length " + declared
                    + " but the fields of " + template.name() + " take " + c);
        }
    }

    /**
     * Fixes byte order and digest size from the first record (B.1, B.2): the first combination,
     * little-endian before big-endian and 20, 32, 48, 64 bytes in turn, under which the record is
     * coherent. If none is but some are coherent as far as the input goes, the input is a torn tail.
     * Otherwise the record is reported as malformed under the combination that made most sense of it
     * (got furthest; the earliest on a tie), or as {@link Kind#UNKNOWN_FORMAT} when none got past
     * the PCR index.
     */
    private void detect() throws IOException, MalformedLogException {
        List<ByteOrder> orders = order != null ? List.of(order) : List.of(ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN);
        List<Integer> sizes = digestSize != 0 ? List.of(digestSize)
                : BANKS.stream().map(HashAlgorithm::digestLength).toList();
        fill(buf.length);
        MalformedLogException torn = null;
        MalformedLogException best = null;
        int bestStage = 0;
        ByteOrder bestOrder = null;
        int bestSize = 0;
        for (ByteOrder o : orders) {
            for (int size : sizes) {
                try {
                    Header h = parseHeader(o, size);
                    if (!h.template.isIma()) {
                        int visible = Math.min(h.dataLength, lim - pos - h.headerLength);
                        checkFields(h.template, buf, pos + h.headerLength, visible, h.dataLength, o, position);
                    }
                    order = o;
                    digestSize = size;
                    return;
                } catch (MalformedLogException e) {
                    if (e.isTornTail()) {
                        if (torn == null) {
                            torn = e;
                            bestOrder = o;
                            bestSize = size;
                        }
                    } else if (torn == null && stage > bestStage) {
                        best = e;
                        bestStage = stage;
                        bestOrder = o;
                        bestSize = size;
                    }
                }
            }
        }
        if (torn != null || best != null) {
            order = bestOrder;
            digestSize = bestSize;
            throw torn != null ? torn : best;
        }
        throw error(Kind.UNKNOWN_FORMAT, position, "the first record is not coherent with any digest size "
                + sizes + " and byte order " + orders);
    }

    // ---- input ----------------------------------------------------------------------------------

    /** Ensures {@code n} bytes (n at most the buffer size) at {@code pos}; returns how many there are. */
    private int fill(int n) throws IOException {
        if (lim - pos >= n || eof) return lim - pos;
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, lim - pos);
            lim -= pos;
            pos = 0;
        }
        while (lim < n) {
            int r = in.read(buf, lim, buf.length - lim);
            if (r < 0) {
                eof = true;
                break;
            }
            lim += r;
        }
        return lim - pos;
    }

    private void need(int n, String what) throws IOException, MalformedLogException {
        if (n > MAX_HEADER) throw new IllegalStateException("header bound exceeded: " + n);
        if (fill(n) < n) {
            throw error(Kind.TORN_TAIL, position, "input ends inside the " + what);
        }
    }

    /**
     * Copies up to {@code len} bytes into {@code dst}, first from the buffer, then straight from the
     * stream; fewer only at EOF. Consumes them from the buffer but does not advance {@code position}.
     */
    private int readInto(byte[] dst, int off, int len) throws IOException {
        int fromBuffer = Math.min(len, lim - pos);
        System.arraycopy(buf, pos, dst, off, fromBuffer);
        pos += fromBuffer;
        int got = fromBuffer;
        while (got < len && !eof) {
            int r = in.read(dst, off + got, len - got);
            if (r < 0) {
                eof = true;
                break;
            }
            got += r;
        }
        return got;
    }

    private long u32(int at, ByteOrder o) { return u32(buf, at, o); }

    static long u32(byte[] b, int at, ByteOrder o) {
        long b0 = b[at] & 0xFF, b1 = b[at + 1] & 0xFF, b2 = b[at + 2] & 0xFF, b3 = b[at + 3] & 0xFF;
        return o == ByteOrder.LITTLE_ENDIAN
                ? b0 | b1 << 8 | b2 << 16 | b3 << 24
                : b3 | b2 << 8 | b1 << 16 | b0 << 24;
    }

    private MalformedLogException error(Kind kind, long offset, String detail) {
        return new MalformedLogException(kind, options.sourceName(), options.firstIndex() + recordsRead, offset, detail);
    }

    /** Keeps hostile bytes out of messages. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), 80));
        for (int i = 0; i < s.length() && i < 80; i++) {
            char ch = s.charAt(i);
            if (ch >= 0x20 && ch < 0x7F) b.append(ch);
            else b.append(String.format("\\x%02x", (int) ch));
        }
        return s.length() > 80 ? b.append("...").toString() : b.toString();
    }
}

package org.imaarchiver.replay.log;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.MalformedLogException.Kind;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.template.TemplateDescriptor;
import org.imaarchiver.replay.template.TemplateField;

/**
 * Streams the kernel's ASCII list (kernel-interface.md B.6) and rebuilds each record's binary template
 * data, as keylime does (B.13), for the templates whose ASCII form is lossless: {@code ima},
 * {@code ima-ng}, {@code ima-sig} and {@code ima-buf}. Other templates fail with
 * {@link Kind#BAD_ASCII_LINE}. The records equal what {@link BinaryLogReader} gives for the binary
 * list, with {@code raw} rebuilt little-endian; offsets are those of the lines. The bank is inferred
 * from the template-digest hex length of the first line. A last line without its newline is a torn
 * tail. Prefer the binary list: the ASCII one is a fallback.
 */
public final class AsciiLogReader implements LogReader {
    /** A line holds at most a few hex-encoded fields; twice the template-data bound plus slack. */
    public static final int MAX_LINE_LENGTH = 2 * LogReadOptions.MAX_TEMPLATE_DATA_LENGTH + 8192;
    private static final Set<String> REBUILDABLE = Set.of("ima", "ima-ng", "ima-sig", "ima-buf");
    private static final HexFormat HEX = HexFormat.of();
    private static final int BUFFER_SIZE = 64 * 1024;

    private final InputStream in;
    private final LogReadOptions options;
    private final byte[] buf = new byte[BUFFER_SIZE];
    private int pos;
    private int lim;
    private boolean eof;
    private long position;
    private long recordsRead;
    private int digestSize;
    private MalformedLogException failure;

    private AsciiLogReader(InputStream in, LogReadOptions options) {
        this.in = Objects.requireNonNull(in, "in");
        this.options = Objects.requireNonNull(options, "options");
        this.digestSize = options.bank().map(HashAlgorithm::digestLength).orElse(0);
    }

    /** A reader over a stream the caller opened (and will close). Byte order options are ignored. */
    public static AsciiLogReader open(InputStream in, LogReadOptions options) {
        return new AsciiLogReader(in, options);
    }

    @Override
    public long bytesConsumed() { return position; }

    @Override
    public long recordsRead() { return recordsRead; }

    @Override
    public Optional<MeasurementRecord> next() throws IOException, MalformedLogException {
        if (failure != null) throw failure;
        try {
            byte[] line = readLine();
            if (line == null) return Optional.empty();
            MeasurementRecord r = parse(line);
            position += line.length + 1;
            recordsRead++;
            return Optional.of(r);
        } catch (MalformedLogException e) {
            failure = e;
            throw e;
        }
    }

    /** The next line without its newline; null at a clean end. */
    private byte[] readLine() throws IOException, MalformedLogException {
        ByteArrayOutputStream longLine = null;
        while (true) {
            for (int i = pos; i < lim; i++) {
                if (buf[i] == '\n') {
                    byte[] line;
                    if (longLine == null) {
                        line = java.util.Arrays.copyOfRange(buf, pos, i);
                    } else {
                        longLine.write(buf, pos, i - pos);
                        line = longLine.toByteArray();
                    }
                    pos = i + 1;
                    return line;
                }
            }
            if (lim > pos) {
                if (longLine == null) longLine = new ByteArrayOutputStream();
                longLine.write(buf, pos, lim - pos);
                if (longLine.size() > MAX_LINE_LENGTH) {
                    throw error(Kind.BAD_LENGTH, "line longer than " + MAX_LINE_LENGTH + " bytes");
                }
            }
            pos = lim = 0;
            if (eof) {
                if (longLine == null) return null;
                throw error(Kind.TORN_TAIL, "input ends inside a line (no newline after "
                        + longLine.size() + " bytes)");
            }
            int r = in.read(buf, 0, buf.length);
            if (r < 0) eof = true;
            else lim = r;
        }
    }

    private MeasurementRecord parse(byte[] line) throws MalformedLogException {
        // The kernel ends lines with LF only (B.6): a CR before it is a converted copy (CRLF), whose CR
        // would otherwise become part of the last field and fail only as a digest mismatch.
        if (line.length > 0 && line[line.length - 1] == '\r') {
            throw error(Kind.BAD_ASCII_LINE, "line ends in CR LF (the kernel writes LF only: a converted copy of the list)");
        }
        List<byte[]> t = split(line);
        if (t.size() < 3) throw error(Kind.BAD_ASCII_LINE, "fewer than 3 tokens");
        int pcr = parsePcr(t.get(0));
        String digestHex = new String(t.get(1), StandardCharsets.ISO_8859_1);
        Digest templateDigest;
        try {
            templateDigest = Digest.wrap(HEX.parseHex(digestHex));
        } catch (IllegalArgumentException e) {
            throw error(Kind.BAD_ASCII_LINE, "template digest is not hex");
        }
        if (HashAlgorithm.byDigestLength(templateDigest.length()).isEmpty()) {
            throw error(Kind.UNKNOWN_FORMAT, "template digest of " + templateDigest.length() + " bytes is no supported bank");
        }
        if (digestSize == 0) digestSize = templateDigest.length();
        if (templateDigest.length() != digestSize) {
            throw error(Kind.BAD_ASCII_LINE, "template digest of " + templateDigest.length() + " bytes in a list of "
                    + digestSize + "-byte digests");
        }
        String name = new String(t.get(2), StandardCharsets.ISO_8859_1);
        Optional<TemplateDescriptor> template = TemplateDescriptor.find(name);
        if (template.isEmpty()) {
            Optional<String> unknown = TemplateDescriptor.unknownFieldIn(name);
            if (unknown.isPresent()) {
                throw error(Kind.UNKNOWN_FIELD, "format string names unknown field \""
                        + BinaryLogReader.printable(unknown.get()) + "\"");
            }
            throw error(Kind.UNKNOWN_TEMPLATE, "unknown template \"" + BinaryLogReader.printable(name) + "\"");
        }
        if (!REBUILDABLE.contains(name)) {
            throw error(Kind.BAD_ASCII_LINE, "template " + BinaryLogReader.printable(name) + " cannot be rebuilt from ASCII");
        }
        List<TemplateField> fields = template.get().fields();
        if (t.size() != 3 + fields.size()) {
            throw error(Kind.BAD_ASCII_LINE, "template " + name + " has " + fields.size() + " fields, the line "
                    + (t.size() - 3));
        }
        byte[] data = template.get().isIma() ? rebuildIma(t.get(3), t.get(4)) : rebuildFields(fields, t.subList(3, t.size()));
        byte[] nameBytes = t.get(2);
        boolean ima = template.get().isIma();
        // B.3, little-endian
        ByteBuffer raw = ByteBuffer.allocate(4 + digestSize + 4 + nameBytes.length + (ima ? 0 : 4) + data.length)
                .order(ByteOrder.LITTLE_ENDIAN);
        raw.putInt(pcr);
        templateDigest.copyTo(raw.array(), raw.position());
        raw.position(raw.position() + digestSize);
        raw.putInt(nameBytes.length).put(nameBytes);
        if (!ima) raw.putInt(data.length);
        raw.put(data);
        return new MeasurementRecord(options.firstIndex() + recordsRead, position, pcr, templateDigest, name,
                Bytes.wrap(data), ByteOrder.LITTLE_ENDIAN, Bytes.wrap(raw.array()));
    }

    private int parsePcr(byte[] token) throws MalformedLogException {
        if (token.length == 0 || token.length > 2) throw error(Kind.BAD_ASCII_LINE, "PCR is not a 1-2 digit number");
        int v = 0;
        for (byte b : token) {
            if (b < '0' || b > '9') throw error(Kind.BAD_ASCII_LINE, "PCR is not a number");
            v = v * 10 + (b - '0');
        }
        if (v > BinaryLogReader.MAX_PCR) throw error(Kind.BAD_PCR, "PCR index " + v + " outside 0.." + BinaryLogReader.MAX_PCR);
        return v;
    }

    /** ima: d(20) | u32 nlen | name (B.3). */
    private byte[] rebuildIma(byte[] dHex, byte[] name) throws MalformedLogException {
        byte[] d = hex(dHex, "d");
        if (d.length != BinaryLogReader.IMA_DIGEST_LENGTH) throw error(Kind.BAD_ASCII_LINE, "ima d field is not 20 bytes");
        if (name.length > BinaryLogReader.MAX_IMA_NAME_LENGTH) {
            throw error(Kind.BAD_LENGTH, "ima name longer than " + BinaryLogReader.MAX_IMA_NAME_LENGTH);
        }
        return ByteBuffer.allocate(24 + name.length).order(ByteOrder.LITTLE_ENDIAN).put(d).putInt(name.length).put(name).array();
    }

    /** (u32 length, bytes) per field (B.5). */
    private byte[] rebuildFields(List<TemplateField> fields, List<byte[]> tokens) throws MalformedLogException {
        List<byte[]> values = new ArrayList<>(fields.size());
        int total = 0;
        for (int i = 0; i < fields.size(); i++) {
            byte[] v = rebuildField(fields.get(i), tokens.get(i));
            if (v.length > fields.get(i).maxLength()) {
                throw error(Kind.BAD_LENGTH, "field " + fields.get(i) + " of " + v.length + " bytes above its bound");
            }
            values.add(v);
            total += 4 + v.length;
        }
        if (total > options.maxTemplateDataLength()) throw error(Kind.BAD_LENGTH, "template data above the bound");
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        for (byte[] v : values) b.putInt(v.length).put(v);
        return b.array();
    }

    private byte[] rebuildField(TemplateField f, byte[] token) throws MalformedLogException {
        switch (f) {
            case D_NG: {
                // "algo:hex" -> "algo:" NUL digest
                int colon = lastIndexOf(token, (byte) ':');
                if (colon <= 0) throw error(Kind.BAD_ASCII_LINE, "d-ng without an algorithm prefix");
                byte[] digest = hex(java.util.Arrays.copyOfRange(token, colon + 1, token.length), "d-ng");
                return ByteBuffer.allocate(colon + 2 + digest.length).put(token, 0, colon + 1).put((byte) 0).put(digest).array();
            }
            case N_NG: {
                for (byte b : token) {
                    if (b == 0) throw error(Kind.BAD_ASCII_LINE, "NUL in a name");
                }
                return ByteBuffer.allocate(token.length + 1).put(token).put((byte) 0).array();
            }
            case SIG:
            case BUF:
                return hex(token, f.id());
            default:
                throw error(Kind.BAD_ASCII_LINE, "field " + f + " cannot be rebuilt from ASCII");
        }
    }

    private byte[] hex(byte[] token, String what) throws MalformedLogException {
        try {
            return HEX.parseHex(new String(token, StandardCharsets.ISO_8859_1));
        } catch (IllegalArgumentException e) {
            throw error(Kind.BAD_ASCII_LINE, what + " is not hex");
        }
    }

    /** Splits on single spaces, keeping empty fields (B.6); a single-digit PCR is printed "%2d". */
    private static List<byte[]> split(byte[] line) {
        List<byte[]> tokens = new ArrayList<>();
        int start = line.length > 0 && line[0] == ' ' ? 1 : 0;
        for (int i = start; i <= line.length; i++) {
            if (i == line.length || line[i] == ' ') {
                tokens.add(java.util.Arrays.copyOfRange(line, start, i));
                start = i + 1;
            }
        }
        return tokens;
    }

    private static int lastIndexOf(byte[] b, byte v) {
        for (int i = b.length - 1; i >= 0; i--) {
            if (b[i] == v) return i;
        }
        return -1;
    }

    private MalformedLogException error(Kind kind, String detail) {
        return new MalformedLogException(kind, options.sourceName(), options.firstIndex() + recordsRead, position,
                "line " + (recordsRead + 1) + ": " + detail);
    }
}

package org.imaarchiver.replay.template;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.template.MalformedTemplateDataException.Kind;

/**
 * Decodes a record's template data into its fields (kernel-interface.md B.3, B.5). Fails closed: an unknown
 * template, a field walk that does not end exactly at the data length (D.3), or a field not of its
 * documented form is a {@link MalformedTemplateDataException}; the record-level entry point in the
 * log package turns it into an error naming the record.
 */
public final class TemplateDataDecoder {
    /** The digest sizes of kernel hash names, for checking non-violation d-ng digests. */
    private static final Map<String, Integer> DIGEST_LENGTHS = Map.ofEntries(
            Map.entry("md5", 16), Map.entry("sha1", 20), Map.entry("rmd160", 20), Map.entry("sha224", 28),
            Map.entry("sha256", 32), Map.entry("sha384", 48), Map.entry("sha512", 64), Map.entry("sm3", 32),
            Map.entry("sm3-256", 32), Map.entry("streebog256", 32), Map.entry("streebog512", 64),
            Map.entry("sha3-256", 32), Map.entry("sha3-384", 48), Map.entry("sha3-512", 64));
    /** Longest algorithm or type prefix looked at when searching for the ':' NUL separator. */
    private static final int MAX_PREFIX = 128;

    private TemplateDataDecoder() {}

    /**
     * Decodes {@code templateData} under {@code templateName}.
     *
     * @param order     byte order of the length fields (kernel-interface.md B.2)
     * @param violation whether the record is a violation, whose d-ng digest length is not reliable (B.8)
     */
    public static TemplateData decode(String templateName, Bytes templateData, ByteOrder order, boolean violation)
            throws MalformedTemplateDataException {
        Decoding d = new Decoding(templateName, order, violation);
        Optional<TemplateDescriptor> template = TemplateDescriptor.find(templateName);
        if (template.isEmpty()) {
            Optional<String> unknown = TemplateDescriptor.unknownFieldIn(templateName);
            if (unknown.isPresent()) throw d.error(Kind.UNKNOWN_FIELD, "unknown field " + unknown.get());
            throw d.error(Kind.UNKNOWN_TEMPLATE, "unknown template");
        }
        byte[] data = templateData.toArray();
        return template.get().isIma() ? decodeIma(template.get(), data, d) : decodeFields(template.get(), data, d);
    }

    private static TemplateData decodeIma(TemplateDescriptor t, byte[] data, Decoding d) throws MalformedTemplateDataException {
        // B.3: d(20) | u32 nlen | name
        if (data.length < 24) throw d.error(Kind.BAD_LENGTH, "ima template data shorter than 24 bytes");
        long nlen = u32(data, 20, d.order());
        if (nlen != data.length - 24L) {
            throw d.error(Kind.FIELD_LENGTH_MISMATCH, "ima name length " + nlen + " but " + (data.length - 24) + " bytes follow");
        }
        return new TemplateData.Ima(t, Digest.of(data, 0, 20), Bytes.of(data, 24, (int) nlen));
    }

    private static TemplateData decodeFields(TemplateDescriptor t, byte[] data, Decoding d) throws MalformedTemplateDataException {
        ByteOrder order = d.order();
        List<DecodedField> fields = new ArrayList<>(t.fields().size());
        int c = 0;
        for (TemplateField f : t.fields()) {
            if (data.length - c < 4) throw d.error(Kind.FIELD_LENGTH_MISMATCH, "template data ends before field " + f);
            long len = u32(data, c, order);
            c += 4;
            if (len > f.maxLength() || len > data.length - c) {
                throw d.error(Kind.BAD_LENGTH, "field " + f + " length " + len + " beyond its bound or the data");
            }
            Bytes raw = Bytes.of(data, c, (int) len);
            fields.add(new DecodedField(f, raw, decodeField(f, data, c, (int) len, d)));
            c += (int) len;
        }
        if (c != data.length) {
            throw d.error(Kind.FIELD_LENGTH_MISMATCH, "fields take " + c + " of " + data.length + " bytes of template data");
        }
        checkXattrs(fields, d);
        return new TemplateData.FieldList(t, fields);
    }

    private static FieldValue decodeField(TemplateField f, byte[] b, int off, int len, Decoding d)
            throws MalformedTemplateDataException {
        if (len == 0) return new FieldValue.Empty();
        switch (f) {
            case D:
                if (len != 20 && len != 16) throw d.error(Kind.BAD_FIELD, "d field of " + len + " bytes");
                return new FieldValue.EventDigest(Optional.empty(), len == 20 ? "sha1" : "md5", false, Bytes.of(b, off, len));
            case D_NG:
            case D_MODSIG:
                return digestWithPrefix(f, b, off, len, 1, d);
            case D_NGV2:
                return digestWithPrefix(f, b, off, len, 2, d);
            case N:
            case N_NG:
                return new FieldValue.EventName(Bytes.of(b, off, nulTerminated(f, b, off, len, d)));
            case XATTRNAMES: {
                int n = nulTerminated(f, b, off, len, d);
                String names = new String(b, off, n, StandardCharsets.UTF_8);
                return new FieldValue.XattrNames(List.of(names.split("\\|", -1)));
            }
            case XATTRLENGTHS: {
                if (len % 4 != 0) throw d.error(Kind.BAD_FIELD, "xattrlengths of " + len + " bytes, not a u32 array");
                List<Long> lengths = new ArrayList<>(len / 4);
                for (int i = 0; i < len; i += 4) lengths.add(u32(b, off + i, d.order()));
                return new FieldValue.XattrLengths(lengths);
            }
            case IUID:
            case IGID:
            case IMODE: {
                if (len != 1 && len != 2 && len != 4 && len != 8) {
                    throw d.error(Kind.BAD_FIELD, f + " of " + len + " bytes");
                }
                ByteBuffer bb = ByteBuffer.wrap(b, off, len).order(d.order());
                long v = len == 1 ? bb.get() & 0xFFL : len == 2 ? bb.getShort() & 0xFFFFL
                        : len == 4 ? bb.getInt() & 0xFFFFFFFFL : bb.getLong();
                return new FieldValue.UnsignedInt(v, len);
            }
            default:
                return new FieldValue.Blob(Bytes.of(b, off, len));
        }
    }

    /**
     * {@code [type:]algo:} NUL digest (B.5). A d-ng of 16 or 20 bytes without a prefix is taken as
     * md5 / sha1, as keylime does. A digest whose length contradicts a known algorithm is malformed,
     * except in a violation record, whose d-ng digest length is not reliable (B.8).
     */
    private static FieldValue digestWithPrefix(TemplateField f, byte[] b, int off, int len, int colons, Decoding d)
            throws MalformedTemplateDataException {
        int nul = -1;
        for (int i = 0; i < Math.min(len, MAX_PREFIX); i++) {
            if (b[off + i] == 0) {
                nul = i;
                break;
            }
        }
        // The prefix is well formed when it is exactly `colons` names, each followed by ':' (so it
        // ends with ':'); parsed in place, without a String per record (this runs for every row a
        // verifier checks).
        int[] partEnd = new int[colons];
        boolean wellFormed = nul > 0 && b[off + nul - 1] == ':';
        int parts = 0;
        int start = off;
        for (int i = off; wellFormed && i < off + nul; i++) {
            if (b[i] != ':') continue;
            if (parts == colons || !isName(b, start, i)) {
                wellFormed = false;
            } else {
                partEnd[parts++] = i;
                start = i + 1;
            }
        }
        wellFormed &= parts == colons;
        if (!wellFormed) {
            if (f != TemplateField.D_NGV2 && (len == 20 || len == 16)) {
                return new FieldValue.EventDigest(Optional.empty(), len == 20 ? "sha1" : "md5", false, Bytes.of(b, off, len));
            }
            throw d.error(Kind.BAD_FIELD, f + " field without a well-formed algorithm prefix");
        }
        int algorithmStart = colons == 1 ? off : partEnd[0] + 1;
        String algorithm = text(b, algorithmStart, partEnd[colons - 1]);
        Optional<String> type = colons == 2 ? Optional.of(text(b, off, partEnd[0])) : Optional.empty();
        int digestLength = len - nul - 1;
        Integer expected = DIGEST_LENGTHS.get(algorithm);
        if (expected != null && expected != digestLength && !d.violation()) {
            throw d.error(Kind.BAD_FIELD, f + " " + algorithm + " digest of " + digestLength + " bytes, expected " + expected);
        }
        return new FieldValue.EventDigest(type, algorithm, true, Bytes.of(b, off + nul + 1, digestLength));
    }

    /** {@code b[from..to)} is a non-empty kernel hash or digest type name: {@code [a-z0-9_-]+}. */
    private static boolean isName(byte[] b, int from, int to) {
        if (from == to) return false;
        for (int i = from; i < to; i++) {
            byte c = b[i];
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_')) return false;
        }
        return true;
    }

    /** Names seen in prefixes, shared instead of a new string per record. */
    private static final String[] KNOWN_NAMES = DIGEST_LENGTHS.keySet().toArray(new String[0]);
    private static final String[] KNOWN_TYPES = {"ima", "verity"};

    /** {@code b[from..to)} (a checked name, so ASCII) as a string; known names as their shared constant. */
    private static String text(byte[] b, int from, int to) {
        String known = known(KNOWN_NAMES, b, from, to);
        if (known == null) known = known(KNOWN_TYPES, b, from, to);
        return known != null ? known : new String(b, from, to - from, StandardCharsets.ISO_8859_1);
    }

    private static String known(String[] names, byte[] b, int from, int to) {
        for (String n : names) {
            if (n.length() != to - from) continue;
            boolean same = true;
            for (int i = 0; same && i < n.length(); i++) same = n.charAt(i) == b[from + i];
            if (same) return n;
        }
        return null;
    }

    /** A string field ends with its single NUL (B.5); returns the length without it. */
    private static int nulTerminated(TemplateField f, byte[] b, int off, int len, Decoding d) throws MalformedTemplateDataException {
        if (b[off + len - 1] != 0) throw d.error(Kind.BAD_FIELD, f + " field not NUL-terminated");
        for (int i = 0; i < len - 1; i++) {
            if (b[off + i] == 0) throw d.error(Kind.BAD_FIELD, f + " field with an embedded NUL at " + i);
        }
        return len - 1;
    }

    /** evm-sig: one length per name, and the lengths add up to the values (B.5). */
    private static void checkXattrs(List<DecodedField> fields, Decoding d) throws MalformedTemplateDataException {
        FieldValue names = null, lengths = null;
        DecodedField values = null;
        for (DecodedField f : fields) {
            if (f.field() == TemplateField.XATTRNAMES) names = f.value();
            if (f.field() == TemplateField.XATTRLENGTHS) lengths = f.value();
            if (f.field() == TemplateField.XATTRVALUES) values = f;
        }
        if (lengths instanceof FieldValue.XattrLengths l) {
            if (names instanceof FieldValue.XattrNames n && n.names().size() != l.lengths().size()) {
                throw d.error(Kind.BAD_FIELD, n.names().size() + " xattr names but " + l.lengths().size() + " lengths");
            }
            if (values != null) {
                long sum = 0;
                for (long x : l.lengths()) sum += x;
                if (sum != values.data().length()) {
                    throw d.error(Kind.BAD_FIELD, "xattr lengths sum to " + sum + " but xattrvalues has "
                            + values.data().length() + " bytes");
                }
            }
        }
    }

    static long u32(byte[] b, int at, ByteOrder o) {
        return ByteBuffer.wrap(b, at, 4).order(o).getInt() & 0xFFFFFFFFL;
    }

    private record Decoding(String templateName, ByteOrder order, boolean violation) {
        MalformedTemplateDataException error(Kind kind, String detail) {
            return new MalformedTemplateDataException(kind, templateName, detail);
        }
    }
}

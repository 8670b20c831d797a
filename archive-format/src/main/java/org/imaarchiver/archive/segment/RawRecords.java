package org.imaarchiver.archive.segment;

import static org.imaarchiver.replay.log.MalformedLogException.Kind.BAD_LENGTH;
import static org.imaarchiver.replay.log.MalformedLogException.Kind.BAD_PCR;
import static org.imaarchiver.replay.log.MalformedLogException.Kind.BAD_FIELD;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;

/**
 * Rebuilds a {@link MeasurementRecord} from the {@code raw} column: only the record header
 * (kernel-interface.md B.3) is parsed; template fields are the replay engine's business. Strict: the raw
 * bytes must be exactly one record.
 */
public final class RawRecords {
    private RawRecords() {}

    /** Template names are short built-in names or format strings; anything longer is corruption. */
    static final int MAX_TEMPLATE_NAME = 256;

    /**
     * @param source       names the segment in errors
     * @param offset       the record's byte offset within the segment's concatenated raw bytes
     * @param digestLength size of the stored template digest (the manifest's template digest algorithm)
     */
    public static MeasurementRecord parse(String source, long index, long offset, Bytes raw, HashAlgorithm templateDigestAlgorithm,
                                          ByteOrder order) throws MalformedLogException {
        ByteBuffer b = raw.asReadOnlyBuffer().order(order);
        int dlen = templateDigestAlgorithm.digestLength();
        if (b.remaining() < 4 + dlen + 4) throw new MalformedLogException(BAD_LENGTH, source, index, offset, "raw record shorter than its header");
        int pcr = b.getInt();
        if (pcr < 0 || pcr > PcrBank.MAX_PCR) throw new MalformedLogException(BAD_PCR, source, index, offset, "PCR " + Integer.toUnsignedString(pcr));
        byte[] d = new byte[dlen];
        b.get(d);
        int nlen = b.getInt();
        if (nlen <= 0 || nlen > MAX_TEMPLATE_NAME || nlen > b.remaining()) {
            throw new MalformedLogException(BAD_LENGTH, source, index, offset + 4 + dlen, "template name length " + Integer.toUnsignedString(nlen));
        }
        byte[] n = new byte[nlen];
        b.get(n);
        String name = asciiName(n);
        if (name == null) throw new MalformedLogException(BAD_FIELD, source, index, offset + 8 + dlen, "template name is not ASCII");
        Bytes data;
        if (MeasurementRecord.IMA_TEMPLATE.equals(name)) {
            // B.3: no data-length field; d(20) | nlen(4) | name(nlen), and nothing after it.
            int start = b.position();
            if (b.remaining() < 24) throw new MalformedLogException(BAD_LENGTH, source, index, offset + start, "ima template data too short");
            b.position(start + 20);
            int fn = b.getInt();
            if (fn < 0 || fn != b.remaining()) {
                throw new MalformedLogException(BAD_LENGTH, source, index, offset + start + 20,
                        "ima name length " + Integer.toUnsignedString(fn) + " but " + b.remaining() + " bytes left");
            }
            data = raw.slice(start, raw.length() - start);
        } else {
            if (b.remaining() < 4) throw new MalformedLogException(BAD_LENGTH, source, index, offset + b.position(), "no template data length");
            int tl = b.getInt();
            if (tl < 0 || tl != b.remaining()) {
                throw new MalformedLogException(BAD_LENGTH, source, index, offset + b.position() - 4,
                        "template data length " + Integer.toUnsignedString(tl) + " but " + b.remaining() + " bytes left");
            }
            data = raw.slice(b.position(), tl);
        }
        return new MeasurementRecord(index, offset, pcr, Digest.wrap(d), name, data, order, raw);
    }

    /** The built-in template names (kernel-interface.md B.4), shared instead of a new string per record. */
    private static final String[] KNOWN_NAMES = {"ima-ng", "ima-sig", "ima", "ima-buf", "ima-modsig", "evm-sig", "ima-ngv2", "ima-sigv2"};
    private static final byte[][] KNOWN_NAME_BYTES = java.util.Arrays.stream(KNOWN_NAMES)
            .map(x -> x.getBytes(StandardCharsets.US_ASCII)).toArray(byte[][]::new);

    /** The name if every byte is ASCII (0..127), else null; a known name is returned as its shared constant. */
    private static String asciiName(byte[] n) {
        for (byte x : n) {
            if (x < 0) return null;
        }
        for (int k = 0; k < KNOWN_NAME_BYTES.length; k++) {
            if (java.util.Arrays.equals(KNOWN_NAME_BYTES[k], n)) return KNOWN_NAMES[k];
        }
        return new String(n, StandardCharsets.US_ASCII);
    }
}

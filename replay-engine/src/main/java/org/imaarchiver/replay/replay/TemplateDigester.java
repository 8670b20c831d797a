package org.imaarchiver.replay.replay;

import java.nio.ByteOrder;
import java.security.DigestException;
import java.security.MessageDigest;
import java.util.Optional;
import org.imaarchiver.replay.log.Bytes;
import org.imaarchiver.replay.log.MeasurementRecord;

/**
 * The template digest of a record (ima-kernel.md B.7). One small class so the replay engine can
 * switch to the parser's shared implementation in one line.
 */
final class TemplateDigester {
    /** {@code IMA_EVENT_NAME_LEN_MAX + 1}: the zero-filled buffer the {@code ima} name is hashed in (B.7). */
    static final int IMA_NAME_BUFFER = 256;
    /** The {@code ima} template's {@code d} field is a raw SHA-1 digest without a length prefix (B.3). */
    static final int IMA_D_LENGTH = 20;

    private static final byte[] ZEROS = new byte[IMA_NAME_BUFFER];

    private TemplateDigester() {}

    /**
     * Writes {@code md}'s digest of the record's template into {@code out} at {@code offset}.
     * Returns a reason when the bytes cannot be hashed by the kernel's rule (a malformed {@code ima}
     * template), in which case nothing is written.
     */
    static Optional<String> digest(MeasurementRecord r, MessageDigest md, byte[] out, int offset) {
        md.reset();
        Bytes data = r.templateData();
        if (r.isImaTemplate()) {
            // ima: H(d(20) || name, NUL, zeros up to 256 bytes), no field lengths (B.7).
            int len = data.length();
            if (len < IMA_D_LENGTH + 4) return Optional.of("ima template data shorter than d(20) + nlen(4)");
            long nlen = u32(data, IMA_D_LENGTH, r.byteOrder());
            if (nlen >= IMA_NAME_BUFFER) return Optional.of("ima name longer than 255 bytes: " + nlen);
            if (len != IMA_D_LENGTH + 4 + nlen) return Optional.of("ima template data length " + len + " != 24 + nlen " + nlen);
            data.updateDigest(md, 0, IMA_D_LENGTH);
            data.updateDigest(md, IMA_D_LENGTH + 4, (int) nlen);
            md.update(ZEROS, 0, IMA_NAME_BUFFER - (int) nlen);
        } else {
            // Every other template: H(template data exactly as in the binary list) (B.7).
            data.updateDigest(md);
        }
        try {
            md.digest(out, offset, md.getDigestLength());
        } catch (DigestException e) {
            throw new IllegalStateException("digest buffer too small", e);
        }
        return Optional.empty();
    }

    private static long u32(Bytes b, int at, ByteOrder order) {
        long b0 = b.byteAt(at) & 0xFF, b1 = b.byteAt(at + 1) & 0xFF, b2 = b.byteAt(at + 2) & 0xFF, b3 = b.byteAt(at + 3) & 0xFF;
        return order == ByteOrder.LITTLE_ENDIAN
                ? b0 | b1 << 8 | b2 << 16 | b3 << 24
                : b3 | b2 << 8 | b1 << 16 | b0 << 24;
    }
}

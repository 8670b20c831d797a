package org.imaarchiver.replay.log;

import java.security.DigestException;
import java.security.MessageDigest;
import java.nio.ByteOrder;
import java.util.Optional;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * The template digest of a record (kernel-interface.md B.7): H(template data) for every template but
 * {@code ima}, whose digest is H(d(20) || name zero-padded to 256 bytes). Violations (B.8) are not
 * special-cased here: the caller decides what to extend for them.
 */
public final class TemplateHash {
    /** IMA_EVENT_NAME_LEN_MAX + 1: the buffer the {@code ima} name is hashed in (B.7). */
    public static final int IMA_NAME_BUFFER = 256;
    private static final byte[] ZEROS = new byte[IMA_NAME_BUFFER];

    private TemplateHash() {}

    /**
     * Writes the template digest into {@code out} at {@code off} using {@code md}, which is reset
     * first; allocates nothing. {@code out} must have room for {@code md.getDigestLength()} bytes.
     *
     * @throws IllegalArgumentException when an {@code ima} record cannot be hashed by the kernel's rule
     */
    public static void digestInto(MeasurementRecord r, MessageDigest md, byte[] out, int off) {
        md.reset();
        Optional<String> problem = tryDigestInto(r, md, out, off);
        if (problem.isPresent()) throw new IllegalArgumentException("record " + r.index() + ": " + problem.get());
    }

    /**
     * Like {@link #digestInto} but returns the reason instead of throwing when the record cannot be
     * hashed (an {@code ima} record whose data is not {@code d(20) | nlen | name} with a name shorter
     * than 256 bytes); nothing is written then. For hot loops that report typed failures: {@code md}
     * must be in its initial state, as {@code MessageDigest.digest} leaves it (no reset here: the
     * JDK's reset clears the message schedule, a measurable cost at four hashes per record).
     */
    public static Optional<String> tryDigestInto(MeasurementRecord r, MessageDigest md, byte[] out, int off) {
        Bytes data = r.templateData();
        if (r.isImaTemplate()) {
            // d(20) | nlen | name in the list; hashed as d | name | zeros to 256 bytes (B.7)
            int nlen = data.length() - 24;
            if (nlen < 0) return Optional.of("ima template data shorter than d(20) + nlen(4)");
            if (nlen >= IMA_NAME_BUFFER) return Optional.of("ima name of " + nlen + " bytes, the kernel hashes at most 255");
            if (nlen != imaNameLength(data, r.byteOrder())) {
                return Optional.of("ima template data length " + data.length() + " != 24 + nlen field");
            }
            data.updateDigest(md, 0, 20);
            data.updateDigest(md, 24, nlen);
            md.update(ZEROS, 0, IMA_NAME_BUFFER - nlen);
        } else {
            data.updateDigest(md);
        }
        try {
            md.digest(out, off, md.getDigestLength());
        } catch (DigestException e) {
            throw new IllegalArgumentException("output buffer too small for " + md.getAlgorithm(), e);
        }
        return Optional.empty();
    }

    /** The template digest with a fresh {@link MessageDigest}; convenient, not for hot loops. */
    public static Digest of(MeasurementRecord r, HashAlgorithm algorithm) {
        MessageDigest md = algorithm.newDigest();
        byte[] out = new byte[algorithm.digestLength()];
        digestInto(r, md, out, 0);
        return Digest.wrap(out);
    }

    /**
     * Whether the stored template digest equals the digest recomputed with {@code md} (whose length
     * must be the stored digest's). {@code scratch} holds at least that many bytes.
     */
    public static boolean matchesStored(MeasurementRecord r, MessageDigest md, byte[] scratch) {
        digestInto(r, md, scratch, 0);
        return r.templateDigest().equalsBytes(scratch, 0, md.getDigestLength());
    }

    private static int imaNameLength(Bytes data, ByteOrder order) {
        int b0 = data.byteAt(20) & 0xFF, b1 = data.byteAt(21) & 0xFF, b2 = data.byteAt(22) & 0xFF, b3 = data.byteAt(23) & 0xFF;
        return order == ByteOrder.LITTLE_ENDIAN ? b0 | b1 << 8 | b2 << 16 | b3 << 24 : b3 | b2 << 8 | b1 << 16 | b0 << 24;
    }
}

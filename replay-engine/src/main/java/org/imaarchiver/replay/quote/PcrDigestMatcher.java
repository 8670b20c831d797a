package org.imaarchiver.replay.quote;

import java.security.DigestException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;

/**
 * Compares PCR values with one quote's pcrDigest (kernel-interface.md C.2) without allocating per call: the
 * selection is flattened once and the hash and buffers are reused. A quote-point search calls
 * {@link #matches} after every replayed record (C.3). Not thread-safe.
 */
public final class PcrDigestMatcher {
    private final PcrBank[] order;
    private final MessageDigest md;
    private final byte[] expected;
    private final byte[] valueBuf = new byte[Quote.MAX_DIGEST];
    private final byte[] out;

    PcrDigestMatcher(List<PcrSelection> selection, HashAlgorithm signingHash, Digest pcrDigest) {
        List<PcrBank> banks = new ArrayList<>();
        for (PcrSelection s : selection) {
            for (int pcr : s.pcrs()) banks.add(PcrBank.of(pcr, s.bank()));
        }
        this.order = banks.toArray(new PcrBank[0]);
        this.md = signingHash.newDigest();
        this.expected = pcrDigest.bytes();
        this.out = new byte[signingHash.digestLength()];
    }

    /** The selected PCRs in the order they are hashed. */
    public List<PcrBank> selectedPcrs() { return List.of(order); }

    /**
     * Whether {@code values} hash to the quote's pcrDigest. {@code values} must return a value of the
     * bank's size for every selected PCR (the reset value for an untouched one).
     */
    public boolean matches(Function<PcrBank, Digest> values) {
        if (expected.length != out.length) return false;
        md.reset();
        for (PcrBank pcr : order) {
            Digest v = values.apply(pcr);
            int len = pcr.algorithm().digestLength();
            if (v.length() != len) {
                throw new IllegalArgumentException("value for " + pcr + " has " + v.length() + " bytes");
            }
            v.copyTo(valueBuf, 0);
            md.update(valueBuf, 0, len);
        }
        try {
            md.digest(out, 0, out.length);
        } catch (DigestException e) {
            throw new IllegalStateException(e);
        }
        return MessageDigest.isEqual(out, expected);
    }
}

package org.imaarchiver.replay.quote;

import java.util.List;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * A quote whose signature verified under the given AK, with the TPM's magic, the quote type and (if
 * {@link #nonceChecked()}) the expected nonce. Only {@link QuoteVerifier} creates one.
 *
 * <p>What a caller may conclude: the TPM holding this AK's private key reported this pcrDigest over
 * this selection. What it may not: that any particular PCR values are right (that needs
 * {@link QuoteVerifier#checkPcrDigest} or a replay matching {@link #matcher()}), that the AK belongs
 * to the host (enrolment), or, when the nonce was not checked, that the quote is fresh.
 */
public final class VerifiedQuote {
    private final Quote quote;
    private final QuoteSignature signature;
    private final AkPublicKey ak;
    private final boolean nonceChecked;

    VerifiedQuote(Quote quote, QuoteSignature signature, AkPublicKey ak, boolean nonceChecked) {
        this.quote = quote;
        this.signature = signature;
        this.ak = ak;
        this.nonceChecked = nonceChecked;
    }

    public Quote quote() { return quote; }

    public QuoteSignature signature() { return signature; }

    public AkPublicKey ak() { return ak; }

    /** False when verified with {@link QuoteVerifier#verifyWithoutNonce}: freshness not established. */
    public boolean nonceChecked() { return nonceChecked; }

    /** The scheme's hash: the TPM hashed pcrDigest with it (kernel-interface.md C.2). */
    public HashAlgorithm signingHash() { return signature.hash(); }

    /** kernel-interface.md C.4: changes on every boot; comparable only between quotes by the same AK. */
    public long resetCount() { return quote.resetCount(); }

    /** kernel-interface.md C.4: changes on resume/hibernate; comparable only between quotes by the same AK. */
    public long restartCount() { return quote.restartCount(); }

    public List<PcrSelection> pcrSelection() { return quote.pcrSelection(); }

    public Digest pcrDigest() { return quote.pcrDigest(); }

    public Bytes extraData() { return quote.extraData(); }

    /** A matcher for this quote's pcrDigest with the signing hash (for the quote-point search, C.3). */
    public PcrDigestMatcher matcher() { return quote.matcher(signingHash()); }

    @Override
    public String toString() {
        return "VerifiedQuote[selection=" + quote.pcrSelection() + ", pcrDigest=" + quote.pcrDigest()
                + ", hash=" + signingHash() + ", resetCount=" + resetCount() + ", restartCount=" + restartCount()
                + ", nonceChecked=" + nonceChecked + "]";
    }
}

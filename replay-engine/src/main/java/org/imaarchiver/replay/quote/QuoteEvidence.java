package org.imaarchiver.replay.quote;

import java.util.Objects;
import org.imaarchiver.replay.bytes.Bytes;

/**
 * One TPM2_Quote, the single type that carries it from the TPM client through the nightly job and
 * the segment manifest to the verifier: the marshalled TPMS_ATTEST (kernel-interface.md C.1), the
 * marshalled TPMT_SIGNATURE over it, and the TPM name of the attestation key that signed it, each
 * exactly as taken and stored (docs/archive-format.md, "quote").
 *
 * <p>The attest and signature bytes are decoded once, when the value is made, and the decoded form
 * travels with them; nobody parses them again. Bytes that do not decode still make a value (a
 * manifest may hold them, and the verifier reports them as a {@link QuoteFailure}); the decoding
 * error is kept and given to whoever asks for the decoded form. Nothing here is verified: only
 * {@link QuoteVerifier} turns a value into a {@link VerifiedQuote}.
 *
 * <p>A class rather than a record because the decoded form is derived from the bytes, not a
 * component: equality is over the three byte fields only.
 */
public final class QuoteEvidence {
    private final Bytes attest;
    private final Bytes signature;
    private final Bytes akName;
    private final Decoded<Quote> attested;
    private final Decoded<QuoteSignature> signatureScheme;

    /** One decoding: the value, or the error that stopped it. */
    private sealed interface Decoded<T> permits Ok, Failed {}

    private record Ok<T>(T value) implements Decoded<T> {}

    private record Failed<T>(MalformedQuoteException error) implements Decoded<T> {}

    /**
     * Evidence from stored or imported bytes (a manifest, tpm2-tools files), decoded here. The attest
     * may be a TPMS_ATTEST or a TPM2B_ATTEST (as some tools write it); it is stored as given.
     *
     * @throws IllegalArgumentException when the attest or the signature is empty
     */
    public QuoteEvidence(Bytes attest, Bytes signature, Bytes akName) {
        this(attest, signature, akName, decodeAttest(attest), decodeSignature(signature));
    }

    private QuoteEvidence(Bytes attest, Bytes signature, Bytes akName, Decoded<Quote> attested,
                          Decoded<QuoteSignature> signatureScheme) {
        this.attest = Objects.requireNonNull(attest, "attest");
        this.signature = Objects.requireNonNull(signature, "signature");
        this.akName = Objects.requireNonNull(akName, "akName");
        if (attest.isEmpty()) throw new IllegalArgumentException("empty attest");
        if (signature.isEmpty()) throw new IllegalArgumentException("empty quote signature");
        this.attested = attested;
        this.signatureScheme = signatureScheme;
    }

    /**
     * Reads the parameters of a TPM2_Quote response (TPM2B_ATTEST quoted, TPMT_SIGNATURE signature;
     * TPM 2.0 Part 3, 18.4) from {@code r}, decoding each once as it is read. A malformed field is
     * {@code r}'s exception, at its offset in the response. Stops after the signature; the caller
     * checks that the response ends there.
     *
     * @param akName the TPM name of the key that signed (the caller knows which key it asked)
     */
    public static <E extends Exception> QuoteEvidence readQuoteResponse(TpmReader<E> r, Bytes akName) throws E {
        int sizeAt = r.position();
        int size = r.u16("TPM2B_ATTEST.size");
        if (size > Quote.MAX_ATTEST) {
            throw r.error(MalformedQuoteException.Kind.BAD_VALUE, "TPM2B_ATTEST", sizeAt,
                    "size " + size + " exceeds bound " + Quote.MAX_ATTEST);
        }
        Quote quote = Quote.read(r.sub(size, "TPM2B_ATTEST"), "TPM2B_ATTEST");
        int sigStart = r.position();
        QuoteSignature sig = QuoteSignature.read(r);
        Bytes sigBytes = r.slice(sigStart, r.position());
        return new QuoteEvidence(quote.attest(), sigBytes, akName, new Ok<>(quote), new Ok<>(sig));
    }

    private static Decoded<Quote> decodeAttest(Bytes attest) {
        try {
            return new Ok<>(Quote.parse(attest.toArray()));
        } catch (MalformedQuoteException e) {
            return new Failed<>(e);
        }
    }

    private static Decoded<QuoteSignature> decodeSignature(Bytes signature) {
        try {
            return new Ok<>(QuoteSignature.parse(signature.toArray()));
        } catch (MalformedQuoteException e) {
            return new Failed<>(e);
        }
    }

    /** The attest bytes as taken or stored (TPMS_ATTEST, or TPM2B_ATTEST when imported so). */
    public Bytes attest() { return attest; }

    /** The TPMT_SIGNATURE bytes as the TPM marshalled them. */
    public Bytes signature() { return signature; }

    /** The signing AK's TPM name; empty when imported with a PEM key and no name. */
    public Bytes akName() { return akName; }

    /** The decoded TPMS_ATTEST, <b>unverified</b>; its {@link Quote#attest()} is the TPMS_ATTEST the AK signed. */
    public Quote attested() throws MalformedQuoteException {
        return value(attested);
    }

    /** The decoded TPMT_SIGNATURE, <b>unverified</b>. */
    public QuoteSignature signatureScheme() throws MalformedQuoteException {
        return value(signatureScheme);
    }

    private static <T> T value(Decoded<T> d) throws MalformedQuoteException {
        if (d instanceof Ok<T> ok) return ok.value();
        throw copy(((Failed<T>) d).error());
    }

    /** A fresh exception per caller, so one caller's stack or suppressed list never reaches another. */
    private static MalformedQuoteException copy(MalformedQuoteException e) {
        MalformedQuoteException c = new MalformedQuoteException(e.kind(), e.field(), e.offset(), e.detail());
        c.initCause(e);
        return c;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QuoteEvidence q && attest.equals(q.attest) && signature.equals(q.signature)
                && akName.equals(q.akName);
    }

    @Override
    public int hashCode() { return Objects.hash(attest, signature, akName); }

    @Override
    public String toString() {
        return "QuoteEvidence[attest=" + attest.length() + " bytes, signature=" + signature.length()
                + " bytes, akName=" + akName.hex() + "]";
    }
}

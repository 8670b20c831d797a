package org.imaarchiver.replay.quote;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;

/**
 * Verifies TPM 2.0 quotes, one check per step in go-attestation's order:
 * <ol>
 *   <li>the signature scheme fits the AK type, and the signature verifies under the AK over the raw
 *       TPMS_ATTEST bytes with the scheme's hash (kernel-interface.md C.1: the TPM signs H_sig(TPMS_ATTEST));
 *   <li>magic is TPM_GENERATED_VALUE 0xFF544347 (C.1);
 *   <li>type is TPM_ST_ATTEST_QUOTE 0x8018 (C.1);
 *   <li>the rest decodes as a TPMS_QUOTE_INFO with supported banks only (fail closed);
 *   <li>extraData equals the expected nonce, compared in constant time (C.1, C.3 step 1).
 * </ol>
 * The signature is checked first and on the bytes as received, so nothing decoded from unsigned bytes
 * drives a decision. The PCR values are a separate step, {@link #checkPcrDigest}, over the
 * <em>returned</em> selection with the signing hash (C.2). Stateless and thread-safe.
 */
public final class QuoteVerifier {

    /**
     * Verifies a quote as it travels ({@link QuoteEvidence}: from the TPM or a manifest) and requires
     * extraData to equal {@code expectedNonce}. Uses the evidence's own decoding; parses nothing again.
     */
    public QuoteResult verify(QuoteEvidence quote, AkPublicKey ak, Bytes expectedNonce) {
        return run(quote, ak, Optional.of(expectedNonce));
    }

    /**
     * Verifies without a nonce. The result proves the TPM made the quote at some time, not that it is
     * fresh: use only where freshness comes from elsewhere (e.g. re-verifying an archived quote).
     */
    public QuoteResult verifyWithoutNonce(QuoteEvidence quote, AkPublicKey ak) {
        return run(quote, ak, Optional.empty());
    }

    /** Verifies a TPMS_ATTEST under an already decoded signature and requires extraData to equal {@code expectedNonce}. */
    public QuoteResult verify(Bytes attest, QuoteSignature signature, AkPublicKey ak, Bytes expectedNonce) {
        return run(attest.toArray(), signature, ak, Optional.of(expectedNonce));
    }

    /** {@link #verifyWithoutNonce(QuoteEvidence, AkPublicKey)} for a TPMS_ATTEST and a decoded signature. */
    public QuoteResult verifyWithoutNonce(Bytes attest, QuoteSignature signature, AkPublicKey ak) {
        return run(attest.toArray(), signature, ak, Optional.empty());
    }

    /** Verifies the tpm2-tools files ({@code -m} and {@code -s} contents); decoding errors become failures. */
    public QuoteResult verifyFiles(byte[] attestFile, byte[] signatureFile, AkPublicKey ak, Bytes expectedNonce) {
        QuoteSignature sig;
        try {
            sig = QuoteSignature.parse(signatureFile);
        } catch (MalformedQuoteException e) {
            return new QuoteResult.Failed(QuoteFailure.Malformed.from(e));
        }
        return run(attestFile, sig, ak, Optional.of(expectedNonce));
    }

    private QuoteResult run(QuoteEvidence evidence, AkPublicKey ak, Optional<Bytes> expectedNonce) {
        QuoteSignature sig;
        try {
            sig = evidence.signatureScheme();
        } catch (MalformedQuoteException e) {
            return new QuoteResult.Failed(QuoteFailure.Malformed.from(e));
        }
        return run(Quote.unwrapTpm2bAttest(evidence.attest().toArray()), evidence::attested, sig, ak, expectedNonce);
    }

    private QuoteResult run(byte[] input, QuoteSignature sig, AkPublicKey ak, Optional<Bytes> expectedNonce) {
        byte[] attest = Quote.unwrapTpm2bAttest(input);
        return run(attest, () -> Quote.parse(attest), sig, ak, expectedNonce);
    }

    /** The decoded form of the bytes whose signature {@link #run} checks. */
    @FunctionalInterface
    private interface Decoding {
        Quote decode() throws MalformedQuoteException;
    }

    private QuoteResult run(byte[] attest, Decoding decoding, QuoteSignature sig, AkPublicKey ak,
                            Optional<Bytes> expectedNonce) {
        // 1. Signature over exactly the bytes the TPM signed.
        Optional<QuoteFailure> sigFailure = checkSignature(attest, sig, ak.publicKey());
        if (sigFailure.isPresent()) return new QuoteResult.Failed(sigFailure.get());

        // 2. and 3. Magic and type, read directly so they are reported before any decoding error.
        if (attest.length < 6) {
            return new QuoteResult.Failed(new QuoteFailure.Malformed("TPMS_ATTEST", attest.length,
                    MalformedQuoteException.Kind.TRUNCATED, attest.length + " bytes, magic and type need 6"));
        }
        long magic = ((long) (attest[0] & 0xff) << 24) | ((attest[1] & 0xff) << 16) | ((attest[2] & 0xff) << 8)
                | (attest[3] & 0xff);
        if (magic != Quote.TPM_GENERATED_VALUE) {
            return new QuoteResult.Failed(new QuoteFailure.BadMagic(Quote.TPM_GENERATED_VALUE, magic));
        }
        int type = ((attest[4] & 0xff) << 8) | (attest[5] & 0xff);
        if (type != Quote.TPM_ST_ATTEST_QUOTE) {
            return new QuoteResult.Failed(new QuoteFailure.WrongType(Quote.TPM_ST_ATTEST_QUOTE, type));
        }

        // 4. The signed structure, decoded once from these very bytes.
        Quote quote;
        try {
            quote = decoding.decode();
        } catch (MalformedQuoteException e) {
            return new QuoteResult.Failed(QuoteFailure.Malformed.from(e));
        }

        // 5. Freshness: the nonce we sent must be the qualifying data the TPM signed.
        if (expectedNonce.isPresent()) {
            Bytes want = expectedNonce.get();
            if (!MessageDigest.isEqual(want.toArray(), quote.extraData().toArray())) {
                return new QuoteResult.Failed(new QuoteFailure.NonceMismatch(want, quote.extraData()));
            }
        }
        return new QuoteResult.Verified(new VerifiedQuote(quote, sig, ak, expectedNonce.isPresent()));
    }

    /**
     * Checks that {@code values} hash to the quote's pcrDigest over the returned selection with the
     * signing hash (kernel-interface.md C.2). Every quoted PCR needs a value; values for PCRs the quote does
     * not cover are ignored (they are not attested). Empty when the digest matches.
     */
    public Optional<QuoteFailure> checkPcrDigest(VerifiedQuote quote, Function<PcrBank, Optional<Digest>> values) {
        List<PcrSelection> selection = quote.pcrSelection();
        List<PcrBank> missing = new ArrayList<>();
        int selected = 0;
        for (PcrSelection s : selection) {
            for (int pcr : s.pcrs()) {
                selected++;
                PcrBank key = PcrBank.of(pcr, s.bank());
                Optional<Digest> v = values.apply(key);
                if (v.isEmpty()) {
                    missing.add(key);
                } else if (v.get().length() != s.bank().digestLength()) {
                    return Optional.of(new QuoteFailure.PcrValueLength(key, s.bank().digestLength(), v.get().length()));
                }
            }
        }
        if (selected == 0) return Optional.of(new QuoteFailure.NoPcrsSelected(selection));
        if (!missing.isEmpty()) {
            missing.sort(null);
            return Optional.of(new QuoteFailure.PcrValuesMissing(missing));
        }
        HashAlgorithm hash = quote.signingHash();
        Digest computed = PcrDigest.compute(selection, hash, k -> values.apply(k).orElseThrow());
        if (!MessageDigest.isEqual(computed.bytes(), quote.pcrDigest().bytes())) {
            return Optional.of(new QuoteFailure.PcrDigestMismatch(quote.pcrDigest(), computed, selection, hash));
        }
        return Optional.empty();
    }

    public Optional<QuoteFailure> checkPcrDigest(VerifiedQuote quote, Map<PcrBank, Digest> values) {
        return checkPcrDigest(quote, k -> Optional.ofNullable(values.get(k)));
    }

    public Optional<QuoteFailure> checkPcrDigest(VerifiedQuote quote, PcrValues values) {
        return checkPcrDigest(quote, values::find);
    }

    // ---- signatures ----

    private static Optional<QuoteFailure> checkSignature(byte[] attest, QuoteSignature sig, PublicKey key) {
        String keyAlg = describeKey(key);
        if (sig instanceof QuoteSignature.Rsa rsa) {
            if (!(key instanceof RSAPublicKey rsaKey)) {
                return Optional.of(new QuoteFailure.SignatureKeyMismatch(sig.sigAlg(), keyAlg));
            }
            int modulusBytes = (rsaKey.getModulus().bitLength() + 7) / 8;
            if (rsa.signature().length() != modulusBytes) {
                // A longer or shorter signature is never valid; some verifiers let padding through.
                return bad(sig, keyAlg, rsa.signature().length() + "-byte signature for a " + modulusBytes + "-byte modulus");
            }
            byte[] s = rsa.signature().toArray();
            if (rsa.scheme() == QuoteSignature.RsaScheme.RSASSA) {
                return verifies(jcaName(rsa.hash(), "RSA"), null, rsaKey, attest, s)
                        ? Optional.empty() : bad(sig, keyAlg, "RSASSA-PKCS1-v1_5 check failed");
            }
            // RSAPSS: TPMs use salt = hash length (TPM 2.0 Part 1 B.7); older ones the maximum.
            int hLen = rsa.hash().digestLength();
            int emLen = (rsaKey.getModulus().bitLength() - 1 + 7) / 8;
            for (int salt : new int[] {hLen, emLen - hLen - 2}) {
                PSSParameterSpec spec = new PSSParameterSpec(rsa.hash().jcaName(), "MGF1",
                        new MGF1ParameterSpec(rsa.hash().jcaName()), salt, 1);
                if (salt >= 0 && verifies("RSASSA-PSS", spec, rsaKey, attest, s)) return Optional.empty();
            }
            return bad(sig, keyAlg, "RSASSA-PSS check failed with salt lengths " + hLen + " and " + (emLen - hLen - 2));
        }
        QuoteSignature.Ecdsa ec = (QuoteSignature.Ecdsa) sig;
        if (!(key instanceof ECPublicKey)) {
            return Optional.of(new QuoteFailure.SignatureKeyMismatch(sig.sigAlg(), keyAlg));
        }
        byte[] der = derSignature(ec.r(), ec.s());
        return verifies(jcaName(ec.hash(), "ECDSA"), null, key, attest, der)
                ? Optional.empty() : bad(sig, keyAlg, "ECDSA check failed");
    }

    private static Optional<QuoteFailure> bad(QuoteSignature sig, String keyAlg, String detail) {
        return Optional.of(new QuoteFailure.BadSignature(sig.sigAlg(), sig.hash(), keyAlg, detail));
    }

    private static boolean verifies(String alg, PSSParameterSpec spec, PublicKey key, byte[] data, byte[] sig) {
        try {
            Signature v = Signature.getInstance(alg);
            if (spec != null) v.setParameter(spec);
            v.initVerify(key);
            v.update(data);
            return v.verify(sig);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            // Malformed signature encodings and out-of-range values are a failed check, not an error.
            return false;
        }
    }

    private static String jcaName(HashAlgorithm hash, String suffix) {
        return hash.jcaName().replace("-", "") + "with" + suffix;
    }

    private static String describeKey(PublicKey key) {
        if (key instanceof RSAPublicKey r) return "RSA-" + r.getModulus().bitLength();
        if (key instanceof ECPublicKey e) return "EC-P" + e.getParams().getCurve().getField().getFieldSize();
        return key.getAlgorithm();
    }

    /** ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279), from the TPM's unsigned r, s. */
    static byte[] derSignature(Bytes r, Bytes s) {
        byte[] ri = new BigInteger(1, r.toArray()).toByteArray();
        byte[] si = new BigInteger(1, s.toArray()).toByteArray();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        derTlv(body, 0x02, ri);
        derTlv(body, 0x02, si);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        derTlv(out, 0x30, body.toByteArray());
        return out.toByteArray();
    }

    private static void derTlv(ByteArrayOutputStream out, int tag, byte[] value) {
        out.write(tag);
        int len = value.length;
        if (len < 0x80) {
            out.write(len);
        } else if (len < 0x100) {
            out.write(0x81);
            out.write(len);
        } else {
            out.write(0x82);
            out.write(len >> 8);
            out.write(len);
        }
        out.write(value, 0, len);
    }
}

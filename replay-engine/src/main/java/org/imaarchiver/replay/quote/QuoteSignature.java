package org.imaarchiver.replay.quote;

import java.util.Objects;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * A TPMT_SIGNATURE (the {@code tpm2_quote -s} file in the default "tss" format; kernel-interface.md T.4.3).
 * Only the schemes a quote verifier needs are decoded; any other sigAlg (HMAC, ECDAA, SM2, ECSCHNORR,
 * NULL) fails closed with {@link MalformedQuoteException.Kind#UNSUPPORTED_ALGORITHM}.
 */
public sealed interface QuoteSignature permits QuoteSignature.Rsa, QuoteSignature.Ecdsa {
    int TPM_ALG_RSASSA = 0x0014;
    int TPM_ALG_RSAPSS = 0x0016;
    int TPM_ALG_ECDSA = 0x0018;

    /** RSA modulus bound: 4096-bit keys (TPM2B_PUBLIC_KEY_RSA is MAX_RSA_KEY_BYTES). */
    int MAX_RSA_BYTES = 512;
    /** ECC parameter bound: P-521 coordinates are 66 bytes. */
    int MAX_ECC_BYTES = 66;

    /** The scheme's hash: the TPM signed H(TPMS_ATTEST) with it and hashed pcrDigest with it (C.2). */
    HashAlgorithm hash();

    /** TPM_ALG_ID of the signature scheme. */
    int sigAlg();

    /** RSA scheme: RSASSA-PKCS1-v1_5 or RSASSA-PSS. */
    enum RsaScheme {
        RSASSA(TPM_ALG_RSASSA), RSAPSS(TPM_ALG_RSAPSS);

        private final int algId;

        RsaScheme(int algId) { this.algId = algId; }

        public int algId() { return algId; }
    }

    /** TPMS_SIGNATURE_RSA: the raw signature, as long as the modulus. */
    record Rsa(RsaScheme scheme, HashAlgorithm hash, Bytes signature) implements QuoteSignature {
        public Rsa {
            Objects.requireNonNull(scheme, "scheme");
            Objects.requireNonNull(hash, "hash");
            Objects.requireNonNull(signature, "signature");
        }

        @Override
        public int sigAlg() { return scheme.algId(); }
    }

    /** TPMS_SIGNATURE_ECDSA: r and s as unsigned big-endian integers. */
    record Ecdsa(HashAlgorithm hash, Bytes r, Bytes s) implements QuoteSignature {
        public Ecdsa {
            Objects.requireNonNull(hash, "hash");
            Objects.requireNonNull(r, "r");
            Objects.requireNonNull(s, "s");
        }

        @Override
        public int sigAlg() { return TPM_ALG_ECDSA; }
    }

    /** Decodes exactly one TPMT_SIGNATURE (a {@code tpm2_quote -s} file). */
    public static QuoteSignature parse(byte[] input) throws MalformedQuoteException {
        TpmReader<MalformedQuoteException> r = TpmReader.of(input);
        QuoteSignature sig = read(r);
        r.expectEnd("TPMT_SIGNATURE");
        return sig;
    }

    /** Decodes one TPMT_SIGNATURE at {@code r}'s position (in a file or a TPM2_Quote response). */
    public static <E extends Exception> QuoteSignature read(TpmReader<E> r) throws E {
        int sigAlgAt = r.position();
        int sigAlg = r.u16("TPMT_SIGNATURE.sigAlg");
        if (sigAlg == TPM_ALG_RSASSA || sigAlg == TPM_ALG_RSAPSS) {
            HashAlgorithm hash = r.hashAlg("TPMS_SIGNATURE_RSA.hash");
            Bytes s = r.tpm2bBytes("TPMS_SIGNATURE_RSA.sig", MAX_RSA_BYTES);
            return new Rsa(sigAlg == TPM_ALG_RSASSA ? RsaScheme.RSASSA : RsaScheme.RSAPSS, hash, s);
        }
        if (sigAlg == TPM_ALG_ECDSA) {
            HashAlgorithm hash = r.hashAlg("TPMS_SIGNATURE_ECC.hash");
            Bytes sr = r.tpm2bBytes("TPMS_SIGNATURE_ECC.signatureR", MAX_ECC_BYTES);
            Bytes ss = r.tpm2bBytes("TPMS_SIGNATURE_ECC.signatureS", MAX_ECC_BYTES);
            return new Ecdsa(hash, sr, ss);
        }
        throw r.error(MalformedQuoteException.Kind.UNSUPPORTED_ALGORITHM, "TPMT_SIGNATURE.sigAlg", sigAlgAt,
                String.format("signature scheme 0x%04x", sigAlg));
    }
}

package org.imaarchiver.replay.quote;

import java.util.List;
import java.util.Objects;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;

/**
 * Why a quote was rejected. One record per check of {@link QuoteVerifier}, each naming what was
 * expected and what was found. {@link #describe()} is the only place messages are built.
 */
public sealed interface QuoteFailure permits QuoteFailure.Malformed, QuoteFailure.UnsupportedAlgorithm,
        QuoteFailure.SignatureKeyMismatch, QuoteFailure.BadSignature, QuoteFailure.BadMagic, QuoteFailure.WrongType,
        QuoteFailure.NonceMismatch, QuoteFailure.NoPcrsSelected, QuoteFailure.PcrValuesMissing,
        QuoteFailure.PcrValueLength, QuoteFailure.PcrDigestMismatch {

    /** A human-readable account built from the fields. */
    String describe();

    /** An artifact could not be decoded. */
    record Malformed(String field, long offset, MalformedQuoteException.Kind kind, String detail) implements QuoteFailure {
        static QuoteFailure from(MalformedQuoteException e) {
            if (e.kind() == MalformedQuoteException.Kind.UNSUPPORTED_ALGORITHM) {
                return new UnsupportedAlgorithm(e.field(), e.offset(), e.detail());
            }
            return new Malformed(e.field(), e.offset(), e.kind(), e.detail());
        }

        @Override
        public String describe() { return kind + " in " + field + " at byte offset " + offset + ": " + detail; }
    }

    /** An algorithm (hash, scheme, curve, key type) outside the supported set: fail closed. */
    record UnsupportedAlgorithm(String field, long offset, String algorithm) implements QuoteFailure {
        @Override
        public String describe() { return "unsupported " + algorithm + " in " + field + " at byte offset " + offset; }
    }

    /** The signature's scheme cannot come from this key (e.g. ECDSA with an RSA AK). */
    record SignatureKeyMismatch(int sigAlg, String keyAlgorithm) implements QuoteFailure {
        @Override
        public String describe() {
            return String.format("signature scheme 0x%04x cannot be made by a %s key", sigAlg, keyAlgorithm);
        }
    }

    /** The signature does not verify under the AK over the TPMS_ATTEST bytes. */
    record BadSignature(int sigAlg, HashAlgorithm hash, String keyAlgorithm, String detail) implements QuoteFailure {
        @Override
        public String describe() {
            return String.format("signature (scheme 0x%04x, %s) does not verify under the %s AK: %s",
                    sigAlg, hash, keyAlgorithm, detail);
        }
    }

    /** magic is not TPM_GENERATED_VALUE: the TPM did not generate this structure. */
    record BadMagic(long expected, long found) implements QuoteFailure {
        @Override
        public String describe() { return String.format("magic 0x%08x, expected 0x%08x", found, expected); }
    }

    /** type is not TPM_ST_ATTEST_QUOTE: a signed attestation of another kind. */
    record WrongType(int expected, int found) implements QuoteFailure {
        @Override
        public String describe() { return String.format("attestation type 0x%04x, expected 0x%04x", found, expected); }
    }

    /** extraData differs from the nonce the verifier sent: a replayed or foreign quote. */
    record NonceMismatch(Bytes expected, Bytes found) implements QuoteFailure {
        public NonceMismatch {
            Objects.requireNonNull(expected, "expected");
            Objects.requireNonNull(found, "found");
        }

        @Override
        public String describe() { return "extraData " + found.hex() + ", expected nonce " + expected.hex(); }
    }

    /** The quote selects no PCR, so it attests no log. */
    record NoPcrsSelected(List<PcrSelection> selection) implements QuoteFailure {
        public NoPcrsSelected { selection = List.copyOf(selection); }

        @Override
        public String describe() { return "quote selects no PCR: " + selection; }
    }

    /** Values were not supplied for PCRs the quote covers (sorted). */
    record PcrValuesMissing(List<PcrBank> missing) implements QuoteFailure {
        public PcrValuesMissing { missing = List.copyOf(missing); }

        @Override
        public String describe() { return "no value supplied for quoted " + missing; }
    }

    /** A supplied value is not of its bank's size. */
    record PcrValueLength(PcrBank pcr, int expected, int found) implements QuoteFailure {
        @Override
        public String describe() { return "value for " + pcr + " has " + found + " bytes, expected " + expected; }
    }

    /**
     * The supplied PCR values do not hash to the quote's pcrDigest.
     *
     * @param expected the quote's (signed) pcrDigest
     * @param computed H_sig over the supplied values in the returned selection's order
     */
    record PcrDigestMismatch(Digest expected, Digest computed, List<PcrSelection> selection, HashAlgorithm hash)
            implements QuoteFailure {
        public PcrDigestMismatch { selection = List.copyOf(selection); }

        @Override
        public String describe() {
            return "pcrDigest " + expected.hex() + " but " + hash + " over " + selection + " of the supplied values is "
                    + computed.hex();
        }
    }
}

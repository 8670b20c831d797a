package org.imaarchiver.archive.sign;

/** A manifest signature that does not verify; {@link Kind} says why. */
public class SignatureVerificationException extends Exception {
    /** Why the signature was rejected. */
    public enum Kind {
        /** Not DER CMS SignedData. */
        MALFORMED,
        /** The CMS carries its own content: a manifest signature must be detached. */
        NOT_DETACHED,
        /** Not exactly one SignerInfo. */
        SIGNER_COUNT,
        /** The signer's certificate is not embedded. */
        SIGNER_CERTIFICATE_MISSING,
        /** The signer certificate's public key is not in the trusted set. */
        UNTRUSTED_SIGNER,
        /** Signature or digest algorithm outside the profile (ECDSA P-256/SHA-256, Ed25519/SHA-512). */
        UNSUPPORTED_ALGORITHM,
        /** The signer certificate was not valid at the signed signing time. */
        SIGNER_CERTIFICATE_NOT_VALID,
        /** The signature does not verify over the given manifest bytes. */
        BAD_SIGNATURE,
        /** A timestamp was required and none is attached. */
        TIMESTAMP_MISSING,
        /** The timestamp token is malformed, does not verify, or is over another signature value. */
        BAD_TIMESTAMP,
        /** The timestamp authority's key is not in the trusted set. */
        UNTRUSTED_TIMESTAMP_AUTHORITY
    }

    private final Kind kind;

    public SignatureVerificationException(Kind kind, String detail) {
        super(kind + ": " + detail);
        this.kind = kind;
    }

    public SignatureVerificationException(Kind kind, String detail, Throwable cause) {
        this(kind, detail);
        initCause(cause);
    }

    public Kind kind() { return kind; }
}

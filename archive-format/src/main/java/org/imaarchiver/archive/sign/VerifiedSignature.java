package org.imaarchiver.archive.sign;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A manifest signature that verified.
 *
 * @param signer        the trusted signer certificate embedded in the CMS
 * @param timestampTime genTime of a verified RFC 3161 token over the signature, if one is attached
 * @param timestampAuthority the trusted TSA certificate that signed that token
 */
public record VerifiedSignature(X509Certificate signer, Optional<Instant> timestampTime,
                                Optional<X509Certificate> timestampAuthority) {
    public VerifiedSignature {
        Objects.requireNonNull(signer, "signer");
        Objects.requireNonNull(timestampTime, "timestampTime");
        Objects.requireNonNull(timestampAuthority, "timestampAuthority");
    }
}

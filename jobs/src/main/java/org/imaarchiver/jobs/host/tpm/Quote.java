package org.imaarchiver.jobs.host.tpm;

import java.util.Objects;
import org.imaarchiver.replay.log.Bytes;

/**
 * A TPM2_Quote result, unverified. {@code attest} is the TPMS_ATTEST unwrapped from TPM2B_ATTEST:
 * the exact bytes the AK signed (ima-kernel.md C.1), what {@code tpm2_quote -m} writes.
 * {@code signature} is the TPMT_SIGNATURE as marshalled by the TPM, what {@code tpm2_quote -s}
 * writes in its default format.
 */
public record Quote(Bytes attest, Bytes signature) {
    public Quote {
        Objects.requireNonNull(attest, "attest");
        Objects.requireNonNull(signature, "signature");
    }
}

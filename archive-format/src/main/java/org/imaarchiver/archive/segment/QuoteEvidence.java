package org.imaarchiver.archive.segment;

import java.util.Objects;
import org.imaarchiver.replay.log.Bytes;

/**
 * A TPM2_Quote as taken: the marshalled TPMS_ATTEST (ima-kernel.md C.1), the marshalled
 * TPMT_SIGNATURE over it, and the TPM name of the attestation key that signed it.
 */
public record QuoteEvidence(Bytes attest, Bytes signature, Bytes akName) {
    public QuoteEvidence {
        Objects.requireNonNull(attest, "attest");
        Objects.requireNonNull(signature, "signature");
        Objects.requireNonNull(akName, "akName");
        if (attest.isEmpty()) throw new IllegalArgumentException("empty attest");
        if (signature.isEmpty()) throw new IllegalArgumentException("empty quote signature");
    }
}

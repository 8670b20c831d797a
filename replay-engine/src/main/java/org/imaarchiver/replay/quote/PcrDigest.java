package org.imaarchiver.replay.quote;

import java.security.MessageDigest;
import java.util.List;
import java.util.function.Function;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;

/** The TPM's pcrDigest over a selection (kernel-interface.md C.2; ms-tpm-20-ref PCRComputeCurrentDigest). */
public final class PcrDigest {
    private PcrDigest() {}

    /**
     * Hashes, with {@code hash} (the signing scheme's hash), the concatenation of the selected PCR
     * values in selection order, PCR indices ascending within each entry.
     */
    public static Digest compute(List<PcrSelection> selection, HashAlgorithm hash, Function<PcrBank, Digest> values) {
        MessageDigest md = hash.newDigest();
        for (PcrSelection sel : selection) {
            for (int pcr : sel.pcrs()) {
                Digest v = values.apply(PcrBank.of(pcr, sel.bank()));
                if (v.length() != sel.bank().digestLength()) {
                    throw new IllegalArgumentException("value for " + PcrBank.of(pcr, sel.bank()) + " has " + v.length() + " bytes");
                }
                md.update(v.bytes());
            }
        }
        return Digest.wrap(md.digest());
    }
}

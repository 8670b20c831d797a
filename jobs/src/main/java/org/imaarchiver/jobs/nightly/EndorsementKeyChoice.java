package org.imaarchiver.jobs.nightly;

import java.util.Optional;
import org.imaarchiver.jobs.host.tpm.EkTemplate;
import org.imaarchiver.jobs.host.tpm.Tpm2;
import org.imaarchiver.jobs.host.tpm.TpmFailure;
import org.imaarchiver.replay.bytes.Bytes;

/**
 * Which endorsement key a host proves its AK with ({@code enroll --ek}), and the one rule that picks
 * its template: an EK the manufacturer certified is preferred, because only a certified EK lets the
 * verifier tie the AK to a genuine TPM.
 */
public enum EndorsementKeyChoice {
    RSA, ECC;

    /** An EK template and the certificate the TPM holds for it, if any. */
    public record ChosenEk(EkTemplate template, Optional<Bytes> certificate) {}

    /**
     * {@code RSA}: the RSA 2048 EK. {@code ECC}: the ECC EK with a certificate, P-256 (low range) before
     * P-384 (high range, what swtpm_setup certifies), else P-256. No choice: the RSA EK if it has a
     * certificate, else a certified ECC EK, else the RSA EK.
     */
    public static ChosenEk choose(Tpm2 tpm, Optional<EndorsementKeyChoice> choice) throws TpmFailure {
        if (choice.isPresent() && choice.get() == RSA) return withCertificate(tpm, EkTemplate.RSA2048_L1);
        ChosenEk rsa = null;
        if (choice.isEmpty()) {
            rsa = withCertificate(tpm, EkTemplate.RSA2048_L1);
            if (rsa.certificate().isPresent()) return rsa;
        }
        for (EkTemplate ecc : new EkTemplate[] {EkTemplate.ECC_P256_L2, EkTemplate.ECC_P384_H3}) {
            ChosenEk c = withCertificate(tpm, ecc);
            if (c.certificate().isPresent()) return c;
        }
        return rsa != null ? rsa : new ChosenEk(EkTemplate.ECC_P256_L2, Optional.empty());
    }

    private static ChosenEk withCertificate(Tpm2 tpm, EkTemplate t) throws TpmFailure {
        return new ChosenEk(t, tpm.ekCertificate(t));
    }
}

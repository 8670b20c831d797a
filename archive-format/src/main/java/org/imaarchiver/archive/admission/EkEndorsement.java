package org.imaarchiver.archive.admission;

import java.util.List;
import java.util.Objects;

/**
 * Who vouches that the EK is a TPM's: a certificate that chained to a trusted EK CA, or nobody (a
 * TPM without an EK certificate, admitted under {@code --allow-no-ek-certificate}; docs/trust-model.md).
 */
public sealed interface EkEndorsement {

    /**
     * The EK certificate that passed, as the admission record keeps it.
     *
     * @param issuer       the issuer DN (RFC 2253)
     * @param serial       the serial number, lower-case hex
     * @param sha256       SHA-256 of the certificate's DER, lower-case hex
     * @param anchor       the subject DN of the trusted CA certificate the chain ended at
     * @param manufacturer the SAN's TPM manufacturer (2.23.133.2.1), e.g. {@code id:00001014}
     * @param model        the SAN's TPM model (2.23.133.2.2)
     * @param version      the SAN's TPM firmware version (2.23.133.2.3)
     * @param warnings     profile deviations that did not refuse (e.g. no EK-certificate extended key usage)
     */
    record Certified(String issuer, String serial, String sha256, String anchor, String manufacturer, String model, String version,
                     List<String> warnings) implements EkEndorsement {
        public Certified {
            Objects.requireNonNull(issuer, "issuer");
            Objects.requireNonNull(serial, "serial");
            Objects.requireNonNull(sha256, "sha256");
            Objects.requireNonNull(anchor, "anchor");
            Objects.requireNonNull(manufacturer, "manufacturer");
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(version, "version");
            warnings = List.copyOf(warnings);
        }
    }

    /** No EK certificate; the operator's policy allowed it. Nothing but the activation binds the AK to this EK. */
    record Uncertified() implements EkEndorsement {}
}

package org.imaarchiver.archive.admission;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Why a host's AK is not admitted (docs/trust-model.md "Admission"): every refusal names the host
 * and what it is about. {@link #malformedInput()} tells evidence that cannot be read (exit 2) from
 * evidence that was read and does not pass (exit 1).
 */
public sealed interface AdmissionRefusal {
    String host();

    /** One line for the operator, naming the host. */
    String message();

    /** The request (or answer) could not be decoded, as opposed to decoded evidence that fails a check. */
    default boolean malformedInput() { return false; }

    /** A public area or certificate of the request does not decode ({@code what}: "ekPublic", "ekCertificates[0]", ...). */
    record MalformedEvidence(String host, String what, String detail) implements AdmissionRefusal {
        @Override public String message() { return "host " + host + ": " + what + " is malformed: " + detail; }
        @Override public boolean malformedInput() { return true; }
    }

    /** The TPM presented no EK certificate and the policy requires one ({@code --allow-no-ek-certificate} is off). */
    record NoEkCertificate(String host) implements AdmissionRefusal {
        @Override public String message() {
            return "host " + host + ": the request has no EK certificate (admitting a TPM without one needs --allow-no-ek-certificate)";
        }
    }

    /** The EK certificate does not chain to a CA of {@code --ek-ca} ({@code reason} from the path validation). */
    record EkCertificateUntrusted(String host, String subject, String issuer, String serial, String reason) implements AdmissionRefusal {
        @Override public String message() {
            return "host " + host + ": EK certificate " + serial + " (issuer " + issuer + ") does not chain to a trusted EK CA: " + reason;
        }
    }

    /** The EK certificate is not valid at {@code at} (expired, or not yet valid). */
    record EkCertificateOutsideValidity(String host, String serial, Instant notBefore, Instant notAfter, Instant at) implements AdmissionRefusal {
        public EkCertificateOutsideValidity {
            Objects.requireNonNull(notBefore, "notBefore");
            Objects.requireNonNull(notAfter, "notAfter");
            Objects.requireNonNull(at, "at");
        }
        @Override public String message() {
            return "host " + host + ": EK certificate " + serial + " is " + (at.isAfter(notAfter) ? "expired" : "not yet valid")
                    + " at " + at + " (valid " + notBefore + " to " + notAfter + ")";
        }
    }

    /** The EK certificate certifies another key than the request's EK public area. */
    record EkCertificateForAnotherKey(String host, String serial) implements AdmissionRefusal {
        @Override public String message() { return "host " + host + ": EK certificate " + serial + " is for another key than the request's EK"; }
    }

    /** The EK certificate's key usage lacks {@code required} (keyEncipherment for RSA, keyAgreement for ECC). */
    record EkCertificateKeyUsage(String host, String serial, String required) implements AdmissionRefusal {
        @Override public String message() { return "host " + host + ": EK certificate " + serial + " does not allow " + required; }
    }

    /** The EK certificate lacks an essential of the TCG EK credential profile ({@code missing}). */
    record EkCertificateProfile(String host, String serial, String missing) implements AdmissionRefusal {
        @Override public String message() { return "host " + host + ": EK certificate " + serial + " is not a TCG EK certificate: " + missing; }
    }

    /** The EK is not a key a credential can be made for (not a restricted decryption key of the TPM, or not AES-CFB). */
    record EkNotAStorageKey(String host, String detail) implements AdmissionRefusal {
        @Override public String message() { return "host " + host + ": the EK cannot be challenged: " + detail; }
    }

    /**
     * The AK is not a restricted signing key the TPM generated and keeps: {@code missing} attributes
     * it must have, {@code forbidden} ones it must not (tpm2-tools names).
     */
    record AkAttributes(String host, List<String> missing, List<String> forbidden) implements AdmissionRefusal {
        public AkAttributes {
            missing = List.copyOf(missing);
            forbidden = List.copyOf(forbidden);
        }
        @Override public String message() {
            return "host " + host + ": not an attestation key of the TPM:"
                    + (missing.isEmpty() ? "" : " lacks " + String.join(", ", missing))
                    + (missing.isEmpty() || forbidden.isEmpty() ? "" : ";")
                    + (forbidden.isEmpty() ? "" : " has " + String.join(", ", forbidden));
        }
    }

    /** The request's akName is not the name of its akPublic. */
    record AkNameMismatch(String host, String stated, String computed) implements AdmissionRefusal {
        @Override public String message() { return "host " + host + ": akName " + stated + " is not the name of akPublic (" + computed + ")"; }
    }

    /** The answer is not the challenge's secret: another TPM, another AK, or a forged answer. */
    record AnswerMismatch(String host) implements AdmissionRefusal {
        @Override public String message() {
            return "host " + host + ": the answer is not the challenge's secret (activated by another TPM or for another AK)";
        }
    }

    /** No challenge is pending for the host: never issued, or already answered (a replayed answer). */
    record NoPendingChallenge(String host) implements AdmissionRefusal {
        @Override public String message() { return "host " + host + ": no challenge is pending (never issued, or already answered)"; }
    }

    /** The pending challenge expired at {@code expiresAt}; answered at {@code at}. */
    record ChallengeExpired(String host, Instant issuedAt, Instant expiresAt, Instant at) implements AdmissionRefusal {
        @Override public String message() {
            return "host " + host + ": the challenge issued at " + issuedAt + " expired at " + expiresAt + " (answered " + at + "); run admit REQUEST again";
        }
    }
}

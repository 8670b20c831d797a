package org.imaarchiver.jobs.host.tpm;

import org.imaarchiver.replay.bytes.Bytes;

/** What TPM2_ActivateCredential made of a challenge ({@link CredentialActivation}). */
public sealed interface ActivationResult {
    /** The TPM recovered the verifier's secret: the answer. */
    record Activated(Bytes secret) implements ActivationResult {}

    /**
     * The TPM refused the challenge as not made for its EK and this AK (kernel-interface.md T.7): the
     * credential's integrity HMAC, keyed from the seed and covering the AK's name, does not verify
     * (TPM_RC_INTEGRITY), or the encrypted seed is not one for this EK (any error on the secret, the
     * second parameter: a size or point of another key type, or an RSA seed that does not decrypt,
     * TPM_RC_VALUE in the reference implementation and TPM_RC_FAILURE from libtpms, which keeps
     * working afterwards).
     */
    record NotForThisTpm(TpmResponseCode code) implements ActivationResult {}

    /** A refusal of the challenge, or {@code e} again when the TPM's error says something else. */
    static ActivationResult refusal(TpmException e) throws TpmException {
        TpmResponseCode rc = e.responseCode();
        boolean secretParameter = rc.location() == TpmResponseCode.Location.PARAMETER && rc.locationNumber() == 2;
        boolean refused = rc.baseCode() == TpmResponseCode.INTEGRITY || secretParameter
                || rc.baseCode() == TpmResponseCode.FAILURE;
        if (refused) return new NotForThisTpm(rc);
        throw e;
    }
}

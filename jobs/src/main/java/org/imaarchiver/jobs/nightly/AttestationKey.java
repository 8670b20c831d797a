package org.imaarchiver.jobs.nightly;

import java.util.Locale;
import org.imaarchiver.jobs.config.ArchiverSettings;
import org.imaarchiver.jobs.host.tpm.AkTemplate;
import org.imaarchiver.jobs.host.tpm.Hierarchy;
import org.imaarchiver.jobs.host.tpm.PrimaryKey;
import org.imaarchiver.jobs.host.tpm.Tpm2;
import org.imaarchiver.jobs.host.tpm.TpmFailure;
import org.imaarchiver.jobs.host.tpm.TpmPublic;

/**
 * The AK the job quotes with: a deterministic primary (same template, same hierarchy, same key
 * until the seed changes; kernel-interface.md T.4.2) recreated on every run, or a key persisted at a handle.
 *
 * @param handle    the handle to quote with
 * @param publicArea its public area (name, PEM, TPM2B_PUBLIC)
 * @param transient true when the handle must be flushed after use
 */
public record AttestationKey(int handle, TpmPublic publicArea, boolean transientHandle) {

    public static AttestationKey load(Tpm2 tpm, ArchiverSettings.Ak ak) throws TpmFailure {
        if (ak.persistent()) return new AttestationKey(ak.handleValue(), tpm.readPublic(ak.handleValue()), false);
        PrimaryKey key = tpm.createPrimary(hierarchy(ak), template(ak));
        return new AttestationKey(key.handle(), key.publicArea(), true);
    }

    public void release(Tpm2 tpm) throws TpmFailure {
        if (transientHandle) tpm.flushContext(handle);
    }

    static AkTemplate template(ArchiverSettings.Ak ak) {
        return ak.ecc() ? AkTemplate.ECC_P256_ECDSA_SHA256 : AkTemplate.RSA2048_RSASSA_SHA256;
    }

    static Hierarchy hierarchy(ArchiverSettings.Ak ak) {
        String h = ak.hierarchy() == null ? "endorsement" : ak.hierarchy().toLowerCase(Locale.ROOT);
        return switch (h) {
            case "owner" -> Hierarchy.OWNER;
            case "endorsement" -> Hierarchy.ENDORSEMENT;
            default -> throw new IllegalArgumentException("ima-archiver.ak.hierarchy must be endorsement or owner: " + h);
        };
    }
}

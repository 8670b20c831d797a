package org.imaarchiver.jobs.host.tpm;

import java.util.Objects;

/**
 * A key just made by TPM2_CreatePrimary: a transient handle (flush it, or persist it with
 * EvictControl) and its public area.
 */
public record PrimaryKey(int handle, TpmPublic publicArea) {
    public PrimaryKey {
        Objects.requireNonNull(publicArea, "publicArea");
    }
}

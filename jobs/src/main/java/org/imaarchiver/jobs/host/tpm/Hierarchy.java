package org.imaarchiver.jobs.host.tpm;

/** Permanent hierarchy handles (TCG TPM 2.0 Part 2 §7.4, TPM_RH_*). */
public enum Hierarchy {
    OWNER(0x40000001),
    NULL(0x40000007),
    ENDORSEMENT(0x4000000B),
    PLATFORM(0x4000000C);

    private final int handle;

    Hierarchy(int handle) { this.handle = handle; }

    public int handle() { return handle; }
}

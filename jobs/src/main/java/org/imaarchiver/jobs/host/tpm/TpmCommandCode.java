package org.imaarchiver.jobs.host.tpm;

/** The TPM_CC values this client sends (TCG TPM 2.0 Part 2 §6.5.2). */
public enum TpmCommandCode {
    EVICT_CONTROL(0x120, "EvictControl"),
    CREATE_PRIMARY(0x131, "CreatePrimary"),
    STARTUP(0x144, "Startup"),
    ACTIVATE_CREDENTIAL(0x147, "ActivateCredential"),
    NV_READ(0x14E, "NV_Read"),
    POLICY_SECRET(0x151, "PolicySecret"),
    QUOTE(0x158, "Quote"),
    FLUSH_CONTEXT(0x165, "FlushContext"),
    NV_READ_PUBLIC(0x169, "NV_ReadPublic"),
    READ_PUBLIC(0x173, "ReadPublic"),
    START_AUTH_SESSION(0x176, "StartAuthSession"),
    GET_CAPABILITY(0x17A, "GetCapability"),
    PCR_READ(0x17E, "PCR_Read"),
    PCR_EXTEND(0x182, "PCR_Extend");

    private final int code;
    private final String specName;

    TpmCommandCode(int code, String specName) {
        this.code = code;
        this.specName = specName;
    }

    public int code() { return code; }

    @Override
    public String toString() { return "TPM2_" + specName + String.format("(0x%03x)", code); }
}

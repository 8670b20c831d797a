package org.imaarchiver.jobs.host.tpm;

/**
 * Templates for a deterministic primary attestation key: restricted signing key with
 * fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|restricted|sign (0x00050072), nameAlg
 * SHA-256, no policy, empty unique field. The same template in the same hierarchy gives the same
 * key on every CreatePrimary until the hierarchy seed changes, which is what lets the nightly job
 * recreate its AK instead of storing it (kernel-interface.md T.4.2, {@code --primary-ak}).
 */
public enum AkTemplate {
    /** {@code tpm2_createprimary -G rsa2048:rsassa-sha256:null}. */
    RSA2048_RSASSA_SHA256,
    /** {@code tpm2_createprimary -G ecc256:ecdsa-sha256:null}. */
    ECC_P256_ECDSA_SHA256;

    static final int ALG_RSA = 0x0001;
    static final int ALG_SHA256 = 0x000B;
    static final int ALG_NULL = 0x0010;
    static final int ALG_RSASSA = 0x0014;
    static final int ALG_ECDSA = 0x0018;
    static final int ALG_ECDAA = 0x001A;
    static final int ALG_ECC = 0x0023;
    static final int ECC_NIST_P256 = 0x0003;
    static final int ECC_NIST_P384 = 0x0004;

    /** TPMA_OBJECT bits (Part 2 §8.3). */
    public static final int FIXED_TPM = 1 << 1;
    public static final int FIXED_PARENT = 1 << 4;
    public static final int SENSITIVE_DATA_ORIGIN = 1 << 5;
    public static final int USER_WITH_AUTH = 1 << 6;
    public static final int RESTRICTED = 1 << 16;
    public static final int SIGN = 1 << 18;
    public static final int AK_ATTRIBUTES = FIXED_TPM | FIXED_PARENT | SENSITIVE_DATA_ORIGIN | USER_WITH_AUTH | RESTRICTED | SIGN;

    /** The marshalled TPMT_PUBLIC template (Part 2 §12.2.4). */
    byte[] tpmtPublic() {
        TpmWriter w = new TpmWriter();
        if (this == RSA2048_RSASSA_SHA256) {
            w.u16(ALG_RSA).u16(ALG_SHA256).u32(AK_ATTRIBUTES).tpm2b(new byte[0]);
            w.u16(ALG_NULL);                      // symmetric: none (signing key)
            w.u16(ALG_RSASSA).u16(ALG_SHA256);    // scheme
            w.u16(2048).u32(0);                   // keyBits, exponent 0 = 65537
            w.tpm2b(new byte[0]);                 // unique: empty
        } else {
            w.u16(ALG_ECC).u16(ALG_SHA256).u32(AK_ATTRIBUTES).tpm2b(new byte[0]);
            w.u16(ALG_NULL);
            w.u16(ALG_ECDSA).u16(ALG_SHA256);
            w.u16(ECC_NIST_P256);
            w.u16(ALG_NULL);                      // kdf
            w.tpm2b(new byte[0]).tpm2b(new byte[0]); // unique: empty point
        }
        return w.toByteArray();
    }
}

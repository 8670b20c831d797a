package org.imaarchiver.jobs.host.tpm;

import java.util.HexFormat;

/**
 * The endorsement key templates of the TCG EK Credential Profile (kernel-interface.md T.7): the EK
 * is a primary key in the endorsement hierarchy, so CreatePrimary with the profile's template gives
 * back the very key the manufacturer certified, as long as the endorsement seed is unchanged. All
 * three are restricted decryption (storage) keys: fixedTPM|fixedParent|sensitiveDataOrigin|
 * adminWithPolicy|restricted|decrypt, AES-CFB, no scheme.
 *
 * <ul>
 *   <li>{@link #RSA2048_L1} and {@link #ECC_P256_L2}: the "low range" templates (what
 *       {@code tpm2_createek -G rsa|ecc} makes): nameAlg SHA-256, authPolicy = policy A
 *       (PolicySecret(TPM_RH_ENDORSEMENT)), no userWithAuth, AES-128, unique zero-filled to the key size.
 *   <li>{@link #ECC_P384_H3}: the "high range" template H-3 ({@code tpm2_createek -G ecc384}; the ECC EK
 *       swtpm_setup certifies): nameAlg SHA-384, authPolicy = policy B, userWithAuth set
 *       (its empty auth value authorizes the user role), AES-256, empty unique.
 * </ul>
 */
public enum EkTemplate {
    RSA2048_L1(0x01C00002),
    ECC_P256_L2(0x01C0000A),
    ECC_P384_H3(0x01C00016);

    private static final int ADMIN_WITH_POLICY = 1 << 7;
    private static final int RESTRICTED_DECRYPT = AkTemplate.RESTRICTED | (1 << 17);
    /** TPMA_OBJECT of the low-range templates: 0x000300B2. */
    private static final int LOW_ATTRIBUTES = AkTemplate.FIXED_TPM | AkTemplate.FIXED_PARENT
            | AkTemplate.SENSITIVE_DATA_ORIGIN | ADMIN_WITH_POLICY | RESTRICTED_DECRYPT;
    /** TPMA_OBJECT of the high-range templates: 0x000300F2. */
    private static final int HIGH_ATTRIBUTES = LOW_ATTRIBUTES | AkTemplate.USER_WITH_AUTH;
    private static final int ALG_AES = 0x0006;
    private static final int ALG_CFB = 0x0043;
    private static final int ALG_SHA384 = 0x000C;

    /** Policy A for SHA-256: PolicySecret(TPM_RH_ENDORSEMENT) with an empty policyRef. */
    static final byte[] POLICY_A_SHA256 = HexFormat.of().parseHex(
            "837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa");
    /** The H-3 template's authPolicy (policy B for SHA-384), as tpm2_createek and swtpm_setup both write it. */
    private static final byte[] POLICY_B_SHA384 = HexFormat.of().parseHex(
            "b26e7d28d11a50bc53d882bcf5fd3a1a074148bb35d3b4e4cb1c0ad9bde419ca"
                    + "cb47ba09699646150f9fc000f3f80e12");

    private final int certificateIndex;

    EkTemplate(int certificateIndex) { this.certificateIndex = certificateIndex; }

    /** The NV index where the manufacturer stores this EK's certificate (EK Credential Profile §2.2.1.5). */
    public int certificateIndex() { return certificateIndex; }

    public boolean isRsa() { return this == RSA2048_L1; }

    /**
     * True when the user role needs the policy session PolicySecret(TPM_RH_ENDORSEMENT) (no
     * userWithAuth); false when the EK's empty auth value in a password session is enough.
     */
    public boolean needsPolicySession() { return this != ECC_P384_H3; }

    /** The marshalled TPMT_PUBLIC template (Part 2 §12.2.4). */
    byte[] tpmtPublic() {
        TpmWriter w = new TpmWriter();
        switch (this) {
            case RSA2048_L1 -> {
                w.u16(AkTemplate.ALG_RSA).u16(AkTemplate.ALG_SHA256).u32(LOW_ATTRIBUTES).tpm2b(POLICY_A_SHA256);
                w.u16(ALG_AES).u16(128).u16(ALG_CFB);  // symmetric
                w.u16(AkTemplate.ALG_NULL);            // scheme
                w.u16(2048).u32(0);                    // keyBits, exponent 0 = 65537
                w.tpm2b(new byte[256]);                // unique: 256 zero bytes
            }
            case ECC_P256_L2 -> {
                w.u16(AkTemplate.ALG_ECC).u16(AkTemplate.ALG_SHA256).u32(LOW_ATTRIBUTES).tpm2b(POLICY_A_SHA256);
                w.u16(ALG_AES).u16(128).u16(ALG_CFB);
                w.u16(AkTemplate.ALG_NULL);
                w.u16(AkTemplate.ECC_NIST_P256).u16(AkTemplate.ALG_NULL); // curve, kdf
                w.tpm2b(new byte[32]).tpm2b(new byte[32]);                // unique: zero point
            }
            case ECC_P384_H3 -> {
                w.u16(AkTemplate.ALG_ECC).u16(ALG_SHA384).u32(HIGH_ATTRIBUTES).tpm2b(POLICY_B_SHA384);
                w.u16(ALG_AES).u16(256).u16(ALG_CFB);
                w.u16(AkTemplate.ALG_NULL);
                w.u16(AkTemplate.ECC_NIST_P384).u16(AkTemplate.ALG_NULL);
                w.tpm2b(new byte[0]).tpm2b(new byte[0]);                  // unique: empty
            }
            default -> throw new AssertionError(this);
        }
        return w.toByteArray();
    }
}

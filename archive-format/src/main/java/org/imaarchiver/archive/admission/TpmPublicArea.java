package org.imaarchiver.archive.admission;

import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.quote.AkPublicKey;
import org.imaarchiver.replay.quote.MalformedQuoteException;
import org.imaarchiver.replay.quote.TpmReader;

/**
 * A TPMT_PUBLIC as admission reads it (TPM 2.0 Part 2 §12.2.4): what the key is, how the TPM
 * protects it ({@link #attributes}), the symmetric algorithm a storage key such as the EK wraps
 * credentials with, and its TPM name. The key and the name come from {@link AkPublicKey} (one parser
 * of key material); this type adds the fields a verifier needs to check an AK and to make a
 * credential for an EK.
 *
 * @param marshalled the TPMT_PUBLIC bytes (what the name is a hash of)
 * @param type       {@link #TPM_ALG_RSA} or {@link #TPM_ALG_ECC}
 * @param nameAlg    the name algorithm (also the hash of credential protection)
 * @param attributes TPMA_OBJECT
 * @param symmetric  TPMT_SYM_DEF_OBJECT: algorithm, key bits, mode (algorithm NULL: bits and mode 0)
 * @param curve      TPMI_ECC_CURVE for ECC, 0 for RSA
 * @param eccX       the ECC point's x as the TPM holds it (KDFe's partyVInfo), empty for RSA
 * @param publicKey  the key
 * @param name       nameAlg || H_nameAlg(marshalled)
 */
public record TpmPublicArea(Bytes marshalled, int type, HashAlgorithm nameAlg, int attributes, Symmetric symmetric,
                            int curve, Bytes eccX, PublicKey publicKey, Bytes name) {
    public static final int TPM_ALG_RSA = 0x0001;
    public static final int TPM_ALG_ECC = 0x0023;
    public static final int TPM_ALG_AES = 0x0006;
    public static final int TPM_ALG_CFB = 0x0043;
    static final int TPM_ALG_NULL = 0x0010;
    static final int TPM_ALG_XOR = 0x000A;
    static final int TPM_ALG_ECDAA = 0x001A;
    static final int TPM_ALG_RSAES = 0x0015;
    public static final int TPM_ECC_NIST_P256 = 0x0003;
    public static final int TPM_ECC_NIST_P384 = 0x0004;
    public static final int TPM_ECC_NIST_P521 = 0x0005;

    /** TPMT_SYM_DEF_OBJECT. */
    public record Symmetric(int algorithm, int keyBits, int mode) {
        /** AES in CFB mode: what credential protection supports (Part 1 §24.4). */
        public boolean isAesCfb() { return algorithm == TPM_ALG_AES && mode == TPM_ALG_CFB && (keyBits == 128 || keyBits == 192 || keyBits == 256); }
    }

    /** TPMA_OBJECT bits (Part 2 §8.3) admission checks, with their tpm2-tools names. */
    public enum Attribute {
        FIXED_TPM(1, "fixedtpm"), FIXED_PARENT(4, "fixedparent"), SENSITIVE_DATA_ORIGIN(5, "sensitivedataorigin"),
        USER_WITH_AUTH(6, "userwithauth"), ADMIN_WITH_POLICY(7, "adminwithpolicy"),
        RESTRICTED(16, "restricted"), DECRYPT(17, "decrypt"), SIGN(18, "sign");

        private final int bit;
        private final String toolName;

        Attribute(int bit, String toolName) {
            this.bit = bit;
            this.toolName = toolName;
        }

        /** The name tpm2_readpublic prints. */
        public String toolName() { return toolName; }

        boolean in(int attributes) { return (attributes & (1 << bit)) != 0; }
    }

    /** A public area that does not parse (names the field and offset), or one of an algorithm admission does not handle. */
    public static final class MalformedPublicAreaException extends Exception {
        public MalformedPublicAreaException(String message, Throwable cause) { super(message, cause); }
    }

    public TpmPublicArea {
        Objects.requireNonNull(marshalled, "marshalled");
        Objects.requireNonNull(nameAlg, "nameAlg");
        Objects.requireNonNull(symmetric, "symmetric");
        Objects.requireNonNull(eccX, "eccX");
        Objects.requireNonNull(publicKey, "publicKey");
        Objects.requireNonNull(name, "name");
    }

    /** Whether TPMA_OBJECT has {@code a} set. */
    public boolean has(Attribute a) { return a.in(attributes); }

    /** The set attributes, by their tpm2-tools names, for messages and records. */
    public List<String> attributeNames() {
        List<String> out = new ArrayList<>();
        for (Attribute a : Attribute.values()) if (has(a)) out.add(a.toolName());
        return List.copyOf(out);
    }

    /** "RSA 2048" / "ECC NIST P-256", for messages and records. */
    public String describe() {
        if (type == TPM_ALG_RSA) return "RSA " + ((java.security.interfaces.RSAPublicKey) publicKey).getModulus().bitLength();
        return "ECC NIST P-" + switch (curve) {
            case TPM_ECC_NIST_P256 -> "256";
            case TPM_ECC_NIST_P384 -> "384";
            default -> "521";
        };
    }

    /** Parses a bare TPMT_PUBLIC (no TPM2B size), as an enrolment request carries it. */
    public static TpmPublicArea parse(Bytes tpmt) throws MalformedPublicAreaException {
        byte[] b = tpmt.toArray();
        try {
            AkPublicKey key = AkPublicKey.fromTpmtPublic(b);
            TpmReader<MalformedQuoteException> r = TpmReader.of(b);
            int type = r.u16("TPMT_PUBLIC.type");
            HashAlgorithm nameAlg = r.hashAlg("TPMT_PUBLIC.nameAlg");
            int attributes = (int) r.u32("TPMT_PUBLIC.objectAttributes");
            r.tpm2b("TPMT_PUBLIC.authPolicy", 64);
            Symmetric sym = symmetric(r);
            int curve = 0;
            Bytes x = Bytes.EMPTY;
            skipScheme(r);
            if (type == TPM_ALG_ECC) {
                curve = r.u16("TPMS_ECC_PARMS.curveID");
                skipScheme(r);
                x = Bytes.wrap(r.tpm2b("TPMS_ECC_POINT.x", 66));
            }
            return new TpmPublicArea(tpmt, type, nameAlg, attributes, sym, curve, x, key.publicKey(), key.tpmName().orElseThrow());
        } catch (MalformedQuoteException e) {
            throw new MalformedPublicAreaException(e.getMessage(), e);
        }
    }

    private static Symmetric symmetric(TpmReader<MalformedQuoteException> r) throws MalformedQuoteException {
        int alg = r.u16("TPMT_SYM_DEF_OBJECT.algorithm");
        if (alg == TPM_ALG_NULL) return new Symmetric(alg, 0, 0);
        int bits = r.u16("TPMT_SYM_DEF_OBJECT.keyBits");
        int mode = alg == TPM_ALG_XOR ? 0 : r.u16("TPMT_SYM_DEF_OBJECT.mode");
        return new Symmetric(alg, bits, mode);
    }

    /** A scheme and its details (TPMS_EMPTY for NULL and RSAES, a hash algorithm for the others, ECDAA also a count). */
    private static void skipScheme(TpmReader<MalformedQuoteException> r) throws MalformedQuoteException {
        int scheme = r.u16("scheme");
        if (scheme == TPM_ALG_NULL || scheme == TPM_ALG_RSAES) return;
        r.u16("scheme.details.hashAlg");
        if (scheme == TPM_ALG_ECDAA) r.u16("scheme.details.count");
    }
}

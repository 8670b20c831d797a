package org.imaarchiver.jobs.host.tpm;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.quote.AkPublicKey;
import org.imaarchiver.replay.quote.MalformedQuoteException;
import org.imaarchiver.replay.quote.TpmReader;

/**
 * A parsed TPMT_PUBLIC of an RSA or ECC key. {@code area} holds the exact marshalled bytes the TPM
 * returned: the name is computed over them, so they are kept rather than re-marshalled.
 *
 * @param area the TPMT_PUBLIC bytes (no TPM2B size prefix)
 * @param nameAlg the object's name algorithm
 * @param objectAttributes TPMA_OBJECT bits
 * @param signingScheme TPM_ALG_ID of the key's scheme (0x0010 for none)
 * @param schemeHash the scheme's hash, when there is a scheme
 * @param publicKey the JCA key (RSA or EC)
 */
public record TpmPublic(Bytes area, HashAlgorithm nameAlg, int objectAttributes, int signingScheme,
                        Optional<HashAlgorithm> schemeHash, PublicKey publicKey) {
    /** authPolicy is a digest of the name algorithm. */
    private static final int MAX_POLICY = 64;
    /** RSA modulus bound: 4096-bit keys (MAX_RSA_KEY_BYTES). */
    private static final int MAX_RSA_BYTES = 512;
    /** ECC coordinate bound: P-521. */
    private static final int MAX_ECC_BYTES = 66;

    public TpmPublic {
        Objects.requireNonNull(area, "area");
        Objects.requireNonNull(nameAlg, "nameAlg");
        Objects.requireNonNull(schemeHash, "schemeHash");
        Objects.requireNonNull(publicKey, "publicKey");
    }

    /** The TPMT_PUBLIC that fills {@code r}; anything but an RSA or NIST P-256/P-384 key fails closed. */
    static TpmPublic read(TpmReader<TpmProtocolException> r) throws TpmProtocolException {
        int start = r.position();
        int type = r.u16("TPMT_PUBLIC.type");
        HashAlgorithm nameAlg = r.hashAlg("TPMT_PUBLIC.nameAlg");
        int attributes = r.u32Bits("TPMT_PUBLIC.objectAttributes");
        r.tpm2b("TPMT_PUBLIC.authPolicy", MAX_POLICY);
        int symAlg = r.u16("TPMT_SYM_DEF_OBJECT.algorithm");
        if (symAlg != AkTemplate.ALG_NULL) r.skip(4, "TPMT_SYM_DEF_OBJECT.keyBits+mode");
        int scheme = r.u16("TPMT_PUBLIC.parameters.scheme");
        Optional<HashAlgorithm> schemeHash = Optional.empty();
        if (scheme != AkTemplate.ALG_NULL) {
            schemeHash = Optional.of(r.hashAlg("TPMT_PUBLIC.parameters.scheme.hashAlg"));
            if (scheme == AkTemplate.ALG_ECDAA) r.skip(2, "TPMS_SCHEME_ECDAA.count");
        }
        PublicKey key;
        try {
            if (type == AkTemplate.ALG_RSA) {
                r.u16("TPMS_RSA_PARMS.keyBits"); // implied by the modulus length
                long exponent = r.u32("TPMS_RSA_PARMS.exponent");
                byte[] modulus = r.tpm2b("TPM2B_PUBLIC_KEY_RSA", MAX_RSA_BYTES);
                BigInteger e = BigInteger.valueOf(exponent == 0 ? 65537 : exponent);
                key = KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(new BigInteger(1, modulus), e));
            } else if (type == AkTemplate.ALG_ECC) {
                int curveAt = r.position();
                int curve = r.u16("TPMS_ECC_PARMS.curveID");
                int kdf = r.u16("TPMS_ECC_PARMS.kdf");
                if (kdf != AkTemplate.ALG_NULL) r.skip(2, "TPMS_ECC_PARMS.kdf.hashAlg");
                byte[] x = r.tpm2b("TPMS_ECC_POINT.x", MAX_ECC_BYTES);
                byte[] y = r.tpm2b("TPMS_ECC_POINT.y", MAX_ECC_BYTES);
                String curveName;
                if (curve == AkTemplate.ECC_NIST_P256) {
                    curveName = "secp256r1";
                } else if (curve == AkTemplate.ECC_NIST_P384) {
                    curveName = "secp384r1";
                } else {
                    throw r.error(MalformedQuoteException.Kind.UNSUPPORTED_ALGORITHM, "TPMS_ECC_PARMS.curveID", curveAt,
                            String.format("unsupported ECC curve 0x%04x", curve));
                }
                AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
                params.init(new ECGenParameterSpec(curveName));
                ECParameterSpec spec = params.getParameterSpec(ECParameterSpec.class);
                ECPoint point = new ECPoint(new BigInteger(1, x), new BigInteger(1, y));
                key = KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(point, spec));
            } else {
                throw r.error(MalformedQuoteException.Kind.UNSUPPORTED_ALGORITHM, "TPMT_PUBLIC.type", start,
                        String.format("unsupported public key type 0x%04x (only RSA and ECC)", type));
            }
        } catch (GeneralSecurityException e) {
            throw r.error("TPMT_PUBLIC.unique", "public key rejected by the JDK: " + e.getMessage());
        }
        r.expectEnd("TPMT_PUBLIC");
        return new TpmPublic(r.slice(start, r.position()), nameAlg, attributes, scheme, schemeHash, key);
    }

    /** The TPM name: nameAlg (u16) followed by H_nameAlg(TPMT_PUBLIC) (Part 1 §16). */
    public Bytes name() {
        MessageDigest md = nameAlg.newDigest();
        area.updateDigest(md);
        byte[] h = md.digest();
        byte[] name = new byte[2 + h.length];
        name[0] = (byte) (nameAlg.tpmAlgId() >>> 8);
        name[1] = (byte) nameAlg.tpmAlgId();
        System.arraycopy(h, 0, name, 2, h.length);
        return Bytes.wrap(name);
    }

    /** TPM2B_PUBLIC: u16 size + TPMT_PUBLIC, the format of {@code tpm2_createak -u} and {@code tpm2_readpublic -o}. */
    public Bytes tpm2bPublic() {
        return Bytes.wrap(new TpmWriter().tpm2b(area.toArray()).toByteArray());
    }

    /**
     * This key as the verifier's AK type, made from what was already read and checked (the area, its
     * name, the JCA key): the TPMT_PUBLIC is not parsed a second time.
     */
    public AkPublicKey akPublicKey() {
        return new AkPublicKey(publicKey, Optional.of(area), Optional.of(name()));
    }

    /** True for an RSA key, false for ECC. */
    public boolean isRsa() { return "RSA".equals(publicKey.getAlgorithm()); }

    /** X.509 SubjectPublicKeyInfo DER (what {@code tpm2_readpublic -f der} writes). */
    public Bytes subjectPublicKeyInfo() { return Bytes.wrap(publicKey.getEncoded()); }

    /** SubjectPublicKeyInfo as PEM ({@code -----BEGIN PUBLIC KEY-----}, 64-column lines, trailing newline). */
    public String pem() {
        String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(publicKey.getEncoded());
        return "-----BEGIN PUBLIC KEY-----\n" + b64 + "\n-----END PUBLIC KEY-----\n";
    }
}

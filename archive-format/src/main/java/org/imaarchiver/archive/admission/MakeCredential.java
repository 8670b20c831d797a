package org.imaarchiver.archive.admission;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * TPM2_MakeCredential computed by the verifier (TPM 2.0 Part 1 §24 "Credential Protection", Part 3
 * §12.6): a secret that only the TPM holding the EK's private key can recover, and only for a
 * loaded object of the given name (docs/trust-model.md).
 *
 * <p>A random seed is protected to the EK: RSA-OAEP with the EK's nameAlg and the label
 * {@code "IDENTITY\0"} (Part 1 Annex B.10.3), or for an ECC EK an ephemeral ECDH on the EK's curve
 * whose shared x-coordinate gives the seed by KDFe with the label {@code "IDENTITY"} (Annex C.6.1).
 * From the seed, KDFa derives the AES key ({@code "STORAGE"}, context the object's name, the EK's
 * symmetric key size) that encrypts the TPM2B_DIGEST of the secret in CFB mode with a zero IV, and
 * the HMAC key ({@code "INTEGRITY"}) of the outer HMAC over encIdentity || name (Part 1 §24.5).
 */
public final class MakeCredential {
    private MakeCredential() {}

    /** The EK cannot protect a credential: it is not an AES-CFB storage key of a supported type. */
    public static final class UnsupportedEkException extends Exception {
        public UnsupportedEkException(String message) { super(message); }
    }

    /**
     * Protects {@code secret} to {@code ek} for the object named {@code objectName}.
     *
     * @param secret at most the EK nameAlg's digest size (a TPM2B_DIGEST)
     */
    public static CredentialChallenge make(TpmPublicArea ek, Bytes objectName, Bytes secret, SecureRandom random) throws UnsupportedEkException {
        HashAlgorithm h = ek.nameAlg();
        if (secret.length() > h.digestLength()) throw new IllegalArgumentException("secret longer than the EK's digest size");
        if (!ek.symmetric().isAesCfb()) {
            throw new UnsupportedEkException(String.format("the EK's symmetric algorithm is not AES-CFB (algorithm 0x%04x, mode 0x%04x)",
                    ek.symmetric().algorithm(), ek.symmetric().mode()));
        }
        byte[] seed;
        byte[] encryptedSecret;
        try {
            if (ek.type() == TpmPublicArea.TPM_ALG_RSA) {
                seed = new byte[h.digestLength()];
                random.nextBytes(seed);
                Cipher oaep = Cipher.getInstance("RSA/ECB/OAEPPadding");
                oaep.init(Cipher.ENCRYPT_MODE, ek.publicKey(), new OAEPParameterSpec(h.jcaName(), "MGF1",
                        new MGF1ParameterSpec(h.jcaName()), new PSource.PSpecified(label("IDENTITY"))), random);
                encryptedSecret = oaep.doFinal(seed);
            } else if (ek.type() == TpmPublicArea.TPM_ALG_ECC) {
                ECPublicKey ekKey = (ECPublicKey) ek.publicKey();
                int fieldBytes = (ekKey.getParams().getCurve().getField().getFieldSize() + 7) / 8;
                KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
                gen.initialize(ekKey.getParams(), random);
                KeyPair eph = gen.generateKeyPair();
                KeyAgreement ka = KeyAgreement.getInstance("ECDH");
                ka.init(eph.getPrivate());
                ka.doPhase(ekKey, true);
                byte[] z = ka.generateSecret(); // the shared point's x, field-sized
                ECPublicKey ephPub = (ECPublicKey) eph.getPublic();
                byte[] ephX = fixed(ephPub.getW().getAffineX(), fieldBytes);
                byte[] ephY = fixed(ephPub.getW().getAffineY(), fieldBytes);
                seed = kdfe(h, z, "IDENTITY", ephX, ek.eccX().toArray(), h.digestLength() * 8);
                ByteArrayOutputStream point = new ByteArrayOutputStream();
                tpm2b(point, ephX);
                tpm2b(point, ephY);
                encryptedSecret = point.toByteArray();
            } else {
                throw new UnsupportedEkException(String.format("EK type 0x%04x is neither RSA nor ECC", ek.type()));
            }
            byte[] name = objectName.toArray();
            byte[] symKey = kdfa(h, seed, "STORAGE", name, new byte[0], ek.symmetric().keyBits());
            ByteArrayOutputStream plain = new ByteArrayOutputStream();
            tpm2b(plain, secret.toArray());
            Cipher aes = Cipher.getInstance("AES/CFB/NoPadding");
            aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(symKey, "AES"), new IvParameterSpec(new byte[16]));
            byte[] encIdentity = aes.doFinal(plain.toByteArray());
            byte[] hmacKey = kdfa(h, seed, "INTEGRITY", new byte[0], new byte[0], h.digestLength() * 8);
            Mac mac = Mac.getInstance(hmacName(h));
            mac.init(new SecretKeySpec(hmacKey, mac.getAlgorithm()));
            mac.update(encIdentity);
            mac.update(name);
            ByteArrayOutputStream id = new ByteArrayOutputStream();
            tpm2b(id, mac.doFinal());
            id.writeBytes(encIdentity);
            Arrays.fill(seed, (byte) 0);
            return new CredentialChallenge(Bytes.wrap(id.toByteArray()), Bytes.wrap(encryptedSecret));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK crypto failed for a supported EK: " + e.getMessage(), e);
        }
    }

    /** KDFa (Part 1 §11.4.10.2): HMAC counter mode, {@code label} with its terminating zero, {@code bits} output bits. */
    static byte[] kdfa(HashAlgorithm h, byte[] key, String label, byte[] contextU, byte[] contextV, int bits) throws GeneralSecurityException {
        Mac mac = Mac.getInstance(hmacName(h));
        mac.init(new SecretKeySpec(key, mac.getAlgorithm()));
        byte[] out = new byte[(bits + 7) / 8];
        int done = 0;
        for (int counter = 1; done < out.length; counter++) {
            mac.update(u32(counter));
            mac.update(label(label));
            mac.update(contextU);
            mac.update(contextV);
            mac.update(u32(bits));
            byte[] block = mac.doFinal();
            int n = Math.min(block.length, out.length - done);
            System.arraycopy(block, 0, out, done, n);
            done += n;
        }
        return out;
    }

    /** KDFe (Part 1 §11.4.10.3): hash counter mode over Z, {@code label} with its zero, partyUInfo, partyVInfo. */
    static byte[] kdfe(HashAlgorithm h, byte[] z, String label, byte[] partyU, byte[] partyV, int bits) {
        java.security.MessageDigest md = h.newDigest();
        byte[] out = new byte[(bits + 7) / 8];
        int done = 0;
        for (int counter = 1; done < out.length; counter++) {
            md.update(u32(counter));
            md.update(z);
            md.update(label(label));
            md.update(partyU);
            md.update(partyV);
            byte[] block = md.digest();
            int n = Math.min(block.length, out.length - done);
            System.arraycopy(block, 0, out, done, n);
            done += n;
        }
        return out;
    }

    private static String hmacName(HashAlgorithm h) { return "Hmac" + h.jcaName().replace("-", ""); }

    /** The label as the TPM uses it: its ASCII bytes and a terminating zero. */
    private static byte[] label(String s) {
        byte[] a = s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        return Arrays.copyOf(a, a.length + 1);
    }

    private static byte[] u32(int v) { return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v}; }

    private static void tpm2b(ByteArrayOutputStream out, byte[] b) {
        out.write(b.length >>> 8);
        out.write(b.length);
        out.writeBytes(b);
    }

    /** An unsigned big-endian integer of exactly {@code n} bytes. */
    private static byte[] fixed(BigInteger v, int n) {
        byte[] b = v.toByteArray();
        if (b.length == n) return b;
        byte[] out = new byte[n];
        if (b.length > n) System.arraycopy(b, b.length - n, out, 0, n);
        else System.arraycopy(b, 0, out, n - b.length, b.length);
        return out;
    }
}

package org.imaarchiver.replay.quote;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * An attestation key's public part: an RSA or NIST P-256/P-384/P-521 key, and, when loaded from a
 * TPM2B_PUBLIC ({@code ak.pub} of tpm2-tools), its TPMT_PUBLIC bytes and TPM name
 * (nameAlg || H_nameAlg(TPMT_PUBLIC); kernel-interface.md T.4.3). A PEM key has no TPM name.
 *
 * <p>Loading a key proves nothing about it: whether this AK belongs to the host is for the caller's
 * enrolment records (compare {@link #tpmName()} with the enrolled name).
 */
public record AkPublicKey(PublicKey publicKey, Optional<Bytes> tpmtPublic, Optional<Bytes> tpmName) {

    static final int TPM_ALG_RSA = 0x0001;
    static final int TPM_ALG_ECC = 0x0023;
    static final int TPM_ALG_NULL = 0x0010;
    static final int TPM_ALG_XOR = 0x000A;
    static final int TPM_ALG_ECDAA = 0x001A;
    static final int TPM_ALG_RSAES = 0x0015;
    static final int TPM_ECC_NIST_P256 = 0x0003;
    static final int TPM_ECC_NIST_P384 = 0x0004;
    static final int TPM_ECC_NIST_P521 = 0x0005;
    /** TPM2B_PUBLIC is well under 1 KiB even for RSA-4096 with a SHA-512 policy. */
    static final int MAX_PUBLIC = 1024;
    /** A PEM public key file: a few KiB at most. */
    static final int MAX_PEM = 16 * 1024;

    public AkPublicKey {
        Objects.requireNonNull(publicKey, "publicKey");
        Objects.requireNonNull(tpmtPublic, "tpmtPublic");
        Objects.requireNonNull(tpmName, "tpmName");
        if (!(publicKey instanceof RSAPublicKey) && !(publicKey instanceof ECPublicKey)) {
            throw new IllegalArgumentException("AK must be RSA or EC, got " + publicKey.getAlgorithm());
        }
    }

    /** A key from elsewhere (e.g. a certificate), without TPM name. */
    public static AkPublicKey of(PublicKey key) {
        return new AkPublicKey(key, Optional.empty(), Optional.empty());
    }

    /** Auto-detects PEM SubjectPublicKeyInfo, TPM2B_PUBLIC, or a bare TPMT_PUBLIC. */
    public static AkPublicKey load(byte[] input) throws MalformedQuoteException {
        int i = 0;
        while (i < input.length && Character.isWhitespace(input[i])) i++;
        if (input.length - i >= 5 && new String(input, i, 5, StandardCharsets.US_ASCII).equals("-----")) {
            return fromPem(new String(input, StandardCharsets.US_ASCII));
        }
        if (input.length >= 2 && (((input[0] & 0xff) << 8) | (input[1] & 0xff)) == input.length - 2) {
            return fromTpm2bPublic(input);
        }
        return fromTpmtPublic(input);
    }

    /** PEM "PUBLIC KEY" (SubjectPublicKeyInfo), as {@code tpm2_readpublic -f pem} writes. */
    public static AkPublicKey fromPem(String pem) throws MalformedQuoteException {
        if (pem.length() > MAX_PEM) {
            throw new MalformedQuoteException(MalformedQuoteException.Kind.BAD_VALUE, "PEM", 0,
                    pem.length() + " chars exceeds bound " + MAX_PEM);
        }
        String begin = "-----BEGIN PUBLIC KEY-----";
        String end = "-----END PUBLIC KEY-----";
        int b = pem.indexOf(begin);
        int e = b < 0 ? -1 : pem.indexOf(end, b + begin.length());
        if (e < 0) {
            throw new MalformedQuoteException(MalformedQuoteException.Kind.BAD_VALUE, "PEM", Math.max(b, 0),
                    "no BEGIN/END PUBLIC KEY block");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(pem.substring(b + begin.length(), e));
        } catch (IllegalArgumentException ex) {
            throw new MalformedQuoteException(MalformedQuoteException.Kind.BAD_VALUE, "PEM", b, "bad base64");
        }
        for (String alg : new String[] {"RSA", "EC"}) {
            try {
                return of(KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(der)));
            } catch (GeneralSecurityException | IllegalArgumentException notThisOne) {
                // try the next key type
            }
        }
        throw new MalformedQuoteException(MalformedQuoteException.Kind.UNSUPPORTED_ALGORITHM, "SubjectPublicKeyInfo", b,
                "neither an RSA nor a supported EC public key");
    }

    /** TPM2B_PUBLIC: u16 size then TPMT_PUBLIC (kernel-interface.md T.4.3 ak.pub). */
    public static AkPublicKey fromTpm2bPublic(byte[] input) throws MalformedQuoteException {
        TpmReader<MalformedQuoteException> r = TpmReader.of(input);
        int size = r.u16("TPM2B_PUBLIC.size");
        if (size != input.length - 2) {
            throw new MalformedQuoteException(MalformedQuoteException.Kind.BAD_VALUE, "TPM2B_PUBLIC.size", 0,
                    "size " + size + " but " + (input.length - 2) + " bytes follow");
        }
        return fromTpmtPublic(java.util.Arrays.copyOfRange(input, 2, input.length), 2);
    }

    /** A bare TPMT_PUBLIC. */
    public static AkPublicKey fromTpmtPublic(byte[] tpmt) throws MalformedQuoteException {
        return fromTpmtPublic(tpmt, 0);
    }

    private static AkPublicKey fromTpmtPublic(byte[] tpmt, int base) throws MalformedQuoteException {
        if (tpmt.length > MAX_PUBLIC) {
            throw new MalformedQuoteException(MalformedQuoteException.Kind.BAD_VALUE, "TPMT_PUBLIC", base,
                    tpmt.length + " bytes exceeds bound " + MAX_PUBLIC);
        }
        TpmReader<MalformedQuoteException> r = TpmReader.of(tpmt);
        int typeAt = r.position();
        int type = r.u16("TPMT_PUBLIC.type");
        HashAlgorithm nameAlg = r.hashAlg("TPMT_PUBLIC.nameAlg");
        r.u32("TPMT_PUBLIC.objectAttributes");
        r.tpm2b("TPMT_PUBLIC.authPolicy", Quote.MAX_DIGEST);
        PublicKey key;
        if (type == TPM_ALG_RSA) {
            readSymmetric(r, base);
            readScheme(r, "TPMS_RSA_PARMS.scheme");
            int keyBits = r.u16("TPMS_RSA_PARMS.keyBits");
            long exponent = r.u32("TPMS_RSA_PARMS.exponent");
            int modAt = r.position();
            byte[] modulus = r.tpm2b("TPM2B_PUBLIC_KEY_RSA", QuoteSignature.MAX_RSA_BYTES);
            if (modulus.length * 8 != keyBits) {
                throw new MalformedQuoteException(MalformedQuoteException.Kind.BAD_VALUE, "TPM2B_PUBLIC_KEY_RSA",
                        base + modAt, modulus.length + " bytes for a " + keyBits + "-bit key");
            }
            // exponent 0 means the default 2^16+1 (TPM 2.0 Part 2, TPMS_RSA_PARMS).
            BigInteger e = BigInteger.valueOf(exponent == 0 ? 65537 : exponent);
            key = generate("RSA", new RSAPublicKeySpec(new BigInteger(1, modulus), e), base + modAt);
        } else if (type == TPM_ALG_ECC) {
            readSymmetric(r, base);
            readScheme(r, "TPMS_ECC_PARMS.scheme");
            int curveAt = r.position();
            int curveId = r.u16("TPMS_ECC_PARMS.curveID");
            String curve = curveName(curveId).orElseThrow(() -> new MalformedQuoteException(
                    MalformedQuoteException.Kind.UNSUPPORTED_ALGORITHM, "TPMS_ECC_PARMS.curveID", base + curveAt,
                    String.format("curve 0x%04x", curveId)));
            readScheme(r, "TPMS_ECC_PARMS.kdf");
            int pointAt = r.position();
            byte[] x = r.tpm2b("TPMS_ECC_POINT.x", QuoteSignature.MAX_ECC_BYTES);
            byte[] y = r.tpm2b("TPMS_ECC_POINT.y", QuoteSignature.MAX_ECC_BYTES);
            try {
                AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
                params.init(new ECGenParameterSpec(curve));
                ECParameterSpec spec = params.getParameterSpec(ECParameterSpec.class);
                ECPoint w = new ECPoint(new BigInteger(1, x), new BigInteger(1, y));
                key = generate("EC", new ECPublicKeySpec(w, spec), base + pointAt);
            } catch (GeneralSecurityException ex) {
                throw new MalformedQuoteException(MalformedQuoteException.Kind.UNSUPPORTED_ALGORITHM,
                        "TPMS_ECC_PARMS.curveID", base + curveAt, "JDK lacks " + curve);
            }
        } else {
            throw new MalformedQuoteException(MalformedQuoteException.Kind.UNSUPPORTED_ALGORITHM, "TPMT_PUBLIC.type",
                    base + typeAt, String.format("key type 0x%04x", type));
        }
        r.expectEnd("TPMT_PUBLIC");
        // The TPM name: nameAlg || H_nameAlg(marshalled TPMT_PUBLIC) (TPM 2.0 Part 1, 16 "Names").
        MessageDigest md = nameAlg.newDigest();
        md.update(tpmt);
        byte[] h = md.digest();
        byte[] name = new byte[2 + h.length];
        name[0] = (byte) (nameAlg.tpmAlgId() >> 8);
        name[1] = (byte) nameAlg.tpmAlgId();
        System.arraycopy(h, 0, name, 2, h.length);
        return new AkPublicKey(key, Optional.of(Bytes.wrap(tpmt)), Optional.of(Bytes.wrap(name)));
    }

    private static PublicKey generate(String alg, java.security.spec.KeySpec spec, int at) throws MalformedQuoteException {
        try {
            return KeyFactory.getInstance(alg).generatePublic(spec);
        } catch (GeneralSecurityException | RuntimeException e) { // the JDK throws RuntimeException for coordinates longer than the field
            throw new MalformedQuoteException(MalformedQuoteException.Kind.BAD_VALUE, "TPMT_PUBLIC.unique", at,
                    "not a valid " + alg + " public key: " + e.getMessage());
        }
    }

    /** TPMT_SYM_DEF_OBJECT: a signing AK has NULL; anything else is decoded only to skip it. */
    private static void readSymmetric(TpmReader<MalformedQuoteException> r, int base) throws MalformedQuoteException {
        int alg = r.u16("TPMT_SYM_DEF_OBJECT.algorithm");
        if (alg == TPM_ALG_NULL) return;
        if (alg == TPM_ALG_XOR) {
            r.u16("TPMT_SYM_DEF_OBJECT.keyBits");
            return;
        }
        // AES, SM4, CAMELLIA: keyBits and mode.
        r.u16("TPMT_SYM_DEF_OBJECT.keyBits");
        r.u16("TPMT_SYM_DEF_OBJECT.mode");
    }

    /** TPMT_RSA_SCHEME / TPMT_ECC_SCHEME / TPMT_KDF_SCHEME: scheme, then its details. */
    private static void readScheme(TpmReader<MalformedQuoteException> r, String field) throws MalformedQuoteException {
        int scheme = r.u16(field + ".scheme");
        if (scheme == TPM_ALG_NULL || scheme == TPM_ALG_RSAES) return; // no details (TPMS_EMPTY)
        r.u16(field + ".details.hashAlg"); // every other scheme starts with a hash algorithm
        if (scheme == TPM_ALG_ECDAA) r.u16(field + ".details.count");
    }

    private static Optional<String> curveName(int curveId) {
        switch (curveId) {
            case TPM_ECC_NIST_P256: return Optional.of("secp256r1");
            case TPM_ECC_NIST_P384: return Optional.of("secp384r1");
            case TPM_ECC_NIST_P521: return Optional.of("secp521r1");
            default: return Optional.empty();
        }
    }
}

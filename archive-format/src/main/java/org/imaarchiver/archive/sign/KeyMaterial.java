package org.imaarchiver.archive.sign;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Date;
import java.util.Objects;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMException;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.imaarchiver.archive.io.InputLimit;
import org.imaarchiver.archive.io.LimitedFiles;

/**
 * The archiver's signing key and its certificate. {@code keygen --out DIR} writes
 * {@value #KEY_FILE} (PKCS#8 PEM, owner-only permissions) and {@value #CERT_FILE} (X.509 PEM).
 */
public record KeyMaterial(PrivateKey privateKey, X509Certificate certificate) {
    public static final String KEY_FILE = "signing-key.pem";
    public static final String CERT_FILE = "signing-cert.pem";

    /** The supported signing key types and their CMS signature algorithms. */
    public enum KeyType {
        /** ECDSA on NIST P-256 with SHA-256. */
        P256("SHA256withECDSA"),
        /** Ed25519 (RFC 8419: CMS digest SHA-512). */
        ED25519("Ed25519");

        private final String signatureAlgorithm;

        KeyType(String signatureAlgorithm) { this.signatureAlgorithm = signatureAlgorithm; }

        /** JCA signature algorithm name. */
        public String signatureAlgorithm() { return signatureAlgorithm; }
    }

    public KeyMaterial {
        Objects.requireNonNull(privateKey, "privateKey");
        Objects.requireNonNull(certificate, "certificate");
        keyTypeOf(certificate); // rejects unsupported key types early
    }

    public KeyType keyType() { return keyTypeOf(certificate); }

    /** By the key's SubjectPublicKeyInfo OIDs, so a P-384 or Ed448 key is refused, not misread. */
    static KeyType keyTypeOf(X509Certificate cert) {
        var spki = org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(cert.getPublicKey().getEncoded());
        var alg = spki.getAlgorithm();
        if (org.bouncycastle.asn1.x9.X9ObjectIdentifiers.id_ecPublicKey.equals(alg.getAlgorithm())
                && org.bouncycastle.asn1.x9.X9ObjectIdentifiers.prime256v1.equals(alg.getParameters())) {
            return KeyType.P256;
        }
        if (org.bouncycastle.asn1.edec.EdECObjectIdentifiers.id_Ed25519.equals(alg.getAlgorithm())) return KeyType.ED25519;
        throw new IllegalArgumentException("unsupported signing key: " + alg.getAlgorithm() + " " + alg.getParameters());
    }

    /**
     * A fresh key and a self-signed certificate {@code CN=commonName} valid from {@code notBefore} to
     * {@code notAfter} (supplied: this code never reads the clock).
     */
    public static KeyMaterial generate(KeyType type, String commonName, Instant notBefore, Instant notAfter) {
        try {
            KeyPair kp = newKeyPair(type);
            X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, new BigInteger(64, new SecureRandom()).add(BigInteger.ONE),
                    Date.from(notBefore), Date.from(notAfter), name, kp.getPublic());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.nonRepudiation));
            X509CertificateHolder h = b.build(new JcaContentSignerBuilder(type.signatureAlgorithm()).setProvider(Bc.PROVIDER)
                    .build(kp.getPrivate()));
            X509Certificate cert = new JcaX509CertificateConverter().setProvider(Bc.PROVIDER).getCertificate(h);
            return new KeyMaterial(kp.getPrivate(), cert);
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot generate " + type + " key material", e);
        }
    }

    static KeyPair newKeyPair(KeyType type) throws GeneralSecurityException {
        if (type == KeyType.P256) {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC", Bc.PROVIDER);
            g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            return g.generateKeyPair();
        }
        return KeyPairGenerator.getInstance("Ed25519", Bc.PROVIDER).generateKeyPair();
    }

    /** Writes {@value #KEY_FILE} and {@value #CERT_FILE} into {@code dir}; fails if either exists. */
    public void writePem(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path key = dir.resolve(KEY_FILE);
        Path cert = dir.resolve(CERT_FILE);
        if (Files.exists(key)) throw new FileAlreadyExistsException(key.toString());
        if (Files.exists(cert)) throw new FileAlreadyExistsException(cert.toString());
        try {
            Files.createFile(key, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(key);
        }
        Files.writeString(key, pem(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(privateKey, null)), StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
        Files.writeString(cert, pem(certificate), StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW);
    }

    /** Reads {@value #KEY_FILE} and {@value #CERT_FILE} from {@code dir}; the key must match the certificate. */
    public static KeyMaterial readPem(Path dir) throws IOException {
        PrivateKey key;
        X509Certificate cert;
        try (Reader r = LimitedFiles.asciiReader(dir.resolve(KEY_FILE), InputLimit.PEM);
             PEMParser p = new PEMParser(r)) {
            Object o = p.readObject();
            if (!(o instanceof PrivateKeyInfo pki)) throw new IOException(dir.resolve(KEY_FILE) + ": not a PKCS#8 private key");
            key = new JcaPEMKeyConverter().setProvider(Bc.PROVIDER).getPrivateKey(pki);
        } catch (PEMException e) {
            throw new IOException(dir.resolve(KEY_FILE) + ": unreadable key", e);
        }
        try (Reader r = LimitedFiles.asciiReader(dir.resolve(CERT_FILE), InputLimit.PEM);
             PEMParser p = new PEMParser(r)) {
            Object o = p.readObject();
            if (!(o instanceof X509CertificateHolder h)) throw new IOException(dir.resolve(CERT_FILE) + ": not a certificate");
            cert = new JcaX509CertificateConverter().setProvider(Bc.PROVIDER).getCertificate(h);
        } catch (java.security.cert.CertificateException e) {
            throw new IOException(dir.resolve(CERT_FILE) + ": unreadable certificate", e);
        }
        KeyMaterial km = new KeyMaterial(key, cert);
        km.checkKeyMatchesCertificate();
        return km;
    }

    private void checkKeyMatchesCertificate() throws IOException {
        try {
            byte[] probe = "ima-archiver key check".getBytes(StandardCharsets.US_ASCII);
            var s = java.security.Signature.getInstance(keyType().signatureAlgorithm(), Bc.PROVIDER);
            s.initSign(privateKey);
            s.update(probe);
            byte[] sig = s.sign();
            s.initVerify(certificate.getPublicKey());
            s.update(probe);
            if (!s.verify(sig)) throw new IOException("signing key does not match signing certificate");
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot check signing key against certificate", e);
        }
    }

    private static String pem(Object o) throws IOException {
        StringWriter sw = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
            w.writeObject(o);
        }
        return sw.toString();
    }
}

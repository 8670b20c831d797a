package org.imaarchiver.cli.archive;

import org.imaarchiver.archive.io.InputLimit;
import org.imaarchiver.archive.io.LimitedFiles;
import org.imaarchiver.cli.Inputs;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.cli.CliError;

/**
 * Reads {@code --key KEY.pem --cert CERT.pem} from any paths ({@link KeyMaterial#readPem} wants the
 * keygen file names in one directory). Every failure names the file.
 */
final class SigningFiles {
    private SigningFiles() {}

    private static final BouncyCastleProvider BC = new BouncyCastleProvider();

    static KeyMaterial read(Path keyFile, Path certFile) throws CliError {
        Inputs.requireFile(keyFile, "--key");
        Inputs.requireFile(certFile, "--cert");
        PrivateKey key;
        X509Certificate cert;
        try (Reader r = LimitedFiles.asciiReader(keyFile, InputLimit.PEM); PEMParser p = new PEMParser(r)) {
            Object o = p.readObject();
            PrivateKeyInfo pki;
            if (o instanceof PrivateKeyInfo i) pki = i;
            else if (o instanceof PEMKeyPair kp) pki = kp.getPrivateKeyInfo();
            else throw CliError.usage("--key " + keyFile + ": not an unencrypted PEM private key");
            key = new JcaPEMKeyConverter().setProvider(BC).getPrivateKey(pki);
        } catch (IOException | RuntimeException e) {
            throw CliError.usage("--key " + keyFile + ": unreadable private key: " + e.getMessage(), e);
        }
        try (Reader r = LimitedFiles.asciiReader(certFile, InputLimit.PEM); PEMParser p = new PEMParser(r)) {
            Object o = p.readObject();
            if (!(o instanceof X509CertificateHolder h)) throw CliError.usage("--cert " + certFile + ": not a PEM certificate");
            cert = new JcaX509CertificateConverter().setProvider(BC).getCertificate(h);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw CliError.usage("--cert " + certFile + ": unreadable certificate: " + e.getMessage(), e);
        }
        KeyMaterial km;
        try {
            km = new KeyMaterial(key, cert);
        } catch (IllegalArgumentException e) {
            throw CliError.usage("--cert " + certFile + ": " + e.getMessage() + " (supported: P-256, Ed25519)", e);
        }
        if (!matches(km)) throw CliError.usage("--key " + keyFile + ": does not belong to the certificate " + certFile);
        return km;
    }

    /** Signs a probe with the key and verifies it with the certificate's public key. */
    private static boolean matches(KeyMaterial km) {
        try {
            byte[] probe = "ima-archiver key check".getBytes(StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(km.keyType().signatureAlgorithm(), BC);
            s.initSign(km.privateKey());
            s.update(probe);
            byte[] sig = s.sign();
            s.initVerify(km.certificate().getPublicKey());
            s.update(probe);
            return s.verify(sig);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }
}

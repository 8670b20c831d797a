package org.imaarchiver.archive.admission;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXCertPathBuilderResult;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMParser;
import org.imaarchiver.archive.io.InputLimit;
import org.imaarchiver.archive.io.LimitedFiles;
import org.imaarchiver.replay.bytes.Bytes;

/**
 * The EK certificate checks of admission (docs/trust-model.md "EK certificate"): the certificate
 * (the request's first) chains to a CA certificate of {@code --ek-ca} through the request's other
 * certificates, is valid at the admission time, certifies exactly the request's EK, allows the EK's
 * use (keyEncipherment for RSA, keyAgreement for ECC), is no CA, and names the TPM as the TCG EK
 * credential profile requires: a subjectAltName directoryName with the TPM manufacturer, model and
 * version (2.23.133.2.1-3). The EK-certificate extended key usage (2.23.133.8.1) is only warned
 * about: older certificates lack it. Revocation is not checked (TPM vendors' CRLs are not reachable
 * offline; the record keeps issuer and serial so that a later revocation can be looked up).
 */
public final class EkCertificateCheck {
    static final String TPM_MANUFACTURER = "2.23.133.2.1";
    static final String TPM_MODEL = "2.23.133.2.2";
    static final String TPM_VERSION = "2.23.133.2.3";
    static final String EK_CERTIFICATE_EKU = "2.23.133.8.1";
    private static final int KEY_ENCIPHERMENT = 2;
    private static final int KEY_AGREEMENT = 4;

    private final Set<TrustAnchor> anchors;

    private EkCertificateCheck(Set<TrustAnchor> anchors) { this.anchors = Set.copyOf(anchors); }

    /** Checks against these CA certificates (each one a trust anchor: a root or a vendor's intermediate). */
    public static EkCertificateCheck trusting(List<X509Certificate> cas) {
        if (cas.isEmpty()) throw new IllegalArgumentException("no EK CA certificate");
        Set<TrustAnchor> a = new LinkedHashSet<>();
        for (X509Certificate c : cas) a.add(new TrustAnchor(c, null));
        return new EkCertificateCheck(a);
    }

    /**
     * Every certificate of the {@code *.pem}, {@code *.crt}, {@code *.cer} and {@code *.der} files of
     * {@code dir} (PEM with any number of CERTIFICATE blocks, or one DER certificate). Fails naming
     * the file on one that does not decode; an empty result is for the caller to refuse.
     */
    public static List<X509Certificate> loadAuthorities(Path dir) throws IOException {
        List<X509Certificate> out = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(EkCertificateCheck::isCertificateFile).sorted().toList();
        }
        for (Path f : files) {
            byte[] bytes = LimitedFiles.readAllBytes(f, InputLimit.PEM);
            try {
                if (new String(bytes, 0, Math.min(bytes.length, 64), StandardCharsets.US_ASCII).contains("-----BEGIN")) {
                    int before = out.size();
                    try (PEMParser p = new PEMParser(new java.io.StringReader(new String(bytes, StandardCharsets.US_ASCII)))) {
                        for (Object o = p.readObject(); o != null; o = p.readObject()) {
                            if (o instanceof X509CertificateHolder h) out.add(certificate(h.getEncoded()));
                        }
                    }
                    if (out.size() == before) throw new IOException(f + ": no CERTIFICATE block");
                } else {
                    out.add(certificate(bytes));
                }
            } catch (CertificateException | RuntimeException e) {
                throw new IOException(f + ": not an X.509 certificate: " + e.getMessage(), e);
            }
        }
        return List.copyOf(out);
    }

    private static boolean isCertificateFile(Path f) {
        String n = f.getFileName().toString();
        return Files.isRegularFile(f) && (n.endsWith(".pem") || n.endsWith(".crt") || n.endsWith(".cer") || n.endsWith(".der"));
    }

    /** One DER certificate. */
    static X509Certificate certificate(byte[] der) throws CertificateException {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }

    /**
     * Checks the request's EK certificates ({@code certificates.get(0)} is the EK's own) for {@code ek}
     * at {@code at}.
     */
    public EkEndorsement.Certified check(String host, List<Bytes> certificates, TpmPublicArea ek, Instant at) throws AdmissionRefusedException {
        List<X509Certificate> certs = new ArrayList<>();
        for (int i = 0; i < certificates.size(); i++) {
            try {
                certs.add(certificate(certificates.get(i).toArray()));
            } catch (CertificateException | RuntimeException e) {
                throw refuse(new AdmissionRefusal.MalformedEvidence(host, "ekCertificates[" + i + "]", "not an X.509 certificate: " + e.getMessage()));
            }
        }
        X509Certificate leaf = certs.get(0);
        String serial = leaf.getSerialNumber().toString(16);
        Instant notBefore = leaf.getNotBefore().toInstant();
        Instant notAfter = leaf.getNotAfter().toInstant();
        if (at.isBefore(notBefore) || at.isAfter(notAfter)) {
            throw refuse(new AdmissionRefusal.EkCertificateOutsideValidity(host, serial, notBefore, notAfter, at));
        }
        TrustAnchor anchor = chain(host, leaf, certs, at, serial);
        if (!sameKey(leaf.getPublicKey(), ek.publicKey())) throw refuse(new AdmissionRefusal.EkCertificateForAnotherKey(host, serial));
        boolean[] ku = leaf.getKeyUsage();
        boolean rsa = ek.type() == TpmPublicArea.TPM_ALG_RSA;
        int wanted = rsa ? KEY_ENCIPHERMENT : KEY_AGREEMENT;
        if (ku == null || ku.length <= wanted || !ku[wanted]) {
            throw refuse(new AdmissionRefusal.EkCertificateKeyUsage(host, serial, rsa ? "keyEncipherment" : "keyAgreement"));
        }
        if (leaf.getBasicConstraints() >= 0) throw refuse(new AdmissionRefusal.EkCertificateProfile(host, serial, "it is a CA certificate"));
        X509CertificateHolder holder;
        try {
            holder = new X509CertificateHolder(leaf.getEncoded());
        } catch (IOException | CertificateException e) {
            throw refuse(new AdmissionRefusal.MalformedEvidence(host, "ekCertificates[0]", e.getMessage()));
        }
        String manufacturer = tpmAttribute(holder, TPM_MANUFACTURER);
        String model = tpmAttribute(holder, TPM_MODEL);
        String version = tpmAttribute(holder, TPM_VERSION);
        List<String> missing = new ArrayList<>();
        if (manufacturer.isEmpty()) missing.add("TPM manufacturer (" + TPM_MANUFACTURER + ")");
        if (model.isEmpty()) missing.add("TPM model (" + TPM_MODEL + ")");
        if (version.isEmpty()) missing.add("TPM version (" + TPM_VERSION + ")");
        if (!missing.isEmpty()) {
            throw refuse(new AdmissionRefusal.EkCertificateProfile(host, serial, "its subjectAltName directoryName lacks " + String.join(", ", missing)));
        }
        List<String> warnings = new ArrayList<>();
        try {
            List<String> eku = leaf.getExtendedKeyUsage();
            if (eku == null || !eku.contains(EK_CERTIFICATE_EKU)) warnings.add("no EK-certificate extended key usage (" + EK_CERTIFICATE_EKU + ")");
        } catch (CertificateException e) {
            warnings.add("unreadable extended key usage: " + e.getMessage());
        }
        return new EkEndorsement.Certified(leaf.getIssuerX500Principal().getName(), serial, sha256(leaf),
                anchor.getTrustedCert().getSubjectX500Principal().getName(), manufacturer, model, version, warnings);
    }

    /** The PKIX path from {@code leaf} to an anchor, the request's other certificates as intermediates, at {@code at}, without revocation. */
    private TrustAnchor chain(String host, X509Certificate leaf, List<X509Certificate> pool, Instant at, String serial) throws AdmissionRefusedException {
        try {
            X509CertSelector target = new X509CertSelector();
            target.setCertificate(leaf);
            PKIXBuilderParameters params = new PKIXBuilderParameters(anchors, target);
            params.setRevocationEnabled(false);
            params.setDate(Date.from(at));
            params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(pool)));
            PKIXCertPathBuilderResult r = (PKIXCertPathBuilderResult) CertPathBuilder.getInstance("PKIX").build(params);
            return r.getTrustAnchor();
        } catch (GeneralSecurityException e) {
            throw refuse(new AdmissionRefusal.EkCertificateUntrusted(host, leaf.getSubjectX500Principal().getName(),
                    leaf.getIssuerX500Principal().getName(), serial, String.valueOf(e.getMessage())));
        }
    }

    /** The first value of {@code oid} in a directoryName of the subjectAltName; empty if none. */
    private static String tpmAttribute(X509CertificateHolder cert, String oid) {
        Extension san = cert.getExtension(Extension.subjectAlternativeName);
        if (san == null) return "";
        ASN1ObjectIdentifier wanted = new ASN1ObjectIdentifier(oid);
        for (GeneralName n : GeneralNames.getInstance(san.getParsedValue()).getNames()) {
            if (n.getTagNo() != GeneralName.directoryName) continue;
            for (RDN rdn : X500Name.getInstance(n.getName()).getRDNs()) {
                for (AttributeTypeAndValue tv : rdn.getTypesAndValues()) {
                    if (tv.getType().equals(wanted)) return text(tv.getValue());
                }
            }
        }
        return "";
    }

    private static String text(ASN1Encodable v) { return v instanceof ASN1String s ? s.getString() : v.toString(); }

    /** The same key material (an encoding may spell EC parameters differently). */
    static boolean sameKey(PublicKey a, PublicKey b) {
        if (a instanceof RSAPublicKey x && b instanceof RSAPublicKey y) {
            return x.getModulus().equals(y.getModulus()) && x.getPublicExponent().equals(y.getPublicExponent());
        }
        if (a instanceof ECPublicKey x && b instanceof ECPublicKey y) {
            return x.getW().equals(y.getW()) && x.getParams().getCurve().equals(y.getParams().getCurve());
        }
        return false;
    }

    static String sha256(X509Certificate c) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static AdmissionRefusedException refuse(AdmissionRefusal r) { return new AdmissionRefusedException(r); }
}

package org.imaarchiver.archive.chain;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.imaarchiver.replay.quote.MalformedQuoteException;
import java.util.Map;
import java.util.Objects;
import org.imaarchiver.archive.sign.TrustedKeys;
import org.imaarchiver.replay.quote.AkPublicKey;

/**
 * What a verifier trusts, loaded from a trust directory (docs/archive-format.md "Trust directory"):
 *
 * <pre>
 * &lt;dir&gt;/hosts/&lt;host&gt;/*.pem|*.pub|*.tss   accepted AKs of the host: PEM SubjectPublicKeyInfo or
 *                                   TPM2B_PUBLIC (tpm2-tools ak.pub); "ak.pem" by convention, several allowed
 * &lt;dir&gt;/signers/*.pem              accepted archiver signers: X.509 certificates or PEM public keys
 * </pre>
 *
 * @param aks     accepted AKs per host id
 * @param signers accepted signer keys (by SubjectPublicKeyInfo)
 */
public record TrustStore(Map<String, List<AkPublicKey>> aks, TrustedKeys signers) {
    public TrustStore {
        Objects.requireNonNull(signers, "signers");
        aks = Map.copyOf(aks);
        aks.forEach((h, l) -> ArchiveLayout.requireValidHostId(h));
        aks = aks.entrySet().stream().collect(java.util.stream.Collectors.toUnmodifiableMap(Map.Entry::getKey, e -> List.copyOf(e.getValue())));
    }

    /** The accepted AKs of {@code host}; empty if none are enrolled. */
    public List<AkPublicKey> aksOf(String host) { return aks.getOrDefault(host, List.of()); }

    /**
     * Loads a trust directory. Fails (IOException naming the file) on an unreadable or undecodable
     * file: a trust store that silently drops a key would turn into false findings, one that
     * silently adds one into false trust.
     */
    public static TrustStore load(Path dir) throws IOException {
        Map<String, List<AkPublicKey>> aks = new TreeMap<>();
        Path hosts = dir.resolve("hosts");
        if (Files.isDirectory(hosts)) {
            for (Path h : sorted(hosts)) {
                if (!Files.isDirectory(h)) continue;
                String host = h.getFileName().toString();
                if (!ArchiveLayout.isValidHostId(host)) throw new IOException(h + ": not a valid host id");
                List<AkPublicKey> keys = new ArrayList<>();
                for (Path f : sorted(h)) {
                    if (!Files.isRegularFile(f) || !isKeyFile(f)) continue;
                    try {
                        keys.add(AkPublicKey.load(Files.readAllBytes(f)));
                    } catch (MalformedQuoteException e) {
                        throw new IOException(f + ": not an AK public key (PEM or TPM2B_PUBLIC): " + e.getMessage(), e);
                    }
                }
                if (!keys.isEmpty()) aks.put(host, keys);
            }
        }
        Path signers = dir.resolve("signers");
        return new TrustStore(aks, Files.isDirectory(signers) ? loadSigners(signers) : TrustedKeys.none());
    }

    /**
     * Every {@code *.pem} of {@code dir} (certificates or public keys), as in a trust directory's
     * {@code signers/}; also the receipt signers of {@code verify --receipt-signers}.
     */
    public static TrustedKeys loadSigners(Path dir) throws IOException {
        List<PublicKey> signerKeys = new ArrayList<>();
        for (Path f : sorted(dir)) {
            if (Files.isRegularFile(f) && f.getFileName().toString().endsWith(".pem")) signerKeys.addAll(readSignerPem(f));
        }
        return TrustedKeys.ofKeys(signerKeys);
    }

    private static boolean isKeyFile(Path f) {
        String n = f.getFileName().toString();
        return n.endsWith(".pem") || n.endsWith(".pub") || n.endsWith(".tss");
    }

    private static List<Path> sorted(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    /** Every CERTIFICATE and PUBLIC KEY block of a PEM file; anything else in it is an error. */
    private static List<PublicKey> readSignerPem(Path f) throws IOException {
        List<PublicKey> out = new ArrayList<>();
        try (PEMParser p = new PEMParser(Files.newBufferedReader(f, StandardCharsets.US_ASCII))) {
            for (Object o = p.readObject(); o != null; o = p.readObject()) {
                if (o instanceof X509CertificateHolder c) {
                    out.add(new JcaX509CertificateConverter().getCertificate(c).getPublicKey());
                } else if (o instanceof SubjectPublicKeyInfo spki) {
                    out.add(new JcaPEMKeyConverter().getPublicKey(spki));
                } else {
                    throw new IOException(f + ": unexpected PEM object " + o.getClass().getSimpleName()
                            + " (want CERTIFICATE or PUBLIC KEY)");
                }
            }
        } catch (CertificateException | RuntimeException e) {
            throw new IOException(f + ": unreadable signer PEM: " + e.getMessage(), e);
        }
        if (out.isEmpty()) throw new IOException(f + ": no CERTIFICATE or PUBLIC KEY block");
        return out;
    }
}

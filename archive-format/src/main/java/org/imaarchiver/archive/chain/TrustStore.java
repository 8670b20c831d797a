package org.imaarchiver.archive.chain;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.imaarchiver.archive.io.InputLimit;
import org.imaarchiver.archive.io.LimitedFiles;
import org.imaarchiver.replay.quote.MalformedQuoteException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
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
 *
 * <p>The AKs of a trust directory are checked when it is loaded (every file must decode: a store
 * that silently dropped a key would turn into false findings, one that silently added one into
 * false trust) but kept only for the hosts being verified: they are read again per host when
 * needed, with a bounded cache of {@value #CACHED_HOSTS} hosts, so memory does not grow with the
 * number of enrolled hosts (~0.6 KB per AK). The directory must therefore not change during a run
 * (the bulk jobs' identity includes its digest).
 */
public final class TrustStore {
    /** Hosts whose AKs are kept in memory at once (a few per verifying thread would do). */
    public static final int CACHED_HOSTS = 256;

    private final Optional<Path> hostsDir;
    private final Map<String, List<AkPublicKey>> fixed;
    private final TrustedKeys signers;
    private final Map<String, List<AkPublicKey>> cache = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, List<AkPublicKey>> eldest) { return size() > CACHED_HOSTS; }
            });

    /**
     * An in-memory trust store.
     *
     * @param aks     accepted AKs per host id
     * @param signers accepted signer keys (by SubjectPublicKeyInfo)
     */
    public TrustStore(Map<String, List<AkPublicKey>> aks, TrustedKeys signers) {
        this(Optional.empty(), aks, signers);
    }

    private TrustStore(Optional<Path> hostsDir, Map<String, List<AkPublicKey>> aks, TrustedKeys signers) {
        this.hostsDir = Objects.requireNonNull(hostsDir, "hostsDir");
        this.signers = Objects.requireNonNull(signers, "signers");
        Objects.requireNonNull(aks, "aks").forEach((h, l) -> ArchiveLayout.requireValidHostId(h));
        this.fixed = aks.entrySet().stream().collect(java.util.stream.Collectors.toUnmodifiableMap(Map.Entry::getKey,
                e -> List.copyOf(e.getValue())));
    }

    /** Accepted signer keys (by SubjectPublicKeyInfo). */
    public TrustedKeys signers() { return signers; }

    /**
     * The accepted AKs of {@code host}; empty if none are enrolled.
     *
     * @throws java.io.UncheckedIOException if a key file of the host became unreadable since the load
     */
    public List<AkPublicKey> aksOf(String host) {
        if (hostsDir.isEmpty()) return fixed.getOrDefault(host, List.of());
        if (!ArchiveLayout.isValidHostId(host)) return List.of();
        List<AkPublicKey> cached = cache.get(host);
        if (cached != null) return cached;
        try {
            List<AkPublicKey> keys = readHost(hostsDir.get().resolve(host));
            if (!keys.isEmpty()) cache.put(host, keys); // an unenrolled host is looked up again: it may be enrolled later
            return keys;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Loads a trust directory: reads the signers and checks every AK file (then lets go of the AKs;
     * {@link #aksOf} reads a host's again). Fails (IOException naming the file) on an unreadable or
     * undecodable file or a directory that is not a host id.
     */
    public static TrustStore load(Path dir) throws IOException {
        Path hosts = dir.resolve("hosts");
        if (Files.isDirectory(hosts)) {
            try (java.nio.file.DirectoryStream<Path> ds = Files.newDirectoryStream(hosts)) {
                for (Path h : ds) {
                    if (!Files.isDirectory(h)) continue;
                    if (!ArchiveLayout.isValidHostId(h.getFileName().toString())) throw new IOException(h + ": not a valid host id");
                    readHost(h);
                }
            }
        }
        Path signers = dir.resolve("signers");
        return new TrustStore(Optional.of(hosts), Map.of(), Files.isDirectory(signers) ? loadSigners(signers) : TrustedKeys.none());
    }

    /** The AKs in one host directory, in file-name order; none if it does not exist. */
    private static List<AkPublicKey> readHost(Path h) throws IOException {
        if (!Files.isDirectory(h)) return List.of();
        List<AkPublicKey> keys = new ArrayList<>();
        for (Path f : sorted(h)) {
            if (!Files.isRegularFile(f) || !isKeyFile(f)) continue;
            try {
                keys.add(AkPublicKey.load(LimitedFiles.readAllBytes(f, InputLimit.AK_PUBLIC_KEY)));
            } catch (MalformedQuoteException e) {
                throw new IOException(f + ": not an AK public key (PEM or TPM2B_PUBLIC): " + e.getMessage(), e);
            }
        }
        return List.copyOf(keys);
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
        try (PEMParser p = new PEMParser(LimitedFiles.asciiReader(f, InputLimit.PEM))) {
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

package org.imaarchiver.archive.chain;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.imaarchiver.archive.admission.HostAdmission;
import org.imaarchiver.archive.io.InputLimit;
import org.imaarchiver.archive.io.InputTooLargeException;
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
 * &lt;dir&gt;/hosts/&lt;host&gt;/&lt;name&gt;.admission.json|.cms   the signed admission record of AK file &lt;name&gt;.pem
 *                                   (docs/trust-model.md); an AK file without one was asserted by an operator
 * &lt;dir&gt;/signers/*.pem              accepted archiver signers: X.509 certificates or PEM public keys
 * &lt;dir&gt;/admission-signers/*.pem    accepted signers of admission records (the keys admit --answer signs with)
 * </pre>
 *
 *
 * <p>The AKs of a trust directory are checked when it is loaded (every file must decode: a store
 * that silently dropped a key would turn into false findings, one that silently added one into
 * false trust) but kept only for the hosts being verified: they are read again per host when
 * needed, with a bounded cache of {@value #CACHED_HOSTS} hosts, so the keys' memory does not grow
 * with the number of enrolled hosts (~0.6 KB per AK); what is kept per enrolled host is its id, because
 * each must have a chain (docs/archive-format.md §13.1). The directory must therefore not change during a run
 * (the bulk jobs' identity includes its digest). A file that cannot be read (a dangling symbolic
 * link, a directory in its place, no permission) fails the load naming it and why, as one that does
 * not decode (§11).
 */
public final class TrustStore {
    /** Hosts whose AKs are kept in memory at once (a few per verifying thread would do). */
    public static final int CACHED_HOSTS = 256;
    /** The trust directory's folder of admission-record signers. */
    public static final String ADMISSION_SIGNERS = "admission-signers";

    private final Optional<Path> hostsDir;
    private final Map<String, List<AkPublicKey>> fixed;
    private final java.util.NavigableSet<String> enrolled;
    private final TrustedKeys signers;
    private final TrustedKeys admissionSigners;
    private final Map<String, List<AkPublicKey>> cache = lastUsedHosts();
    /** Admission records per host, read and checked once per host and run (the findings and the report's {@code admission} agree). */
    private final Map<String, HostAdmission> admissions = lastUsedHosts();

    /** A thread-safe map of the {@value #CACHED_HOSTS} hosts used last. */
    private static <V> Map<String, V> lastUsedHosts() {
        return java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) { return size() > CACHED_HOSTS; }
        });
    }

    /**
     * An in-memory trust store.
     *
     * @param aks     accepted AKs per host id
     * @param signers accepted signer keys (by SubjectPublicKeyInfo)
     */
    public TrustStore(Map<String, List<AkPublicKey>> aks, TrustedKeys signers) {
        this(Optional.empty(), aks, signers, TrustedKeys.none(),
                aks.entrySet().stream().filter(e -> !e.getValue().isEmpty()).map(Map.Entry::getKey).toList());
    }

    private TrustStore(Optional<Path> hostsDir, Map<String, List<AkPublicKey>> aks, TrustedKeys signers, TrustedKeys admissionSigners,
                       Collection<String> enrolled) {
        this.hostsDir = Objects.requireNonNull(hostsDir, "hostsDir");
        this.signers = Objects.requireNonNull(signers, "signers");
        this.admissionSigners = Objects.requireNonNull(admissionSigners, "admissionSigners");
        Objects.requireNonNull(aks, "aks").forEach((h, l) -> ArchiveLayout.requireValidHostId(h));
        this.fixed = aks.entrySet().stream().collect(java.util.stream.Collectors.toUnmodifiableMap(Map.Entry::getKey,
                e -> List.copyOf(e.getValue())));
        TreeSet<String> hosts = new TreeSet<>(ArchiveLayout.HOST_ORDER);
        hosts.addAll(enrolled);
        this.enrolled = java.util.Collections.unmodifiableNavigableSet(hosts);
    }

    /**
     * The enrolled hosts (at least one accepted AK), in {@link ArchiveLayout#HOST_ORDER}: each must
     * have a chain in the archive (docs/archive-format.md §13, {@link LossFinding.MissingChain}).
     * One id per enrolled host is kept in memory.
     */
    public java.util.NavigableSet<String> enrolledHosts() { return enrolled; }

    /** Whether {@code host} has at least one accepted AK. */
    public boolean isEnrolled(String host) { return enrolled.contains(host); }

    /** Accepted signer keys (by SubjectPublicKeyInfo). */
    public TrustedKeys signers() { return signers; }

    /** Accepted signers of admission records ({@code admission-signers/}). */
    public TrustedKeys admissionSigners() { return admissionSigners; }

    /**
     * How {@code host}'s AKs were admitted, read from the trust directory when first asked for and
     * then kept like the host's AKs. An in-memory store has no records: its AKs are asserted.
     */
    public HostAdmission admissionOf(String host) throws IOException {
        if (hostsDir.isEmpty()) return HostAdmission.asserted(host, fixed.getOrDefault(host, List.of()).size());
        if (!ArchiveLayout.isValidHostId(host)) return HostAdmission.asserted(host, 0);
        HostAdmission cached = admissions.get(host);
        if (cached != null) return cached;
        HostAdmission read = HostAdmission.read(hostsDir.get().resolve(host), host, admissionSigners);
        admissions.put(host, read);
        return read;
    }

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
        List<String> enrolled = new ArrayList<>();
        if (isDirectoryEntry(hosts)) {
            java.nio.file.DirectoryStream<Path> listing;
            try {
                listing = Files.newDirectoryStream(hosts);
            } catch (IOException e) {
                throw unreadable(hosts, e);
            }
            try (java.nio.file.DirectoryStream<Path> ds = listing) {
                for (Path h : ds) {
                    if (Files.isSymbolicLink(h) && !Files.exists(h)) throw new IOException(h + ": " + notA(h, "directory"));
                    if (!Files.isDirectory(h)) continue; // a plain file next to the host directories (a README) is no host
                    if (!ArchiveLayout.isValidHostId(h.getFileName().toString())) throw new IOException(h + ": not a valid host id");
                    if (!readHost(h).isEmpty()) enrolled.add(h.getFileName().toString());
                }
            } catch (java.nio.file.DirectoryIteratorException e) {
                throw unreadable(hosts, e.getCause());
            }
        }
        Path signers = dir.resolve("signers");
        Path admissionSigners = dir.resolve(ADMISSION_SIGNERS);
        return new TrustStore(Optional.of(hosts), Map.of(), isDirectoryEntry(signers) ? loadSigners(signers) : TrustedKeys.none(),
                isDirectoryEntry(admissionSigners) ? loadSigners(admissionSigners) : TrustedKeys.none(), enrolled);
    }

    /**
     * Whether {@code p} is a directory to read: absent is no (an empty trust directory is allowed),
     * a directory is yes, and anything else in its place (a file, a dangling symbolic link) is an
     * error naming it, never silently nothing (docs/archive-format.md §11).
     */
    private static boolean isDirectoryEntry(Path p) throws IOException {
        if (Files.isDirectory(p)) return true;
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return false;
        throw new IOException(p + ": " + notA(p, "directory"));
    }

    /** The AKs in one host directory, in file-name order; none if it does not exist. */
    private static List<AkPublicKey> readHost(Path h) throws IOException {
        if (!Files.isDirectory(h)) return List.of();
        List<AkPublicKey> keys = new ArrayList<>();
        for (Path f : sorted(h)) {
            if (!isAkFile(f)) continue;
            try {
                keys.add(AkPublicKey.load(readFile(f, InputLimit.AK_PUBLIC_KEY)));
            } catch (MalformedQuoteException e) {
                throw new IOException(f + ": not an AK public key (PEM or TPM2B_PUBLIC): " + e.getMessage(), e);
            }
        }
        return List.copyOf(keys);
    }

    /** A trust file's bytes; a name that is not a readable regular file is an error naming it and why. */
    private static byte[] readFile(Path f, InputLimit limit) throws IOException {
        if (!Files.isRegularFile(f)) throw new IOException(f + ": " + notA(f, "regular file"));
        try {
            return LimitedFiles.readAllBytes(f, limit);
        } catch (InputTooLargeException e) {
            throw e;
        } catch (IOException e) {
            throw unreadable(f, e);
        }
    }

    /** Why {@code p} is not what was wanted: a dangling symbolic link, a directory, or another kind of file. */
    private static String notA(Path p, String wanted) {
        if (Files.isSymbolicLink(p) && !Files.exists(p)) return "a dangling symbolic link, not a " + wanted;
        if (Files.isDirectory(p)) return "a directory, not a " + wanted;
        if (!Files.exists(p)) return "does not exist";
        return "not a " + wanted;
    }

    /** {@code p} exists but reading it failed: the error names it and the cause (permission denied, I/O error). */
    private static IOException unreadable(Path p, IOException e) {
        String why = e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                : e instanceof java.nio.file.NoSuchFileException ? "does not exist"
                : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        return new IOException(p + ": cannot read: " + why, e);
    }

    /**
     * Every {@code *.pem} of {@code dir} (certificates or public keys), as in a trust directory's
     * {@code signers/}; also the receipt signers of {@code verify --receipt-signers}.
     */
    public static TrustedKeys loadSigners(Path dir) throws IOException {
        List<PublicKey> signerKeys = new ArrayList<>();
        for (Path f : sorted(dir)) {
            if (f.getFileName().toString().endsWith(".pem")) signerKeys.addAll(readSignerPem(f));
        }
        return TrustedKeys.ofKeys(signerKeys);
    }

    /** Whether {@code f} is an AK file of a host directory: {@code *.pem}, {@code *.pub} or {@code *.tss}. */
    public static boolean isAkFile(Path f) {
        String n = f.getFileName().toString();
        return n.endsWith(".pem") || n.endsWith(".pub") || n.endsWith(".tss");
    }

    private static List<Path> sorted(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (java.io.UncheckedIOException e) {
            throw unreadable(dir, e.getCause());
        } catch (IOException e) {
            throw unreadable(dir, e);
        }
    }

    /** Every CERTIFICATE and PUBLIC KEY block of a PEM file; anything else in it is an error. */
    private static List<PublicKey> readSignerPem(Path f) throws IOException {
        List<PublicKey> out = new ArrayList<>();
        byte[] bytes = readFile(f, InputLimit.PEM);
        try (PEMParser p = new PEMParser(new java.io.StringReader(new String(bytes, StandardCharsets.US_ASCII)))) {
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

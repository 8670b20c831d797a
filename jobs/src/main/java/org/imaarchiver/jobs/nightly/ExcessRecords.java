package org.imaarchiver.jobs.nightly;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.ObjectAlreadyExistsException;
import org.imaarchiver.archive.store.StoreException;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * The "unverified excess" of staging with prompt (kernel-interface.md A.8, D.2 variant for
 * {@code ima_flush_htable}): {@code D} deletes the whole staged list, including records beyond the
 * quote point, which no segment may hold yet. They are kept twice before {@code D}: in
 * {@code state-dir/excess/} and, create-only, in the store under {@code hosts/<host>/excess/}
 * (unsigned: they prove nothing until a later quote covers them; the copy only must not be lost
 * with the host's disk). The next run replays them first, packs them into its segment, and only
 * then deletes both copies.
 *
 * <p>An excess is self-describing by name: {@code <boot>-<start>-<count>-<sha256>.raw}, raw binary
 * records (B.3) with absolute indices {@code [start, start+count)} of boot {@code boot} (the chain's
 * boot counter), SHA-256 of the file's bytes. One rename makes it appear; the name is checked
 * against the content before it is used.
 */
final class ExcessRecords {
    static final String DIR = "excess";
    static final String UNVERIFIED_DIR = "unverified";
    private static final Pattern NAME = Pattern.compile("(\\d+)-(\\d+)-(\\d+)-([0-9a-f]{64})\\.raw");

    /** One kept excess. */
    record Excess(long boot, long start, long count, Digest sha256) {
        Excess {
            Objects.requireNonNull(sha256, "sha256");
            if (start < 0 || count < 1 || boot < 0) throw new IllegalArgumentException("bad excess " + boot + "/" + start + "/" + count);
        }

        long end() { return start + count; }

        String fileName() { return boot + "-" + start + "-" + count + "-" + sha256.hex() + ".raw"; }

        static Optional<Excess> parse(String fileName) {
            Matcher m = NAME.matcher(fileName);
            if (!m.matches()) return Optional.empty();
            try {
                return Optional.of(new Excess(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
                        Digest.ofHex(m.group(4))));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }

        @Override
        public String toString() { return "excess of boot " + boot + " [" + start + ", " + end() + ")"; }
    }

    private final Path localDir;
    private final ArchiveStore store;
    private final String host;

    ExcessRecords(Path stateDir, ArchiveStore store, String host) {
        this.localDir = stateDir.resolve(DIR);
        this.store = store;
        this.host = host;
    }

    static String prefix(String host) { return ArchiveLayout.HOSTS_PREFIX + host + "/" + DIR + "/"; }

    String key(Excess e) { return prefix(host) + e.fileName(); }

    /** The local copies waiting to be replayed (not the set-aside ones), by start index. */
    List<Excess> local() throws IOException {
        return listDir(localDir);
    }

    /** Local copies of earlier boots' excess, set aside by {@link #setAside}. */
    List<Excess> unverified() throws IOException {
        return listDir(localDir.resolve(UNVERIFIED_DIR));
    }

    /** Excess copies in the store (current and unverified alike). */
    List<Excess> inStore() throws StoreException {
        try (Stream<String> keys = store.list(prefix(host))) {
            return keys.map(k -> k.substring(prefix(host).length())).map(Excess::parse).flatMap(Optional::stream)
                    .sorted(Comparator.comparingLong(Excess::start)).toList();
        }
    }

    private static List<Excess> listDir(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        List<Excess> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.raw")) {
            for (Path p : ds) Excess.parse(p.getFileName().toString()).ifPresent(out::add);
        }
        out.sort(Comparator.comparingLong(Excess::start));
        return out;
    }

    /**
     * Keeps {@code raw} (the excess records, B.3) as {@code e} durably: local copy (temporary file,
     * fsync, rename, fsync of the directory), then the store copy, create-only and re-read. An
     * existing store object with the same name (a killed run's upload) is accepted if its bytes match.
     */
    void keep(Excess e, Path raw) throws IOException {
        Files.createDirectories(localDir);
        Path target = localDir.resolve(e.fileName());
        if (!Files.exists(target)) {
            Path tmp = localDir.resolve("." + e.fileName() + ".tmp-" + ProcessHandle.current().pid());
            Files.copy(raw, tmp, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            syncDir(localDir);
        }
        try {
            store.createNew(key(e), target);
        } catch (ObjectAlreadyExistsException already) {
            // the name carries the digest: the same name with other bytes is corruption, refused below
        }
        if (!store.verifyDurable(key(e), e.sha256())) throw new IOException("excess " + key(e) + " in the store does not match its digest");
    }

    /**
     * Copies the excess records to {@code out}: the local copy if its digest matches, else the store copy.
     *
     * @return false if neither copy exists with the right digest (the records are lost: the caller blocks)
     */
    boolean copyTo(Excess e, java.io.OutputStream out) throws IOException {
        Path local = localDir.resolve(e.fileName());
        if (Files.exists(local) && sha256(local).equals(e.sha256())) {
            Files.copy(local, out);
            return true;
        }
        try {
            if (store.stat(key(e)).isEmpty()) return false;
            Files.createDirectories(localDir);
            Path fetched = localDir.resolve("." + e.fileName() + ".fetched-" + ProcessHandle.current().pid());
            Files.deleteIfExists(fetched);
            store.download(key(e), fetched); // streamed: an excess can be large after a long outage
            try {
                if (!sha256(fetched).equals(e.sha256())) return false;
                Files.copy(fetched, out);
                return true;
            } finally {
                Files.deleteIfExists(fetched);
            }
        } catch (StoreException ex) {
            throw new IOException("excess " + key(e) + ": " + ex.getMessage(), ex);
        }
    }

    /** Deletes both copies (after a segment holds the records, or when {@code D} did not happen). */
    void delete(Excess e) throws IOException {
        store.delete(key(e));
        if (Files.deleteIfExists(localDir.resolve(e.fileName()))) syncDir(localDir);
    }

    /**
     * A reboot made {@code e} unprovable (PCRs reset, C.5): its local copy moves to
     * {@code excess/unverified/}; the store copy stays where it is. Nothing is dropped.
     */
    void setAside(Excess e) throws IOException {
        Path dir = Files.createDirectories(localDir.resolve(UNVERIFIED_DIR));
        Path local = localDir.resolve(e.fileName());
        if (Files.exists(local)) {
            Files.move(local, dir.resolve(e.fileName()), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDir(dir);
            syncDir(localDir);
        }
    }

    static Digest sha256(Path file) throws IOException {
        MessageDigest md = HashAlgorithm.SHA256.newDigest();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return Digest.wrap(md.digest());
    }

    private static void syncDir(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}

package org.imaarchiver.archive.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.imaarchiver.replay.pcr.Digest;

/**
 * An {@link ArchiveStore} in a local directory: one file per key, the key's '/' segments as
 * directories. The embedded default.
 *
 * <p>createNew writes a temporary dot-file in the target directory, fsyncs it, then hard-links it
 * to the final name. link(2) fails with EEXIST when the name exists, so the no-overwrite check and
 * the publish are one atomic step: of two concurrent writers exactly one wins, and a reader never
 * sees a partial file. The directory is fsynced afterwards, and so is the parent of every
 * directory this store creates, so a published key survives a crash (kernel-interface.md D.1 item 4).
 * A file system without hard links is refused (fail closed) rather than falling back to a racy
 * check-then-rename.
 *
 * <p>Limits: {@code stat} reports no SHA-256 (none is recorded); {@code list} holds one
 * directory's entries at a time in memory; a key cannot be both an object and a "directory" of
 * other keys (S3 allows it, a file system does not).
 */
public final class LocalDirectoryStore implements ArchiveStore {
    private static final int BUFFER = 64 * 1024;

    private final Path root;

    private LocalDirectoryStore(Path root) {
        this.root = root;
    }

    /** Opens (creating if needed) the store rooted at {@code root}. */
    public static LocalDirectoryStore open(Path root) throws StoreException {
        Path abs = root.toAbsolutePath().normalize();
        try {
            Files.createDirectories(abs);
        } catch (IOException e) {
            throw new StoreUnavailableException("", "cannot create store directory " + abs + ": " + e, e);
        }
        if (!Files.isDirectory(abs)) throw new StoreUnavailableException("", "not a directory: " + abs);
        return new LocalDirectoryStore(abs);
    }

    public Path root() { return root; }

    @Override
    public String location() { return root.toUri().toString(); }

    @Override
    public String toString() { return "LocalDirectoryStore[" + root + "]"; }

    // ---------------------------------------------------------------- writes

    @Override
    public StoredObject createNew(String key, Path file) throws IOException {
        StoreKeys.requireValidKey(key);
        Objects.requireNonNull(file, "file");
        try (InputStream in = Files.newInputStream(file)) {
            return publish(key, in);
        }
    }

    @Override
    public StoredObject createNew(String key, byte[] bytes) throws StoreException {
        StoreKeys.requireValidKey(key);
        Objects.requireNonNull(bytes, "bytes");
        try {
            return publish(key, new java.io.ByteArrayInputStream(bytes));
        } catch (StoreException e) {
            throw e;
        } catch (IOException e) {
            throw new StoreException(key, "local write failed: " + e, e);
        }
    }

    private StoredObject publish(String key, InputStream content) throws IOException {
        Path target = pathOf(key);
        Path dir = target.getParent();
        createDirectoriesDurably(key, dir);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new ObjectAlreadyExistsException(key, "object exists");
        }
        Path tmp = dir.resolve("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
        MessageDigest md = Sha256.newDigest();
        long size = 0;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                byte[] buf = new byte[BUFFER];
                for (int n; (n = content.read(buf)) >= 0; ) {
                    md.update(buf, 0, n);
                    ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                    while (bb.hasRemaining()) ch.write(bb);
                    size += n;
                }
                ch.force(true);
            }
            try {
                Files.createLink(target, tmp); // link(2): atomic, fails if target exists
            } catch (FileAlreadyExistsException e) {
                throw new ObjectAlreadyExistsException(key, "object exists", e);
            } catch (UnsupportedOperationException e) {
                throw new StoreException(key, "file system has no hard links; refusing a racy no-overwrite publish", e);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        fsyncDirectory(dir);
        return new StoredObject(key, size, Digest.wrap(md.digest()));
    }

    /** Creates the missing directories from the root down, fsyncing each new entry's parent. */
    private void createDirectoriesDurably(String key, Path dir) throws StoreException {
        Path current = root;
        for (Path name : root.relativize(dir)) {
            if (name.toString().isEmpty()) continue;
            Path next = current.resolve(name);
            try {
                if (!Files.isDirectory(next, LinkOption.NOFOLLOW_LINKS)) {
                    try {
                        Files.createDirectory(next);
                        fsyncDirectory(current);
                    } catch (FileAlreadyExistsException e) {
                        if (!Files.isDirectory(next, LinkOption.NOFOLLOW_LINKS)) {
                            throw new StoreException(key, "an object is in the way of directory " + root.relativize(next), e);
                        }
                    }
                }
            } catch (StoreException e) {
                throw e;
            } catch (IOException e) {
                throw new StoreException(key, "cannot create directory " + root.relativize(next) + ": " + e, e);
            }
            current = next;
        }
    }

    private static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    @Override
    public void delete(String key) throws StoreException {
        StoreKeys.requireValidKey(key);
        Path p = pathOf(key);
        try {
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) return; // not an object
            if (Files.deleteIfExists(p)) fsyncDirectory(p.getParent());
        } catch (NoSuchFileException | NotDirectoryException e) {
            // a path component is missing or a file: the object does not exist
        } catch (IOException e) {
            if (underAFile(p)) return;
            throw new StoreException(key, "local delete failed: " + e, e);
        }
    }

    // ---------------------------------------------------------------- reads

    @Override
    public InputStream open(String key) throws StoreException {
        StoreKeys.requireValidKey(key);
        Path p = pathOf(key);
        try {
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) throw new ObjectMissingException(key, "no such object");
            return Files.newInputStream(p);
        } catch (StoreException e) {
            throw e;
        } catch (NoSuchFileException | NotDirectoryException e) {
            throw new ObjectMissingException(key, "no such object", e);
        } catch (AccessDeniedException e) {
            throw new StoreUnavailableException(key, "access denied: " + e.getFile(), e);
        } catch (IOException e) {
            if (underAFile(p)) throw new ObjectMissingException(key, "no such object", e);
            throw new StoreException(key, "local read failed: " + e, e);
        }
    }

    @Override
    public byte[] readAll(String key, long maxBytes) throws StoreException {
        if (maxBytes < 0) throw new IllegalArgumentException("negative maxBytes " + maxBytes);
        try (InputStream in = open(key)) {
            return BoundedRead.readAll(key, in, maxBytes);
        } catch (StoreException e) {
            throw e;
        } catch (IOException e) {
            throw new StoreException(key, "local read failed: " + e, e);
        }
    }

    @Override
    public Path download(String key, Path target) throws IOException {
        try (InputStream in = open(key)) {
            return Downloads.copyToNewFile(in, target);
        }
    }

    @Override
    public Optional<Path> localFile(String key) throws StoreException {
        StoreKeys.requireValidKey(key);
        Path p = pathOf(key);
        return Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? Optional.of(p) : Optional.empty();
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws StoreException {
        StoreKeys.requireValidKey(key);
        try {
            BasicFileAttributes a = Files.readAttributes(pathOf(key), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isRegularFile()) return Optional.empty();
            return Optional.of(new ObjectInfo(key, a.size(), Optional.empty(), a.lastModifiedTime().toInstant()));
        } catch (NoSuchFileException | NotDirectoryException e) {
            return Optional.empty();
        } catch (IOException e) {
            if (underAFile(pathOf(key))) return Optional.empty();
            throw new StoreException(key, "local stat failed: " + e, e);
        }
    }

    @Override
    public boolean verifyDurable(String key, Digest expectedSha256) throws StoreException {
        Objects.requireNonNull(expectedSha256, "expectedSha256");
        // Reads through the page cache; durability comes from the fsyncs in createNew.
        try (InputStream in = open(key)) {
            return Sha256.of(in).equals(expectedSha256);
        } catch (StoreException e) {
            throw e;
        } catch (IOException e) {
            throw new StoreException(key, "local re-read failed: " + e, e);
        }
    }

    @Override
    public Stream<String> list(String prefix) throws StoreException {
        return list(prefix, "");
    }

    /** Skips whole directories whose keys all sort before {@code startAfter}. */
    @Override
    public Stream<String> list(String prefix, String startAfter) throws StoreException {
        StoreKeys.requireValidPrefix(prefix);
        Objects.requireNonNull(startAfter, "startAfter");
        int slash = prefix.lastIndexOf('/');
        String dirKey = slash < 0 ? "" : prefix.substring(0, slash + 1); // "" or "a/b/"
        Path start = dirKey.isEmpty() ? root : pathOf(dirKey.substring(0, dirKey.length() - 1));
        if (!Files.isDirectory(start, LinkOption.NOFOLLOW_LINKS)) return Stream.empty();
        Iterator<String> it = new SortedWalk(start, dirKey, prefix, startAfter);
        return StreamSupport.stream(
                Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.SORTED | Spliterator.DISTINCT | Spliterator.NONNULL),
                false);
    }

    @Override
    public void close() {}

    /** True if a path component between the root and {@code p} is a file (ENOTDIR): no such object. */
    private boolean underAFile(Path p) {
        for (Path a = p.getParent(); a != null && a.startsWith(root) && !a.equals(root); a = a.getParent()) {
            if (Files.isRegularFile(a, LinkOption.NOFOLLOW_LINKS)) return true;
        }
        return false;
    }

    private Path pathOf(String key) {
        Path p = root.resolve(key).normalize();
        if (!p.startsWith(root) || p.equals(root)) {
            throw new IllegalArgumentException("object key '" + key + "' escapes the store root");
        }
        return p;
    }

    /**
     * A depth-first walk that yields keys in String order. Within a directory, entries are sorted
     * by name with '/' appended to directory names: all keys under "a/" share that prefix, so
     * visiting "a/" where "a/" sorts (after "a-c" and "a.b", before "a0") yields the global
     * order.
     */
    private static final class SortedWalk implements Iterator<String> {
        private record Entry(String key, Path path, boolean directory) {}

        private final String prefix;
        private final String startAfter;
        private final Deque<Iterator<Entry>> stack = new ArrayDeque<>();
        private String next;

        SortedWalk(Path start, String startKey, String prefix, String startAfter) {
            this.prefix = prefix;
            this.startAfter = startAfter;
            stack.push(entries(start, startKey).iterator());
        }

        private List<Entry> entries(Path dir, String dirKey) {
            List<Entry> out = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                for (Path p : ds) {
                    String name = p.getFileName().toString();
                    if (name.startsWith(".")) continue; // temporary files and hidden names
                    boolean isDir = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
                    String key = dirKey + name + (isDir ? "/" : "");
                    // Prune what cannot match: keep a dir if it extends the prefix or the prefix extends it.
                    if (isDir ? !(key.startsWith(prefix) || prefix.startsWith(key)) : !key.startsWith(prefix)) continue;
                    // Every key under "d/" sorts before startAfter unless startAfter is under "d/" too.
                    if (isDir ? key.compareTo(startAfter) < 0 && !startAfter.startsWith(key) : key.compareTo(startAfter) <= 0) continue;
                    if (!isDir && !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) continue;
                    out.add(new Entry(key, p, isDir));
                }
            } catch (NoSuchFileException e) {
                return List.of(); // removed while walking
            } catch (IOException e) {
                throw new UncheckedIOException(new StoreException(dirKey, "local list failed: " + e, e));
            }
            out.sort((a, b) -> a.key.compareTo(b.key));
            return out;
        }

        @Override
        public boolean hasNext() {
            while (next == null && !stack.isEmpty()) {
                Iterator<Entry> top = stack.peek();
                if (!top.hasNext()) {
                    stack.pop();
                    continue;
                }
                Entry e = top.next();
                if (e.directory) {
                    stack.push(entries(e.path, e.key).iterator());
                } else if (StoreKeys.isValidKey(e.key)) {
                    next = e.key;
                }
            }
            return next != null;
        }

        @Override
        public String next() {
            if (!hasNext()) throw new NoSuchElementException();
            String k = next;
            next = null;
            return k;
        }
    }
}

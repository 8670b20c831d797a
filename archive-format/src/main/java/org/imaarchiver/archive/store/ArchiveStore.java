package org.imaarchiver.archive.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.imaarchiver.replay.pcr.Digest;

/**
 * A flat namespace of immutable objects. There is no overwrite: {@link #createNew} fails if the
 * key exists, on every implementation, race-free. Keys follow {@link StoreKeys}; an invalid key is
 * a programming error ({@link IllegalArgumentException}) raised before any I/O.
 *
 * <p>Failures are {@link StoreException} subtypes: {@link ObjectAlreadyExistsException},
 * {@link ObjectMissingException}, {@link StoreOutcomeUnknownException} (the caller must re-read
 * before trusting the write), {@link StoreUnavailableException}, {@link ObjectTooLargeException}.
 */
public interface ArchiveStore extends AutoCloseable {
    /** Bound of {@link #readAll(String)}: manifests and signatures are small; segments are streamed. */
    long MAX_READ_ALL_BYTES = 64L * 1024 * 1024;

    /**
     * Creates {@code key} with the content of {@code file}, only if {@code key} does not exist.
     *
     * @return the receipt with the SHA-256 of the bytes sent
     * @throws ObjectAlreadyExistsException if the key exists (the store is unchanged)
     * @throws StoreOutcomeUnknownException if the write may or may not have happened
     * @throws IOException if {@code file} cannot be read
     */
    StoredObject createNew(String key, Path file) throws IOException;

    /** Like {@link #createNew(String, Path)} for content held in memory. */
    StoredObject createNew(String key, byte[] bytes) throws StoreException;

    /** Opens the content for streaming. The caller closes the stream. */
    InputStream open(String key) throws StoreException;

    /** Reads a whole object of at most {@link #MAX_READ_ALL_BYTES}. */
    default byte[] readAll(String key) throws StoreException {
        return readAll(key, MAX_READ_ALL_BYTES);
    }

    /**
     * Reads a whole object.
     *
     * @throws ObjectTooLargeException if the object has more than {@code maxBytes} bytes
     */
    byte[] readAll(String key, long maxBytes) throws StoreException;

    /**
     * Copies the object to {@code target}, which must not exist yet; the file appears complete
     * (written to a temporary sibling, fsynced, then moved) or not at all.
     *
     * @return {@code target}
     * @throws java.nio.file.FileAlreadyExistsException if {@code target} exists
     */
    Path download(String key, Path target) throws IOException;

    /**
     * The object as a regular file that can be read in place, for stores that keep objects as files
     * (a local directory): a verifier then reads it there instead of copying it. Empty for other
     * stores, and for a key that is not a regular file.
     */
    default Optional<Path> localFile(String key) throws StoreException {
        return Optional.empty();
    }

    /** Size, recorded SHA-256 and time of the object, or empty if it does not exist. */
    Optional<ObjectInfo> stat(String key) throws StoreException;

    /**
     * The keys starting with {@code prefix} (a plain string prefix, "" for all), in ascending
     * {@link String#compareTo} order, fetched lazily page by page. Objects whose names are not
     * valid keys (for example S3 "folder" markers ending in '/') are not part of the archive and
     * are skipped. A failure while iterating surfaces as an {@link java.io.UncheckedIOException}
     * wrapping a {@link StoreException}.
     */
    Stream<String> list(String prefix) throws StoreException;

    /**
     * The keys of {@link #list(String)} that sort strictly after {@code startAfter} (S3
     * ListObjectsV2 "start-after"): a worker that owns a range of hosts lists from its first host
     * instead of from the start of the archive. The default filters the full listing; stores
     * override it to skip what sorts before.
     */
    default Stream<String> list(String prefix, String startAfter) throws StoreException {
        java.util.Objects.requireNonNull(startAfter, "startAfter");
        return list(prefix).filter(k -> k.compareTo(startAfter) > 0);
    }

    /** Deletes {@code key}; deleting an absent key is not an error (S3 cannot tell cheaply). */
    void delete(String key) throws StoreException;

    /**
     * Re-reads the whole object from the store and compares its SHA-256 with {@code expectedSha256}.
     * The nightly job calls this before trimming the kernel log: persist, then trim
     * (kernel-interface.md D.1 item 4, D.2 step 5).
     *
     * @return true only if the stored bytes hash to {@code expectedSha256}
     * @throws ObjectMissingException if the object does not exist (distinct from a mismatch: the
     *     caller re-uploads, where a mismatch is corruption)
     */
    boolean verifyDurable(String key, Digest expectedSha256) throws StoreException;

    /** Where this store points, for logs: a URI without credentials. */
    String location();

    @Override
    void close() throws StoreException;
}

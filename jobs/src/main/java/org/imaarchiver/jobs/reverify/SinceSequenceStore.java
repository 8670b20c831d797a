package org.imaarchiver.jobs.reverify;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.ObjectInfo;
import org.imaarchiver.archive.store.StoreException;
import org.imaarchiver.archive.store.StoredObject;
import org.imaarchiver.replay.pcr.Digest;

/**
 * A read view of a store in which one host's chain starts after {@code lastVerified}: listing hides
 * that host's objects with sequence {@code <= lastVerified}, so ChainVerifier checks only the
 * segments after a receipt. The link from the receipt to the first visible segment is checked by
 * {@link HostVerification}. Writes are refused; closing the view does not close the store.
 */
final class SinceSequenceStore implements ArchiveStore {
    private final ArchiveStore store;
    private final String host;
    private final long lastVerified;

    SinceSequenceStore(ArchiveStore store, String host, long lastVerified) {
        this.store = Objects.requireNonNull(store, "store");
        this.host = ArchiveLayout.requireValidHostId(host);
        this.lastVerified = lastVerified;
    }

    @Override
    public Stream<String> list(String prefix) throws StoreException {
        return store.list(prefix).filter(k -> ArchiveLayout.parse(k)
                .map(n -> !(n.host().equals(host) && n.sequence() <= lastVerified)).orElse(true));
    }

    @Override public StoredObject createNew(String key, Path file) { throw new UnsupportedOperationException("read-only view"); }

    @Override public StoredObject createNew(String key, byte[] bytes) { throw new UnsupportedOperationException("read-only view"); }

    @Override public InputStream open(String key) throws StoreException { return store.open(key); }

    @Override public byte[] readAll(String key, long maxBytes) throws StoreException { return store.readAll(key, maxBytes); }

    @Override public Path download(String key, Path target) throws IOException { return store.download(key, target); }

    @Override public Optional<ObjectInfo> stat(String key) throws StoreException { return store.stat(key); }

    @Override public void delete(String key) { throw new UnsupportedOperationException("read-only view"); }

    @Override
    public boolean verifyDurable(String key, Digest expectedSha256) throws StoreException {
        return store.verifyDurable(key, expectedSha256);
    }

    @Override public String location() { return store.location(); }

    @Override public void close() {}
}

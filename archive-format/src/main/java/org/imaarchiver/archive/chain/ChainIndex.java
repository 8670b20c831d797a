package org.imaarchiver.archive.chain;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.imaarchiver.archive.segment.MalformedManifestException;
import org.imaarchiver.archive.segment.ManifestCodec;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.StoreException;
import org.imaarchiver.replay.bytes.Bytes;

/**
 * Finds hosts and chain heads by listing keys (streamed page by page, never the whole archive in
 * memory) and reading one sidecar manifest.
 */
public final class ChainIndex {
    private final ArchiveStore store;

    public ChainIndex(ArchiveStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    /**
     * The head of {@code host}'s chain: the sidecar manifest of the last segment of the chain
     * ({@link ChainListing#effective()}: a switched compacted segment counts, its superseded parts and
     * staged leftovers do not), or empty if the host has no sidecar yet.
     *
     * @throws MalformedManifestException if the head's sidecar does not decode
     * @throws StoreException             on a store failure
     */
    public Optional<ChainHead> head(String host) throws IOException, MalformedManifestException {
        List<SegmentUnit> effective = ChainListing.of(store, host).effective();
        Optional<SegmentUnit> last = Optional.empty();
        for (SegmentUnit u : effective) if (u.hasManifest()) last = Optional.of(u);
        if (last.isEmpty()) return Optional.empty();
        String key = last.get().key(ArchiveLayout.ObjectKind.MANIFEST);
        Bytes bytes = Bytes.wrap(store.readAll(key));
        return Optional.of(new ChainHead(host, key, ManifestCodec.decode(bytes), ManifestCodec.digestOf(bytes)));
    }

    /** The host's segment names, classified (chain, superseded parts, staged leftovers). */
    public ChainListing listing(String host) throws IOException {
        return ChainListing.of(store, host);
    }

    /**
     * The host ids that have at least one object in the archive, in {@link ArchiveLayout#HOST_ORDER}
     * (ascending by "<id>/", the key order). Streams the key listing;
     * the caller closes the stream.
     */
    public Stream<String> hosts() throws StoreException {
        return distinctHosts(store.list(ArchiveLayout.HOSTS_PREFIX));
    }

    /**
     * The host ids from {@code first} (inclusive) on, in {@link ArchiveLayout#HOST_ORDER} (the order
     * of {@link #hosts()}); the listing starts at the host's keys, not at the start of the archive.
     */
    public Stream<String> hostsFrom(String first) throws StoreException {
        ArchiveLayout.requireValidHostId(first);
        // Every key of `first` and of later hosts sorts after "hosts/<first>/"; no earlier host's does.
        return distinctHosts(store.list(ArchiveLayout.HOSTS_PREFIX, ArchiveLayout.hostPrefix(first)));
    }

    private static Stream<String> distinctHosts(Stream<String> keys) {
        String[] previous = {null};
        return keys.map(ArchiveLayout::parse).flatMap(Optional::stream).map(ArchiveLayout.ObjectName::host)
                .filter(h -> {
                    if (h.equals(previous[0])) return false;
                    previous[0] = h;
                    return true;
                });
    }
}

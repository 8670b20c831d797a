package org.imaarchiver.jobs.reverify;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.chain.ChainHead;
import org.imaarchiver.archive.chain.ChainIndex;
import org.imaarchiver.archive.segment.MalformedManifestException;
import org.imaarchiver.archive.segment.ManifestCodec;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.StoreException;
import org.imaarchiver.replay.bytes.Bytes;

/**
 * The hosts a run covers, in {@link ArchiveLayout#HOST_ORDER}, streamed from the store's key listing (or the named hosts).
 * The time window keeps a host whose chain overlaps it: head created at or after {@code since},
 * first segment created at or before {@code until}. A host whose manifests cannot be read for the
 * window test is kept (its verification reports why): filtering must not hide a broken chain.
 */
final class HostSource {
    private final ArchiveStore store;
    private final VerifyJobRequest request;

    HostSource(ArchiveStore store, VerifyJobRequest request) {
        this.store = Objects.requireNonNull(store, "store");
        this.request = Objects.requireNonNull(request, "request");
    }

    /** Hosts by name (host filter applied, window not), in {@link ArchiveLayout#HOST_ORDER}; the caller closes the stream. */
    Stream<String> hosts() throws IOException {
        if (request.hosts().isPresent()) return request.hosts().get().stream().sorted(ArchiveLayout.HOST_ORDER);
        return new ChainIndex(store).hosts();
    }

    /** The window test (reads at most two manifests). */
    boolean inWindow(String host) {
        return inWindow(store, host, request.since(), request.until());
    }

    /**
     * The window test for a range partition's worker, which gets the window from the job parameters
     * (a remote worker's own request has none).
     */
    static boolean inWindow(ArchiveStore store, String host, Optional<Instant> since, Optional<Instant> until) {
        if (since.isEmpty() && until.isEmpty()) return true;
        try {
            if (since.isPresent()) {
                Optional<ChainHead> head = new ChainIndex(store).head(host);
                if (head.isPresent() && HostVerification.createdAt(head.get().manifest()).isBefore(since.get())) return false;
            }
            if (until.isPresent()) {
                Optional<Instant> first = firstCreatedAt(store, host);
                if (first.isPresent() && first.get().isAfter(until.get())) return false;
            }
            return true;
        } catch (MalformedManifestException | RuntimeException e) {
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Optional<Instant> firstCreatedAt(ArchiveStore store, String host) throws IOException, MalformedManifestException {
        Optional<String> key;
        try (Stream<String> keys = store.list(ArchiveLayout.segmentsPrefix(host))) {
            key = keys.filter(k -> k.endsWith(ArchiveLayout.MANIFEST_SUFFIX)).findFirst();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        if (key.isEmpty()) return Optional.empty();
        try {
            return Optional.of(HostVerification.createdAt(ManifestCodec.decode(Bytes.wrap(store.readAll(key.get())))));
        } catch (StoreException e) {
            return Optional.empty();
        }
    }
}

package org.imaarchiver.jobs.reverify;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Iterator;
import java.util.Objects;
import java.util.SortedSet;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.chain.ChainHead;
import org.imaarchiver.archive.chain.ChainIndex;
import org.imaarchiver.archive.segment.MalformedManifestException;
import org.imaarchiver.archive.segment.ManifestCodec;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.StoreException;
import org.imaarchiver.replay.bytes.Bytes;

/**
 * The hosts a run covers, in {@link ArchiveLayout#HOST_ORDER}: the named hosts, or every host with
 * objects in the store (streamed from its key listing) and every host enrolled in the trust
 * directory, which must have a chain (docs/archive-format.md §13: deleting a host's whole history
 * is a {@code missing-chain} finding, not a smaller host count).
 * The time window keeps a host whose chain overlaps it: head created at or after {@code since},
 * first segment created at or before {@code until}. A host whose manifests cannot be read for the
 * window test is kept (its verification reports why): filtering must not hide a broken chain.
 */
final class HostSource {
    private final ArchiveStore store;
    private final VerifyJobRequest request;
    private final SortedSet<String> enrolled;

    /** @param enrolled the trust directory's enrolled hosts, in {@link ArchiveLayout#HOST_ORDER} */
    HostSource(ArchiveStore store, VerifyJobRequest request, SortedSet<String> enrolled) {
        this.store = Objects.requireNonNull(store, "store");
        this.request = Objects.requireNonNull(request, "request");
        this.enrolled = Objects.requireNonNull(enrolled, "enrolled");
    }

    /** Hosts by name (host filter applied, window not), in {@link ArchiveLayout#HOST_ORDER}; the caller closes the stream. */
    Stream<String> hosts() throws IOException {
        if (request.hosts().isPresent()) return request.hosts().get().stream().sorted(ArchiveLayout.HOST_ORDER);
        return withEnrolled(new ChainIndex(store).hosts(), enrolled.iterator());
    }

    /**
     * The union of two host sequences, each ascending in {@link ArchiveLayout#HOST_ORDER} and without
     * repeats (the store's listing and the enrolled hosts), in that order; closing it closes {@code listed}.
     */
    static Stream<String> withEnrolled(Stream<String> listed, Iterator<String> enrolled) {
        Iterator<String> a = listed.iterator();
        Iterator<String> merged = new Iterator<>() {
            private Optional<String> nextA = step(a);
            private Optional<String> nextB = step(enrolled);

            @Override public boolean hasNext() { return nextA.isPresent() || nextB.isPresent(); }

            @Override public String next() {
                if (!hasNext()) throw new java.util.NoSuchElementException();
                int c = nextA.isEmpty() ? 1 : nextB.isEmpty() ? -1 : ArchiveLayout.HOST_ORDER.compare(nextA.get(), nextB.get());
                String h = c <= 0 ? nextA.get() : nextB.get();
                if (c <= 0) nextA = step(a);
                if (c >= 0) nextB = step(enrolled);
                return h;
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(merged, Spliterator.ORDERED | Spliterator.DISTINCT
                | Spliterator.NONNULL), false).onClose(listed::close);
    }

    private static Optional<String> step(Iterator<String> it) { return it.hasNext() ? Optional.of(it.next()) : Optional.empty(); }

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

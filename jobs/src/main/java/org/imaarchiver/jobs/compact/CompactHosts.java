package org.imaarchiver.jobs.compact;

import java.io.IOException;
import java.util.Objects;
import java.util.stream.Stream;
import org.imaarchiver.archive.chain.ChainIndex;
import org.imaarchiver.archive.store.ArchiveStore;

/** The hosts a run covers, in {@code ArchiveLayout.HOST_ORDER}: the named ones, or every host in the store's key listing. */
final class CompactHosts {
    private final ArchiveStore store;
    private final CompactJobRequest request;

    CompactHosts(ArchiveStore store, CompactJobRequest request) {
        this.store = Objects.requireNonNull(store, "store");
        this.request = Objects.requireNonNull(request, "request");
    }

    /** The caller closes the stream. */
    Stream<String> hosts() throws IOException {
        if (request.hosts().isPresent()) return request.hosts().get().stream().sorted(org.imaarchiver.archive.chain.ArchiveLayout.HOST_ORDER);
        return new ChainIndex(store).hosts();
    }
}

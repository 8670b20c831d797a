package org.imaarchiver.jobs.reverify;

import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.ArchiveStores;
import org.imaarchiver.archive.store.StoreOptions;

/**
 * The archive store a partition reads, by the URI in the job parameters: the manager's own store
 * in local mode; in a remote worker one store per URI, opened on first use with the worker's store
 * options (S3 endpoint, credentials) and kept until the worker stops.
 */
interface StoreProvider {
    ArchiveStore open(String storeUri) throws IOException;

    /** The one store of a local run. */
    static StoreProvider single(String uri, ArchiveStore store) {
        return u -> {
            if (!u.equals(uri)) throw new IOException("job names store " + u + ", this run opened " + uri);
            return store;
        };
    }

    /** A worker's stores, closed with the context. */
    final class Caching implements StoreProvider, AutoCloseable {
        private final StoreOptions options;
        private final Map<String, ArchiveStore> stores = new ConcurrentHashMap<>();

        Caching(StoreOptions options) { this.options = Objects.requireNonNull(options, "options"); }

        @Override
        public synchronized ArchiveStore open(String storeUri) throws IOException {
            ArchiveStore s = stores.get(storeUri);
            if (s == null) {
                s = ArchiveStores.open(storeUri, options);
                stores.put(storeUri, s);
            }
            return s;
        }

        @Override
        public synchronized void close() {
            for (ArchiveStore s : stores.values()) {
                try {
                    s.close();
                } catch (Exception e) {
                    // closing on shutdown: nothing left to do with the error
                }
            }
            stores.clear();
        }
    }
}

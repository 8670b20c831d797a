package org.imaarchiver.archive.store;

import java.util.Objects;

/** Opens the store a location string names ({@link StoreUri}). */
public final class ArchiveStores {
    private ArchiveStores() {}

    /**
     * Opens {@code location}: a plain path or {@code file:///...} gives a {@link LocalDirectoryStore},
     * {@code s3://bucket/prefix} an {@link S3ArchiveStore} configured from {@code options}.
     *
     * @throws IllegalArgumentException if {@code location} is not one of these forms
     */
    public static ArchiveStore open(String location, StoreOptions options) throws StoreException {
        Objects.requireNonNull(options, "options");
        StoreUri uri = StoreUri.parse(location);
        if (uri instanceof StoreUri.Local local) return LocalDirectoryStore.open(local.root());
        if (uri instanceof StoreUri.S3 s3) return S3ArchiveStore.create(s3, options);
        throw new IllegalStateException("unhandled store kind " + uri);
    }
}

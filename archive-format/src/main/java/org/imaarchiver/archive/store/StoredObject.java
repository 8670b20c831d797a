package org.imaarchiver.archive.store;

import java.util.Objects;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * The receipt of a successful {@link ArchiveStore#createNew}: the key, the number of bytes and
 * the SHA-256 the writer computed over exactly the bytes it sent.
 */
public record StoredObject(String key, long size, Digest sha256) {
    public StoredObject {
        StoreKeys.requireValidKey(key);
        if (size < 0) throw new IllegalArgumentException("negative size " + size + " for " + key);
        Objects.requireNonNull(sha256, "sha256");
        if (sha256.length() != HashAlgorithm.SHA256.digestLength()) {
            throw new IllegalArgumentException("sha256 of " + key + " has " + sha256.length() + " bytes");
        }
    }
}

package org.imaarchiver.archive.store;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * What a store knows about an object without reading it.
 *
 * @param key          the object key
 * @param size         the size in bytes
 * @param sha256       the SHA-256 of the whole content if the store recorded it at upload (S3:
 *                     our {@code x-amz-meta-sha256}, else a full-object checksum); a claim, not a
 *                     proof: {@link ArchiveStore#verifyDurable} re-reads
 * @param lastModified when the object was created, by the store's clock
 */
public record ObjectInfo(String key, long size, Optional<Digest> sha256, Instant lastModified) {
    public ObjectInfo {
        StoreKeys.requireValidKey(key);
        if (size < 0) throw new IllegalArgumentException("negative size " + size + " for " + key);
        Objects.requireNonNull(sha256, "sha256");
        sha256.ifPresent(d -> {
            if (d.length() != HashAlgorithm.SHA256.digestLength()) {
                throw new IllegalArgumentException("sha256 of " + key + " has " + d.length() + " bytes");
            }
        });
        Objects.requireNonNull(lastModified, "lastModified");
    }
}

package org.imaarchiver.archive.compact;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.ObjectInfo;
import org.imaarchiver.archive.store.StoreException;

/**
 * Whether an object replaced by compaction may be deleted. A part is deleted only when none of its
 * objects is retained; otherwise it stays as a superseded part (valid: the verifier ignores parts
 * inside a switched compacted segment) and a later run deletes it once retention allows.
 */
@FunctionalInterface
public interface RetentionPolicy {
    /** True when {@code key} must not be deleted now. */
    boolean retained(String key) throws StoreException;

    /** Nothing is retained: parts are deleted after the switch. */
    static RetentionPolicy none() { return key -> false; }

    /**
     * Everything is retained: for stores under S3 Object Lock, where delete only adds a delete marker
     * (the bytes stay and cost), so compaction keeps the parts and saves nothing by deleting.
     */
    static RetentionPolicy keepAll() { return key -> true; }

    /**
     * Retained while younger than {@code retainFor} by the store's lastModified (mirror of an
     * ObjectLockRetention period), judged with {@code clock}.
     */
    static RetentionPolicy retainFor(ArchiveStore store, Duration retainFor, Clock clock) {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(retainFor, "retainFor");
        Objects.requireNonNull(clock, "clock");
        return key -> {
            Optional<ObjectInfo> info = store.stat(key);
            return info.isPresent() && info.get().lastModified().plus(retainFor).isAfter(clock.instant());
        };
    }
}

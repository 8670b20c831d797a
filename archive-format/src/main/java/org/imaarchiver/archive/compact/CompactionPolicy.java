package org.imaarchiver.archive.compact;

import java.time.Duration;
import java.util.Objects;

/**
 * Which consecutive segments of one boot {@link Compactor} merges (docs/archive-format.md
 * "Compaction"). A group never crosses a boot boundary; it grows while it stays within both targets
 * and {@code maxParts}; a group of fewer than two parts is left alone.
 *
 * @param targetRecords largest record count of an output segment
 * @param targetBytes   largest sum of the parts' Parquet file sizes of an output segment
 * @param minAge        only segments whose {@code createdAt} is at least this old (by the clock passed
 *                      to the compactor) are merged; zero merges every segment, whatever its
 *                      {@code createdAt}, also one ahead of the clock
 * @param maxParts      most parts (chain segments) per output segment, at least 2
 */
public record CompactionPolicy(long targetRecords, long targetBytes, Duration minAge, int maxParts) {
    public CompactionPolicy {
        if (targetRecords < 1) throw new IllegalArgumentException("targetRecords < 1");
        if (targetBytes < 1) throw new IllegalArgumentException("targetBytes < 1");
        Objects.requireNonNull(minAge, "minAge");
        if (minAge.isNegative()) throw new IllegalArgumentException("negative minAge");
        if (maxParts < 2) throw new IllegalArgumentException("maxParts < 2");
    }

    /** Defaults: 10 million records, 1 GiB, one day old, 1000 parts. */
    public static CompactionPolicy defaults() {
        return new CompactionPolicy(10_000_000, 1L << 30, Duration.ofDays(1), 1000);
    }
}

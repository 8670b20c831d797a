package org.imaarchiver.jobs.host.state;

import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * The trim the job is about to ask for (kernel-interface.md D.2 step 6), journaled before the write.
 *
 * @param plannedN   records to delete
 * @param startIndex absolute index of the kernel list's first record (the archive's {@code trimmedSoFar})
 * @param bank       the bank whose file was read (template digests are that bank's)
 * @param first      record {@code startIndex}
 * @param last       record {@code startIndex + plannedN - 1} (the N-th)
 * @param afterLast  record {@code startIndex + plannedN}, when it had been read: the head a completed
 *                   trim leaves. Without it a completed trim cannot be told from a foreign one.
 * @param segmentKey the archive segment that holds the records
 */
public record TrimIntent(long plannedN, long startIndex, HashAlgorithm bank, RecordId first, RecordId last,
                         Optional<RecordId> afterLast, String segmentKey) {
    public TrimIntent {
        Objects.requireNonNull(bank, "bank");
        Objects.requireNonNull(first, "first");
        Objects.requireNonNull(last, "last");
        Objects.requireNonNull(afterLast, "afterLast");
        Objects.requireNonNull(segmentKey, "segmentKey");
        if (plannedN < 1) throw new IllegalArgumentException("plannedN < 1: " + plannedN);
        if (startIndex < 0) throw new IllegalArgumentException("startIndex < 0: " + startIndex);
    }

    /** The absolute index the kernel list starts at once the trim is done. */
    public long indexAfterTrim() { return startIndex + plannedN; }
}

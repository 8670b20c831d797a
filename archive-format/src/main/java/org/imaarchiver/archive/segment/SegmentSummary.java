package org.imaarchiver.archive.segment;

import org.imaarchiver.replay.pcr.Digest;

/** What a {@link SegmentWriter} has seen: the values a manifest must repeat. */
public record SegmentSummary(long firstIndex, long recordCount, Digest dataDigest, long rawBytes) {
    /** Index of the next record; {@code firstIndex + recordCount}. */
    public long nextIndex() { return firstIndex + recordCount; }
}

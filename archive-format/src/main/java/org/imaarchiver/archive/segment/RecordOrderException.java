package org.imaarchiver.archive.segment;

/** A record handed to a {@link SegmentWriter} is not the next one: segments hold contiguous indices. */
public class RecordOrderException extends IllegalArgumentException {
    private final long expectedIndex;
    private final long foundIndex;

    public RecordOrderException(long expectedIndex, long foundIndex) {
        super("segment records must be contiguous: expected index " + expectedIndex + ", found " + foundIndex);
        this.expectedIndex = expectedIndex;
        this.foundIndex = foundIndex;
    }

    public long expectedIndex() { return expectedIndex; }
    public long foundIndex() { return foundIndex; }
}

package org.imaarchiver.archive.compact;

import java.util.Objects;
import org.imaarchiver.archive.chain.ChainReport;

/** The outcome of compacting one {@link CompactionGroup}; nothing in the chain changes unless {@link Compacted}. */
public sealed interface CompactionResult {
    /** Stable id for logs and reports. */
    String kind();

    /**
     * The compacted segment is switched in.
     *
     * @param segmentKey   its Parquet key
     * @param first        first covered sequence
     * @param last         last covered sequence
     * @param records      its record count
     * @param partsDeleted parts whose objects were deleted
     * @param partsKept    parts kept (retention); superseded, not part of the chain
     */
    record Compacted(String segmentKey, long first, long last, long records, int partsDeleted, int partsKept)
            implements CompactionResult {
        @Override public String kind() { return "compacted"; }
    }

    /** The parts do not verify (the report says why); compaction of a broken range is refused. */
    record PartsInvalid(long first, long last, ChainReport report) implements CompactionResult {
        public PartsInvalid { Objects.requireNonNull(report, "report"); }
        @Override public String kind() { return "parts-invalid"; }
    }

    /** The compacted segment written here did not verify (a bug; nothing was uploaded). */
    record OutputInvalid(long first, long last, ChainReport report) implements CompactionResult {
        public OutputInvalid { Objects.requireNonNull(report, "report"); }
        @Override public String kind() { return "output-invalid"; }
    }

    /** The chain changed since planning (another writer): the range no longer consists of the planned parts. */
    record Stale(long first, long last) implements CompactionResult {
        @Override public String kind() { return "stale"; }
    }

    /** A staged object already existed and could not be replaced (a concurrent compactor). */
    record StoreConflict(String key) implements CompactionResult {
        @Override public String kind() { return "store-conflict"; }
    }

    /** A staged object or the commit did not re-read as sent; the parts stay the chain. */
    record NotDurable(String key) implements CompactionResult {
        @Override public String kind() { return "not-durable"; }
    }
}

package org.imaarchiver.archive.compact;

/**
 * The steps of the compaction protocol (docs/archive-format.md "Compaction"), in order. A crash
 * after any of them leaves a chain that verifies; {@link Compactor.StepHook} is called after each.
 */
public enum CompactionStep {
    /** The parts verified (ChainVerifier on the range). */
    PARTS_VERIFIED,
    /** The compacted segment is written and signed locally. */
    WRITTEN,
    /** The local copy verified (with its commit) like a chain segment. */
    VERIFIED_LOCALLY,
    /** Leftovers of an earlier unswitched attempt for the same range were deleted. */
    LEFTOVERS_REMOVED,
    /** Staged: {@code .parquet} uploaded under the range name (not part of the chain yet). */
    STAGED_SEGMENT,
    /** Staged: {@code .manifest.cms} uploaded. */
    STAGED_SIGNATURE,
    /** Staged: {@code .manifest.json} uploaded. */
    STAGED_MANIFEST,
    /** The three staged objects re-read and matched. */
    DURABLE,
    /** The {@code .commit} object is stored and durable: the compacted segment replaces its parts. */
    SWITCHED,
    /** One superseded part's objects were deleted (called once per part). */
    PART_DELETED
}

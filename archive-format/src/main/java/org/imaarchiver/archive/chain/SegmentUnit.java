package org.imaarchiver.archive.chain;

import java.util.ArrayList;
import java.util.List;

/**
 * The listed objects of one segment name: a plain segment ({@code <seq>}) or a compacted one
 * ({@code <first>-<last>}, docs/archive-format.md "Compaction").
 *
 * @param host          the host
 * @param firstSequence the (first) sequence of the name
 * @param lastSequence  the last chain position covered ({@code firstSequence} for a plain segment)
 * @param range         true for a compacted segment's range name
 * @param hasSegment    {@code .parquet} listed
 * @param hasManifest   {@code .manifest.json} listed
 * @param hasSignature  {@code .manifest.cms} listed
 * @param hasCommit     {@code .commit} listed (range names only): the compacted segment is switched in
 */
public record SegmentUnit(String host, long firstSequence, long lastSequence, boolean range, boolean hasSegment,
                          boolean hasManifest, boolean hasSignature, boolean hasCommit) {
    public SegmentUnit {
        ArchiveLayout.requireValidHostId(host);
        if (lastSequence < firstSequence) throw new IllegalArgumentException("range ends before it starts");
        if (!range && (lastSequence != firstSequence || hasCommit)) throw new IllegalArgumentException("plain unit with range data");
    }

    public String key(ArchiveLayout.ObjectKind kind) {
        return ArchiveLayout.unitKey(host, firstSequence, lastSequence, range, kind);
    }

    /** The keys of this unit that were listed; the commit last, so deleting in this order un-switches last. */
    public List<String> listedKeys() {
        List<String> keys = new ArrayList<>();
        if (hasManifest) keys.add(key(ArchiveLayout.ObjectKind.MANIFEST));
        if (hasSignature) keys.add(key(ArchiveLayout.ObjectKind.SIGNATURE));
        if (hasSegment) keys.add(key(ArchiveLayout.ObjectKind.SEGMENT));
        if (hasCommit) keys.add(key(ArchiveLayout.ObjectKind.COMMIT));
        return keys;
    }

    /** True when this unit's positions lie within {@code other}'s. */
    public boolean within(SegmentUnit other) {
        return other.firstSequence <= firstSequence && lastSequence <= other.lastSequence;
    }

    /** A switched compacted segment. */
    public boolean committed() { return range && hasCommit; }
}

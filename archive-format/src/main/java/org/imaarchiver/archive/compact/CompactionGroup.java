package org.imaarchiver.archive.compact;

import java.util.List;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.chain.SegmentUnit;

/**
 * Consecutive chain segments of one host and one boot that {@link Compactor} merges into one.
 *
 * @param host        the host
 * @param parts       the chain segments, in chain order (plain or already compacted), at least two
 * @param bootCounter the boot they all belong to
 * @param records     their total record count
 * @param bytes       their total Parquet file size
 */
public record CompactionGroup(String host, List<SegmentUnit> parts, long bootCounter, long records, long bytes) {
    public CompactionGroup {
        ArchiveLayout.requireValidHostId(host);
        parts = List.copyOf(parts);
        if (parts.size() < 2) throw new IllegalArgumentException("a group merges at least two segments");
        for (int i = 1; i < parts.size(); i++) {
            if (parts.get(i).firstSequence() != parts.get(i - 1).lastSequence() + 1) {
                throw new IllegalArgumentException("parts are not consecutive");
            }
        }
    }

    public long firstSequence() { return parts.get(0).firstSequence(); }

    public long lastSequence() { return parts.get(parts.size() - 1).lastSequence(); }
}

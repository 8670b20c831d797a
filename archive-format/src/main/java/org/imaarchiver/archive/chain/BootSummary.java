package org.imaarchiver.archive.chain;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * One boot of a host's verified chain, as the report lists it (docs/archive-format.md §14 {@code boots}):
 * the chain segments with a readable manifest of that boot counter, consecutive in the chain.
 *
 * @param bootCounter  the manifests' {@code boot.bootCounter}
 * @param firstSegment first sequence of the boot's first segment
 * @param lastSegment  last sequence the boot's last segment covers
 * @param segments     chain segments of the boot (a compacted segment counts once)
 * @param records      sum of their recordCount
 * @param firstIndex   first record of the boot's first segment
 * @param lastIndex    last record of its last non-empty segment, if any
 * @param closed       the boot's last segment carries the closing mark of the run at shutdown
 */
public record BootSummary(long bootCounter, long firstSegment, long lastSegment, long segments, long records,
                          long firstIndex, OptionalLong lastIndex, boolean closed) {
    public BootSummary {
        Objects.requireNonNull(lastIndex, "lastIndex");
        if (lastSegment < firstSegment) throw new IllegalArgumentException("lastSegment < firstSegment");
    }

    /** This boot followed by the segments of {@code later} (the same boot, verified after it): one boot. */
    public BootSummary followedBy(BootSummary later) {
        if (later.bootCounter != bootCounter) throw new IllegalArgumentException("boot " + later.bootCounter + " does not continue boot " + bootCounter);
        return new BootSummary(bootCounter, firstSegment, later.lastSegment, segments + later.segments, records + later.records,
                firstIndex, later.lastIndex.isPresent() ? later.lastIndex : lastIndex, later.closed);
    }
}

package org.imaarchiver.jobs.host.state;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.replay.pcr.Digest;

/**
 * The local cache of the archive chain head for this host. Only a cache: the archive is the
 * authority, and the caller detects a lost or stale cache by comparing it with the archive.
 *
 * @param hostId      the archive's name for this host
 * @param bootId      the boot identity the head belongs to (a new boot starts a new chain, C.4/C.5)
 * @param nextIndex   absolute index of the next record to archive: the kernel's trimmedSoFar once
 *                    the archived records are trimmed (kernel-interface.md A.8 Counters, D.1 item 2)
 * @param lastSegment the last segment written for this boot, if any
 * @param lastRun     when the last run finished
 */
public record HostState(String hostId, String bootId, long nextIndex, Optional<SegmentRef> lastSegment, Instant lastRun) {
    /** A written segment: its sequence number in the chain and its manifest digest. */
    public record SegmentRef(long sequence, Digest manifestDigest) {
        public SegmentRef {
            Objects.requireNonNull(manifestDigest, "manifestDigest");
            if (sequence < 0) throw new IllegalArgumentException("sequence < 0: " + sequence);
        }
    }

    public HostState {
        Objects.requireNonNull(hostId, "hostId");
        Objects.requireNonNull(bootId, "bootId");
        Objects.requireNonNull(lastSegment, "lastSegment");
        Objects.requireNonNull(lastRun, "lastRun");
        if (nextIndex < 0) throw new IllegalArgumentException("nextIndex < 0: " + nextIndex);
    }
}

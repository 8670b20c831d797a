package org.imaarchiver.archive.chain;

import java.util.List;
import java.util.Optional;
import org.imaarchiver.archive.segment.SegmentManifest;
import org.imaarchiver.replay.pcr.Digest;

/**
 * What one segment's checks learned, for the chain rules: its positions, the manifest that describes
 * it (the sidecar, or without a usable one the footer's) and that manifest's digest, and its findings.
 */
record CheckedSegment(long sequence, long lastSequence, Optional<SegmentManifest> manifest, Optional<Digest> manifestDigest,
                      List<ChainFinding> findings) {
    CheckedSegment {
        findings = List.copyOf(findings);
    }

    /** What its successor follows. */
    ChainPredecessor asPredecessor() {
        if (manifest.isPresent() && manifestDigest.isPresent()) {
            return new ChainPredecessor.Segment(lastSequence, manifest.get(), manifestDigest.get());
        }
        return new ChainPredecessor.Unreadable(lastSequence);
    }
}

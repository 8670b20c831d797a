package org.imaarchiver.archive.chain;

import java.util.List;
import java.util.Objects;
import org.imaarchiver.archive.segment.SegmentManifest;

/**
 * A host chain as {@link ChainVerifier#verifyHostChain} verified it: the report, and each chain
 * segment whose manifest could be read with that manifest (the sidecar, or without a usable one the
 * footer's), in chain order. Only when the report has no findings do the manifests describe verified
 * records; a reader that reads the records again checks them against these manifests
 * ({@link BootExporter}).
 */
public record VerifiedChain(ChainReport report, List<Segment> segments) {
    public VerifiedChain {
        Objects.requireNonNull(report, "report");
        segments = List.copyOf(segments);
    }

    /** One chain segment and the manifest it was verified under. */
    public record Segment(SegmentUnit unit, SegmentManifest manifest) {
        public Segment {
            Objects.requireNonNull(unit, "unit");
            Objects.requireNonNull(manifest, "manifest");
        }
    }
}

package org.imaarchiver.archive.chain;

import java.util.Objects;
import org.imaarchiver.archive.segment.BootIdentity;
import org.imaarchiver.archive.segment.SegmentManifest;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.PcrState;

/**
 * The last segment of a host's chain, read from its sidecar manifest: what the next segment
 * continues from.
 *
 * @param host           the host id
 * @param manifestKey    the sidecar's key
 * @param manifest       the decoded sidecar manifest (its signature is not checked here: the packer
 *                       only builds on its own archive; {@link ChainVerifier} checks everything)
 * @param manifestDigest SHA-256 of the sidecar bytes: the next segment's {@code previousManifestDigest}
 */
public record ChainHead(String host, String manifestKey, SegmentManifest manifest, Digest manifestDigest) {
    public ChainHead {
        ArchiveLayout.requireValidHostId(host);
        Objects.requireNonNull(manifestKey, "manifestKey");
        Objects.requireNonNull(manifest, "manifest");
        Objects.requireNonNull(manifestDigest, "manifestDigest");
    }

    public long sequence() { return manifest.sequence(); }

    /** The sequence of the segment that follows. */
    public long nextSequence() { return manifest.sequence() + 1; }

    /** The head's end state: the next segment's base when it continues the same boot. */
    public PcrState endState() { return manifest.end(); }

    public BootIdentity boot() { return manifest.boot(); }
}

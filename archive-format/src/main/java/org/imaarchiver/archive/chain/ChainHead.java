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
 * @param manifestDigest SHA-256 of the sidecar bytes; the next segment's {@code previousManifestDigest}
 *                       is {@link #linkDigest()} (the same unless the head is a compacted segment)
 */
public record ChainHead(String host, String manifestKey, SegmentManifest manifest, Digest manifestDigest) {
    public ChainHead {
        ArchiveLayout.requireValidHostId(host);
        Objects.requireNonNull(manifestKey, "manifestKey");
        Objects.requireNonNull(manifest, "manifest");
        Objects.requireNonNull(manifestDigest, "manifestDigest");
    }

    public long sequence() { return manifest.sequence(); }

    /** The last chain position the head covers ({@link #sequence()} unless compacted). */
    public long lastSequence() { return manifest.lastSequence(); }

    /** The sequence of the segment that follows. */
    public long nextSequence() { return manifest.lastSequence() + 1; }

    /**
     * What the next segment's previousManifestDigest (and derived nonce) names: the manifest digest,
     * or for a compacted head its {@code chainLinkDigest} (the last original segment's digest).
     */
    public Digest linkDigest() { return manifest.chainLinkDigest(manifestDigest); }

    /** The head's end state: the next segment's base when it continues the same boot. */
    public PcrState endState() { return manifest.end(); }

    public BootIdentity boot() { return manifest.boot(); }
}

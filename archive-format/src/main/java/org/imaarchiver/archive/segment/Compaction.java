package org.imaarchiver.archive.segment;

import java.util.List;
import java.util.Objects;
import org.imaarchiver.replay.pcr.Digest;

/**
 * What a compacted segment stands in for (docs/archive-format.md "Compaction"). It takes the first
 * part's {@code sequence} and covers the chain positions {@code sequence .. lastSequence}.
 *
 * @param lastSequence    the last chain position the segment covers (the next segment is lastSequence + 1)
 * @param replaces        manifest digests of the parts merged into this segment, in chain order
 * @param chainLinkDigest the digest the following segment names as previousManifestDigest: the last
 *                        original (uncompacted) segment's manifest digest, so successors stay valid
 *                        without re-signing
 */
public record Compaction(long lastSequence, List<Digest> replaces, Digest chainLinkDigest) {
    public Compaction {
        if (lastSequence < 0) throw new IllegalArgumentException("lastSequence < 0");
        replaces = List.copyOf(replaces);
        if (replaces.isEmpty()) throw new IllegalArgumentException("a compaction replaces at least one segment");
        for (Digest d : replaces) if (d.length() != 32) throw new IllegalArgumentException("replaces must hold SHA-256 digests");
        Objects.requireNonNull(chainLinkDigest, "chainLinkDigest");
        if (chainLinkDigest.length() != 32) throw new IllegalArgumentException("chainLinkDigest must be SHA-256");
    }
}

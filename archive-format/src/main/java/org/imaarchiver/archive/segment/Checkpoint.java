package org.imaarchiver.archive.segment;

import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.PcrState;
import org.imaarchiver.replay.quote.QuoteEvidence;

/**
 * One component quote kept inside a compacted segment (docs/archive-format.md "Compaction"): the
 * end quote of the original segment {@code sequence}, with everything needed to re-verify it
 * without the original manifest. {@code end.nextIndex()} is its quote point (absolute index): the
 * replay of the compacted rows must match the quote first at exactly that index.
 *
 * @param sequence               the original segment's sequence
 * @param manifestDigest         the original segment's manifest digest (what its successor linked to)
 * @param previousManifestDigest the original segment's previousManifestDigest (part of its derived nonce)
 * @param restartCount           the original segment's boot.restartCount (the quote's; part of its nonce)
 * @param end                    the original segment's end state, attested by {@code quote}
 * @param quote                  the original end quote
 * @param nonceDerivation        the original nonce derivation
 */
public record Checkpoint(long sequence, Digest manifestDigest, Optional<Digest> previousManifestDigest, long restartCount,
                         PcrState end, QuoteEvidence quote, NonceDerivation nonceDerivation) {
    public Checkpoint {
        if (sequence < 0) throw new IllegalArgumentException("checkpoint sequence < 0: " + sequence);
        Objects.requireNonNull(manifestDigest, "manifestDigest");
        if (manifestDigest.length() != 32) throw new IllegalArgumentException("checkpoint manifestDigest must be SHA-256");
        Objects.requireNonNull(previousManifestDigest, "previousManifestDigest");
        previousManifestDigest.ifPresent(d -> {
            if (d.length() != 32) throw new IllegalArgumentException("checkpoint previousManifestDigest must be SHA-256");
        });
        if (restartCount < 0 || restartCount > 0xFFFF_FFFFL) throw new IllegalArgumentException("restartCount outside u32");
        Objects.requireNonNull(end, "end");
        Objects.requireNonNull(quote, "quote");
        Objects.requireNonNull(nonceDerivation, "nonceDerivation");
    }

    /** Absolute index after the last record the quote covers. */
    public long quotePoint() { return end.nextIndex(); }

    /** The checkpoint of an uncompacted segment: its own end quote in its own context. */
    public static Checkpoint of(SegmentManifest m, Digest manifestDigest) {
        return new Checkpoint(m.sequence(), manifestDigest, m.previousManifestDigest(), m.boot().restartCount(), m.end(), m.quote(),
                m.nonceDerivation());
    }

    /** The boot identity the quote was taken in: the segment's boot with this checkpoint's restartCount. */
    public BootIdentity boot(BootIdentity segmentBoot) {
        return new BootIdentity(segmentBoot.bootAggregateAlgorithm(), segmentBoot.bootAggregate(), segmentBoot.resetCount(),
                restartCount, segmentBoot.bootCounter());
    }
}

package org.imaarchiver.archive.segment;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.PcrState;
import org.imaarchiver.replay.quote.QuoteEvidence;

/**
 * The signed description of one segment: the records {@code firstIndex .. firstIndex+recordCount-1}
 * of one boot of one host, replaying from {@code base} to {@code end}, where {@code end} is attested
 * by {@code quote}. Values only; {@link ManifestCodec} owns the canonical bytes.
 *
 * @param formatVersion          {@link #FORMAT_VERSION}
 * @param hostId                 the archiver's stable host identifier
 * @param boot                   which boot of the host
 * @param sequence               position in the host's chain (0-based, strictly increasing across boots)
 * @param firstIndex             absolute index of the first record; equals {@code base.nextIndex()}
 * @param recordCount            number of records (= Parquet rows); {@code end.nextIndex() - firstIndex}
 * @param base                   replay state before the first record (all zeros at boot)
 * @param end                    replay state after the last record, matching the quote
 * @param quote                  the quote attesting {@code end}
 * @param nonceDerivation        where the quote's extraData came from
 * @param replay                 facts needed to parse and replay {@code raw}
 * @param createdAt              ISO-8601 UTC instant ({@code ...Z}), supplied by the caller
 * @param producer               producer name and version, e.g. {@code ima-archiver/0.1.0}
 * @param dataDigest             {@link DataDigest} over the records (SHA-256)
 * @param previousManifestDigest manifest digest of the host's previous segment (also across boots);
 *                               empty only for the first segment of the host's chain
 * @param checkpoints            the component quotes of a compacted segment, one per original segment,
 *                               in order (the last one is this manifest's own quote); empty otherwise
 * @param compaction             present exactly for a compacted segment: the chain positions it covers
 *                               and what its successor links to (docs/archive-format.md "Compaction")
 * @param closesBoot             written by the run at shutdown: the boot's tail up to its quote is in this
 *                               segment (docs/archive-format.md §6.1 {@code closesBoot}); a boot whose last
 *                               segment does not carry it may have lost records at reboot
 */
public record SegmentManifest(int formatVersion, String hostId, BootIdentity boot, long sequence, long firstIndex,
                              long recordCount, PcrState base, PcrState end, QuoteEvidence quote,
                              NonceDerivation nonceDerivation, ReplayFacts replay, String createdAt, String producer,
                              Digest dataDigest, Optional<Digest> previousManifestDigest,
                              List<Checkpoint> checkpoints, Optional<Compaction> compaction, boolean closesBoot) {
    public static final int FORMAT_VERSION = 1;

    public SegmentManifest {
        if (formatVersion != FORMAT_VERSION) {
            throw new IllegalArgumentException("unsupported formatVersion " + formatVersion + " (supported: " + FORMAT_VERSION + ")");
        }
        Objects.requireNonNull(hostId, "hostId");
        if (hostId.isBlank()) throw new IllegalArgumentException("blank hostId");
        Objects.requireNonNull(boot, "boot");
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(end, "end");
        Objects.requireNonNull(quote, "quote");
        Objects.requireNonNull(nonceDerivation, "nonceDerivation");
        Objects.requireNonNull(replay, "replay");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(producer, "producer");
        Objects.requireNonNull(dataDigest, "dataDigest");
        Objects.requireNonNull(previousManifestDigest, "previousManifestDigest");
        if (sequence < 0) throw new IllegalArgumentException("sequence < 0: " + sequence);
        if (recordCount < 0) throw new IllegalArgumentException("recordCount < 0: " + recordCount);
        if (firstIndex != base.nextIndex()) {
            throw new IllegalArgumentException("firstIndex " + firstIndex + " != base.nextIndex " + base.nextIndex());
        }
        if (end.nextIndex() != firstIndex + recordCount) {
            throw new IllegalArgumentException("end.nextIndex " + end.nextIndex() + " != firstIndex + recordCount "
                    + (firstIndex + recordCount));
        }
        if (!base.banks().equals(end.banks())) {
            throw new IllegalArgumentException("base banks " + base.banks() + " != end banks " + end.banks());
        }
        if (!base.extendModes().equals(end.extendModes())) {
            throw new IllegalArgumentException("extend modes change inside a segment");
        }
        if (dataDigest.length() != 32) throw new IllegalArgumentException("dataDigest must be SHA-256");
        previousManifestDigest.ifPresent(d -> {
            if (d.length() != 32) throw new IllegalArgumentException("previousManifestDigest must be SHA-256");
        });
        checkInstant(createdAt);
        checkpoints = List.copyOf(checkpoints);
        Objects.requireNonNull(compaction, "compaction");
        checkCompaction(sequence, firstIndex, boot, end, quote, nonceDerivation, checkpoints, compaction);
    }

    /** A segment that does not close its boot. */
    public SegmentManifest(int formatVersion, String hostId, BootIdentity boot, long sequence, long firstIndex,
                           long recordCount, PcrState base, PcrState end, QuoteEvidence quote,
                           NonceDerivation nonceDerivation, ReplayFacts replay, String createdAt, String producer,
                           Digest dataDigest, Optional<Digest> previousManifestDigest, List<Checkpoint> checkpoints,
                           Optional<Compaction> compaction) {
        this(formatVersion, hostId, boot, sequence, firstIndex, recordCount, base, end, quote, nonceDerivation, replay, createdAt,
                producer, dataDigest, previousManifestDigest, checkpoints, compaction, false);
    }

    /** An uncompacted segment (no checkpoints, no compaction): the pre-compaction constructor. */
    public SegmentManifest(int formatVersion, String hostId, BootIdentity boot, long sequence, long firstIndex,
                           long recordCount, PcrState base, PcrState end, QuoteEvidence quote,
                           NonceDerivation nonceDerivation, ReplayFacts replay, String createdAt, String producer,
                           Digest dataDigest, Optional<Digest> previousManifestDigest, List<Checkpoint> checkpoints) {
        this(formatVersion, hostId, boot, sequence, firstIndex, recordCount, base, end, quote, nonceDerivation, replay, createdAt,
                producer, dataDigest, previousManifestDigest, checkpoints, Optional.empty(), false);
    }

    /** The last chain position this segment covers: {@code sequence} unless compacted. */
    public long lastSequence() { return compaction.map(Compaction::lastSequence).orElse(sequence); }

    /** True for a compacted segment. */
    public boolean isCompacted() { return compaction.isPresent(); }

    /**
     * What the next segment's previousManifestDigest must be, given this manifest's own digest: the
     * compaction's chainLinkDigest for a compacted segment, else the own digest.
     */
    public Digest chainLinkDigest(Digest ownManifestDigest) {
        return compaction.map(Compaction::chainLinkDigest).orElse(ownManifestDigest);
    }

    /**
     * Shape rules of a compacted manifest (docs/archive-format.md "Compaction"): one checkpoint per
     * covered sequence, in order, quote points non-decreasing inside the segment, the last checkpoint
     * being the manifest's own end quote in its original context. Semantic checks (quotes, replay,
     * links) are the verifier's.
     */
    private static void checkCompaction(long sequence, long firstIndex, BootIdentity boot, PcrState end, QuoteEvidence quote,
                                        NonceDerivation nonceDerivation, List<Checkpoint> checkpoints,
                                        Optional<Compaction> compaction) {
        if (compaction.isEmpty()) {
            if (!checkpoints.isEmpty()) throw new IllegalArgumentException("checkpoints without compaction");
            return;
        }
        Compaction c = compaction.get();
        if (c.lastSequence() < sequence) throw new IllegalArgumentException("compaction.lastSequence < sequence");
        if (checkpoints.size() != c.lastSequence() - sequence + 1) {
            throw new IllegalArgumentException("a compacted segment has one checkpoint per covered sequence: "
                    + (c.lastSequence() - sequence + 1) + " expected, " + checkpoints.size() + " found");
        }
        long point = firstIndex;
        for (int i = 0; i < checkpoints.size(); i++) {
            Checkpoint cp = checkpoints.get(i);
            if (cp.sequence() != sequence + i) throw new IllegalArgumentException("checkpoint " + i + " has sequence " + cp.sequence());
            if (cp.quotePoint() < point) throw new IllegalArgumentException("checkpoint " + i + " quote point goes backwards");
            if (!cp.end().banks().equals(end.banks()) || !cp.end().extendModes().equals(end.extendModes())) {
                throw new IllegalArgumentException("checkpoint " + i + " has other banks or extend modes than the segment");
            }
            point = cp.quotePoint();
        }
        Checkpoint last = checkpoints.get(checkpoints.size() - 1);
        if (!last.end().equals(end) || !last.quote().equals(quote) || !last.nonceDerivation().equals(nonceDerivation)
                || last.restartCount() != boot.restartCount()) {
            throw new IllegalArgumentException("the last checkpoint must be the segment's own end, quote, nonce and restartCount");
        }
        if (!last.manifestDigest().equals(c.chainLinkDigest())) {
            throw new IllegalArgumentException("chainLinkDigest must be the last checkpoint's manifest digest");
        }
    }

    /** Absolute index of the last record; {@code firstIndex - 1} for an empty segment. */
    public long lastIndex() { return firstIndex + recordCount - 1; }

    private static void checkInstant(String s) {
        if (!s.endsWith("Z")) throw new IllegalArgumentException("createdAt must be UTC (…Z): " + s);
        try {
            Instant.parse(s);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("createdAt is not ISO-8601: " + s, e);
        }
    }
}

package org.imaarchiver.archive.chain;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.imaarchiver.archive.segment.Checkpoint;
import org.imaarchiver.archive.segment.SegmentFinding;
import org.imaarchiver.archive.segment.SegmentManifest;
import org.imaarchiver.archive.segment.SegmentReader;
import org.imaarchiver.archive.segment.SegmentVerifier;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.PcrState;
import org.imaarchiver.replay.quote.VerifiedQuote;
import org.imaarchiver.replay.replay.QuotePointFinder;
import org.imaarchiver.replay.replay.QuotePointResult;
import org.imaarchiver.replay.replay.RecordSource;
import org.imaarchiver.replay.replay.ReplayResult;
import org.imaarchiver.replay.replay.Replayer;

/** A compacted segment's checkpoints (docs/archive-format.md §16.5): their manifest checks, then their replay. */
final class CheckpointChecks {
    private CheckpointChecks() {}

    /**
     * The checkpoints chain (each names its predecessor's manifest digest, the first the segment's
     * previousManifestDigest) and each intermediate checkpoint's nonce and quote verify in its original
     * context like a segment's end quote (§12.5–6). The last checkpoint is the segment's own quote,
     * checked as such. Returns the verified quote of each checkpoint, in order (the last: {@code endQuote}).
     */
    static List<Optional<VerifiedQuote>> checkManifest(QuoteChecks quotes, String host, long seq, SegmentManifest m,
                                                       Optional<VerifiedQuote> endQuote, List<ChainFinding> out) {
        List<Checkpoint> cps = m.checkpoints();
        List<Optional<VerifiedQuote>> verified = new ArrayList<>();
        Optional<Digest> expectedPrev = m.previousManifestDigest();
        for (int i = 0; i < cps.size(); i++) {
            Checkpoint c = cps.get(i);
            long rec = c.quotePoint() - 1;
            if (!c.previousManifestDigest().equals(expectedPrev)) {
                out.add(new CheckpointFinding.Unlinked(host, seq, c.sequence(), rec, expectedPrev, c.previousManifestDigest()));
            }
            expectedPrev = Optional.of(c.manifestDigest());
            if (i < cps.size() - 1) {
                SegmentVerifier.checkpointNonceMismatch(m, c).ifPresent(expected -> out.add(new CheckpointFinding.NonceMismatch(host, seq,
                        c.sequence(), rec, expected, c.nonceDerivation().nonce())));
                verified.add(quotes.checkpointQuote(host, seq, m, c, out));
            } else {
                verified.add(endQuote);
            }
        }
        return verified;
    }

    /**
     * The data check, then the replay checkpoint by checkpoint: from the base, each checkpoint's quote
     * must match first at exactly its quote point and the state there must be its end (as §12.10 for a
     * segment from the previous checkpoint).
     *
     * @param quotes the checkpoints' verified quotes from {@link #checkManifest}
     */
    static void checkRows(String host, long seq, SegmentReader r, SegmentManifest m, List<Optional<VerifiedQuote>> quotes,
                          List<ChainFinding> out) {
        try {
            for (SegmentFinding f : SegmentVerifier.verifyData(r)) out.add(new SegmentCheck(host, seq, f));
        } catch (IOException | RuntimeException e) {
            out.add(new ObjectFinding.Undecodable(host, seq, ObjectFinding.Part.DATA_PAGES, String.valueOf(e.getMessage())));
            return;
        }
        List<Checkpoint> cps = m.checkpoints();
        try (SegmentReader.Cursor<MeasurementRecord> records = r.records()) {
            PeekSource source = new PeekSource(records);
            Replayer replayer = Replayer.sequential();
            PcrState state = m.base();
            for (int i = 0; i < cps.size(); i++) {
                Checkpoint c = cps.get(i);
                OptionalLong which = i == cps.size() - 1 ? OptionalLong.empty() : OptionalLong.of(c.sequence());
                Optional<VerifiedQuote> vq = quotes.get(i);
                RecordSource upTo = source.below(c.quotePoint());
                if (vq.isPresent()) {
                    QuotePointResult res = new QuotePointFinder(replayer).find(state, upTo, vq.get().pcrSelection(),
                            vq.get().signingHash(), vq.get().pcrDigest());
                    RowChecks.replayFailures(host, seq, res.replay(), out);
                    if (res instanceof QuotePointResult.Found found) {
                        state = found.state();
                        if (found.quotePoint() != c.quotePoint()) {
                            out.add(new CheckpointFinding.QuotedEarlier(host, seq, which, c.quotePoint(), found.quotePoint()));
                            ReplayResult rest = replayer.replay(state, upTo);
                            RowChecks.replayFailures(host, seq, rest, out);
                            state = rest.state();
                        } else if (!ChainLink.sameState(state, c.end())) {
                            out.add(new CheckpointFinding.EndMismatch(host, seq, which, c.end(), state));
                        }
                    } else {
                        state = res.replay().state();
                        out.add(new CheckpointFinding.NoQuotePoint(host, seq, which, c.quotePoint(), state));
                    }
                } else {
                    ReplayResult rr = replayer.replay(state, upTo);
                    RowChecks.replayFailures(host, seq, rr, out);
                    state = rr.state();
                    if (!ChainLink.sameState(state, c.end())) {
                        out.add(new CheckpointFinding.EndMismatch(host, seq, which, c.end(), state));
                    }
                }
                // Resynchronise on the manifest's values so one bad checkpoint is one finding.
                state = c.end();
            }
            if (m.firstIndex() == 0 && m.recordCount() > 0) RowChecks.bootAggregate(host, seq, r, m, out);
        } catch (IOException | RuntimeException e) {
            out.add(new ObjectFinding.Undecodable(host, seq, ObjectFinding.Part.DATA_PAGES, String.valueOf(e.getMessage())));
        }
    }

    /** A record source over a cursor that can hand out the records below an index and keep the rest. */
    private static final class PeekSource {
        private final SegmentReader.Cursor<MeasurementRecord> cursor;
        private Optional<MeasurementRecord> pending;

        PeekSource(SegmentReader.Cursor<MeasurementRecord> cursor) { this.cursor = cursor; }

        RecordSource below(long limit) {
            return () -> {
                if (pending == null) pending = cursor.next();
                if (pending.isPresent() && pending.get().index() < limit) {
                    Optional<MeasurementRecord> r = pending;
                    pending = null;
                    return r;
                }
                return Optional.empty();
            };
        }
    }
}

package org.imaarchiver.archive.chain;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.imaarchiver.archive.segment.BootIdentity;
import org.imaarchiver.archive.segment.SegmentFinding;
import org.imaarchiver.archive.segment.SegmentManifest;
import org.imaarchiver.archive.segment.SegmentReader;
import org.imaarchiver.archive.segment.SegmentVerifier;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.quote.VerifiedQuote;
import org.imaarchiver.replay.replay.QuotePointFinder;
import org.imaarchiver.replay.replay.QuotePointResult;
import org.imaarchiver.replay.replay.RecordSource;
import org.imaarchiver.replay.replay.ReplayFailure;
import org.imaarchiver.replay.replay.ReplayResult;
import org.imaarchiver.replay.replay.Replayer;

/**
 * A plain segment's rows (§12.7–10): data digest, indices, record count, record syntax and query
 * columns; the replay from the base against the end and the already verified end quote; the
 * boot_aggregate. One pass over the rows (docs/performance.md): the replay pulls the records through
 * the data check, and the rows after the quote point (or after a record that stops the replay) are
 * then checked without replaying. The findings are those of {@link SegmentVerifier#verifyData}
 * followed by the replay's, as with separate passes.
 */
final class RowChecks {
    /** Segments with fewer records than this replay on the segment's own thread (threads cost more than they save). */
    private static final int PARALLEL_REPLAY_MIN_RECORDS = 4 * Replayer.DEFAULT_BATCH_SIZE;

    private RowChecks() {}

    /** @param quote the end quote, verified by {@link QuoteChecks#endQuote} (empty if it did not verify) */
    static void check(String host, long seq, SegmentReader r, SegmentManifest m, Optional<VerifiedQuote> quote, int replayWorkers,
                      List<ChainFinding> out) {
        SegmentVerifier.DataCheck data = new SegmentVerifier.DataCheck(r);
        List<ChainFinding> replayFindings = new ArrayList<>();
        try (SegmentReader.Cursor<SegmentReader.FullRow> rows = r.fullRows()) {
            RecordSource records = () -> data.next(rows);
            Replayer replayer = replayWorkers > 0 && m.recordCount() >= PARALLEL_REPLAY_MIN_RECORDS
                    ? Replayer.of(replayWorkers, Replayer.DEFAULT_BATCH_SIZE) : Replayer.sequential();
            ReplayResult replay;
            if (quote.isPresent()) {
                // Replay from the base; the verified quote must match first at the last row.
                VerifiedQuote vq = quote.get();
                QuotePointResult res = new QuotePointFinder(replayer).find(m.base(), records, vq.pcrSelection(), vq.signingHash(),
                        vq.pcrDigest());
                replay = res.replay();
                if (res instanceof QuotePointResult.Found found) {
                    if (found.quotePoint() != m.end().nextIndex()) {
                        replayFindings.add(new ReplayFinding.QuotedEarlier(host, seq, m.end().nextIndex(), found.quotePoint()));
                    } else if (!ChainLink.sameState(found.state(), m.end())) {
                        replayFindings.add(new ReplayFinding.EndMismatch(host, seq, m.end(), found.state()));
                    }
                } else {
                    QuotePointResult.NotFound nf = (QuotePointResult.NotFound) res;
                    replayFindings.add(new ReplayFinding.NoQuotePoint(host, seq, vq.pcrDigest(), nf.replay().state(),
                            nf.failure().describe()));
                }
            } else {
                replay = replayer.replay(m.base(), records);
                if (!ChainLink.sameState(replay.state(), m.end())) {
                    replayFindings.add(new ReplayFinding.EndMismatch(host, seq, m.end(), replay.state()));
                }
            }
            replayFailures(host, seq, replay, replayFindings);
            data.drain(rows); // the rows the replay did not need
        } catch (IOException | RuntimeException e) {
            // Corrupt page headers can make Parquet fail with unchecked errors (NPE, ...) on any thread: a bad file, not a bug to abort on.
            // An unreadable page: the one finding, as when the data check read the file on its own.
            out.add(new ObjectFinding.Undecodable(host, seq, ObjectFinding.Part.DATA_PAGES, String.valueOf(e.getMessage())));
            return;
        }
        for (SegmentFinding f : data.finish()) out.add(new SegmentCheck(host, seq, f));
        out.addAll(replayFindings);
        if (m.firstIndex() == 0 && m.recordCount() > 0) bootAggregate(host, seq, data.firstRecord(), m, out);
    }

    /** The replay's record findings; index gaps and unparseable rows are reported by the data check. */
    static void replayFailures(String host, long seq, ReplayResult replay, List<ChainFinding> out) {
        for (ReplayFailure f : replay.failures()) {
            if (f instanceof ReplayFailure.TemplateDigestMismatch t) {
                out.add(new ReplayFinding.TemplateDigestMismatch(host, seq, t.recordIndex(), t.computed(), t.stored(), f.describe()));
            } else if (f instanceof ReplayFailure.UnhashableTemplate u) {
                out.add(new ReplayFinding.UnhashableTemplate(host, seq, u.recordIndex(), u.templateName(), f.describe()));
            } else if (f instanceof ReplayFailure.PcrOutOfRange p) {
                out.add(new ReplayFinding.PcrOutOfRange(host, seq, p.recordIndex(), p.pcr(), f.describe()));
            }
        }
    }

    /** Record 0 of a boot is the boot_aggregate the manifest's boot identity names (kernel-interface.md B.9). */
    static void bootAggregate(String host, long seq, Optional<MeasurementRecord> first, SegmentManifest m, List<ChainFinding> out) {
        // No first record (none, or it does not parse) is reported by the data check.
        if (first.isEmpty() || first.get().index() != 0) return; // reported as an index gap
        Optional<SegmentPacker.BootAggregate> ba = SegmentPacker.BootAggregate.of(first.get());
        BootIdentity b = m.boot();
        if (ba.isEmpty() || ba.get().algorithm() != b.bootAggregateAlgorithm() || !ba.get().digest().equals(b.bootAggregate())) {
            out.add(new ReplayFinding.BootAggregateMismatch(host, seq, b.bootAggregateAlgorithm(), b.bootAggregate(),
                    ba.map(SegmentPacker.BootAggregate::algorithm), ba.map(SegmentPacker.BootAggregate::digest)));
        }
    }

    /** The same, reading record 0 from the segment (the compacted path, which has no data check to ask). */
    static void bootAggregate(String host, long seq, SegmentReader r, SegmentManifest m, List<ChainFinding> out) throws IOException {
        try (SegmentReader.Cursor<MeasurementRecord> records = r.records()) {
            bootAggregate(host, seq, records.next(), m, out);
        } catch (MalformedLogException e) {
            // reported by verifyData as a malformed record
        }
    }
}

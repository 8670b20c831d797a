package org.imaarchiver.jobs.nightly;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.imaarchiver.jobs.host.state.RecordId;
import org.imaarchiver.jobs.host.state.TrimIntent;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;

/**
 * Step 8 (D.2 step 6): journal N, start, first/N-th/next record before the trim (staging: keep the
 * excess durably, then journal the D). Nothing is journaled when trimming is blocked or the kernel
 * is not to be trimmed.
 */
final class JournalTrimIntentStep extends NightlyStep {
    JournalTrimIntentStep(ArchiveRun run, RunLedger ledger) {
        super("journalTrimIntent", run, ledger);
    }

    @Override
    void perform() throws IOException, MalformedLogException {
        if (ledger.blockReason().isPresent() || ledger.notTrimmedBecause().isPresent()) {
            ledger.record(StepResult.Journaled.nothing());
            return;
        }
        ledger.record(ledger.staging() ? keepExcessAndJournal() : journalTrim());
    }

    private StepResult.Journaled journalTrim() throws IOException, MalformedLogException {
        SpoolFile spool = ledger.spool().orElseThrow();
        long trimmedSoFar = ledger.trimmedSoFar();
        // N = quote point - trimmedSoFar, never more than the archive durably holds (D.1 item 8)
        long n = ledger.archiveEnd() - trimmedSoFar;
        if (n <= 0) return StepResult.Journaled.nothing();
        List<MeasurementRecord> around = spool.records(List.of(trimmedSoFar + n - 2, trimmedSoFar + n - 1, trimmedSoFar + n));
        Optional<MeasurementRecord> after = SpoolFile.find(around, trimmedSoFar + n);
        if (after.isEmpty()) {
            // keep one archived record in the kernel so that a completed trim is always recognisable
            // (otherwise TrimJournal.recover answers AFTER_LAST_NOT_JOURNALED; architecture.md "Kernel side")
            n--;
            if (n <= 0) return StepResult.Journaled.nothing();
            after = SpoolFile.find(around, trimmedSoFar + n);
        }
        MeasurementRecord first = spool.records(List.of(trimmedSoFar)).get(0);
        MeasurementRecord last = SpoolFile.find(around, trimmedSoFar + n - 1).orElseThrow();
        TrimIntent ti = new TrimIntent(n, trimmedSoFar, run.bank(), RecordId.of(first), RecordId.of(last), after.map(RecordId::of),
                segmentKey());
        run.trimJournal().record(ti);
        return new StepResult.Journaled(Optional.of(ti), Optional.empty());
    }

    /**
     * Staging, before D: the staged records beyond the quote point (with what is left of the old
     * excess) are kept durably as the new excess, locally and in the store; then the D is journaled.
     */
    private StepResult.Journaled keepExcessAndJournal() throws IOException, MalformedLogException {
        long stagedCount = ledger.stagedCount();
        if (stagedCount == 0) return StepResult.Journaled.nothing();
        SpoolFile spool = ledger.spool().orElseThrow();
        long trimmedSoFar = ledger.trimmedSoFar();
        long stagedEnd = trimmedSoFar + stagedCount;
        long from = Math.max(ledger.archiveEnd(), spool.firstIndex());
        Optional<ExcessRecords.Excess> newExcess = Optional.empty();
        if (from < stagedEnd) {
            Path raw = run.settings().workDir().resolve("excess.raw");
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(raw))) {
                for (Iterator<Bytes> it = spool.raw(from, stagedEnd); it.hasNext(); ) out.write(it.next().toArray());
            }
            ExcessRecords.Excess e = new ExcessRecords.Excess(ledger.get(StepResult.Quoted.class).plan().boot().bootCounter(), from,
                    stagedEnd - from, ExcessRecords.sha256(raw));
            if (!ledger.excess().equals(Optional.of(e))) ledger.get(StepResult.Recovered.class).excessRecords().keep(e, raw);
            Files.delete(raw);
            newExcess = Optional.of(e);
        }
        List<MeasurementRecord> ends = spool.records(List.of(trimmedSoFar, stagedEnd - 1));
        TrimIntent ti = new TrimIntent(stagedCount, trimmedSoFar, run.bank(), RecordId.of(ends.get(0)), RecordId.of(ends.get(ends.size() - 1)),
                Optional.empty(), segmentKey());
        run.stageJournal().record(ti);
        return new StepResult.Journaled(Optional.of(ti), newExcess);
    }

    private String segmentKey() {
        return ledger.get(StepResult.Persisted.class).segmentKey().orElse("");
    }
}

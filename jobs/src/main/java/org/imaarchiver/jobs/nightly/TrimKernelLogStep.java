package org.imaarchiver.jobs.nightly;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import org.imaarchiver.jobs.host.securityfs.SecurityfsLog;
import org.imaarchiver.jobs.host.securityfs.TrimDecision;
import org.imaarchiver.jobs.host.securityfs.TrimOutcome;
import org.imaarchiver.jobs.host.securityfs.TrimSession;
import org.imaarchiver.jobs.host.state.RecordId;
import org.imaarchiver.jobs.host.state.TrimIntent;
import org.imaarchiver.jobs.logview.KeptRecords;
import org.imaarchiver.replay.log.MalformedLogException;

/**
 * Step 9 (D.2 step 7, compare-then-trim): open O_RDWR, re-read and compare the first N records
 * with the spool, write {@code "N\n"}, close: one tasklet, one fd, one thread. Staging: re-read the
 * staged batch under the writer lock, compare, {@code D} (A.8). Nothing to do without a journaled intent.
 */
final class TrimKernelLogStep extends NightlyStep {
    TrimKernelLogStep(ArchiveRun run, RunLedger ledger) {
        super("trimKernelLog", run, ledger);
    }

    @Override
    void perform() throws IOException, MalformedLogException, InterruptedException {
        Optional<Long> boot = ledger.find(StepResult.Quoted.class).map(q -> q.plan().boot().bootCounter());
        // an earlier boot is over, and every record it trimmed was archived first: its kept records go
        if (boot.isPresent()) new KeptRecords(run.stateDir()).deleteBootsBefore(boot.get());
        Optional<TrimIntent> intent = ledger.intent();
        if (intent.isEmpty()) return;
        if (ledger.staging()) deleteStaged(intent.get());
        else compareThenTrim(intent.get());
    }

    private void compareThenTrim(TrimIntent ti) throws IOException, MalformedLogException, InterruptedException {
        SpoolFile spool = ledger.spool().orElseThrow();
        long archiveEnd = ledger.archiveEnd();
        Optional<Duration> writerLock = ledger.writerLock();
        TrimOutcome outcome;
        // The archived copy is first consulted right after the O_RDWR open succeeded; the session
        // closes that fd before compareThenTrim returns: the span is the writer-lock time (lock_ms).
        long[] writerOpened = {-1};
        // the log view's copy of the records to delete is durable before the N (issue 12)
        long boot = ledger.get(StepResult.Quoted.class).plan().boot().bootCounter();
        KeepTrimmedRecords.Outcome kept = new KeepTrimmedRecords(run, log(), spool).keep(boot, ti.startIndex(), ti.plannedN());
        if (kept instanceof KeepTrimmedRecords.Outcome.NotKept nk) {
            run.trimJournal().clear(); // nothing was deleted: the intent is void
            declined(nk.reason(), writerLock, "the kernel list changed before the trim (" + nk.reason() + ")");
            return;
        }
        try (TrimSession session = TrimSession.open(log(), ledger.get(StepResult.FeaturesChecked.class).features(), run.backoff())) {
            outcome = session.compareThenTrim(run.bank(), ledger.trimmedSoFar(), batch -> {
                long seen = 0;
                while (seen < ti.plannedN() && batch.next().isPresent()) seen++;
                return seen == ti.plannedN() ? TrimDecision.trim(seen) : TrimDecision.abort("the kernel list is shorter than N");
            }, from -> {
                writerOpened[0] = System.nanoTime();
                return spool.raw(from, archiveEnd);
            });
            if (writerOpened[0] >= 0) writerLock = Optional.of(Duration.ofNanos(System.nanoTime() - writerOpened[0]));
        }
        if (outcome instanceof TrimOutcome.Trimmed t) {
            // the journal is cleared by recordHead, after the new cursor is durable
            ledger.record(new StepResult.KernelTrimmed(t.n(), t.nextFirstIndex(), writerLock));
            return;
        }
        TrimOutcome.Reason reason = ((TrimOutcome.NotTrimmed) outcome).reason();
        new KeptRecords(run.stateDir()).discard(boot, ti.startIndex()); // still in the kernel
        run.trimJournal().clear(); // nothing was deleted (A.8 table): the intent is void
        declined(reason, writerLock, "the kernel head changed under the trim (" + reason + "): foreign trimmer");
        if (reason instanceof TrimOutcome.FlushHtable) AtomicText.write(run.flushHtableFile(), "EINVAL on N\n");
    }

    /** Staging, second half: re-read the staged batch under the writer lock, compare, D (A.8). */
    private void deleteStaged(TrimIntent ti) throws IOException, MalformedLogException, InterruptedException {
        SpoolFile spool = ledger.spool().orElseThrow();
        long stagedEnd = ti.indexAfterTrim();
        Optional<Duration> writerLock = ledger.writerLock();
        long[] writerOpened = {-1};
        TrimOutcome outcome;
        try (TrimSession session = TrimSession.open(log(), ledger.get(StepResult.FeaturesChecked.class).features(), run.backoff())) {
            outcome = session.deleteStaged(run.bank(), ti.startIndex(), ti.plannedN(), from -> {
                writerOpened[0] = System.nanoTime();
                return spool.raw(from, stagedEnd);
            });
            if (writerOpened[0] >= 0) {
                writerLock = Optional.of(writerLock.orElse(Duration.ZERO).plusNanos(System.nanoTime() - writerOpened[0]));
            }
        }
        if (outcome instanceof TrimOutcome.Trimmed t) {
            // the old excess and the journal are cleared by recordHead, after the new cursor is durable
            ledger.record(new StepResult.KernelTrimmed(t.n(), t.nextFirstIndex(), writerLock));
            ledger.record(new StepResult.HeadAfterDelete(run.readKernelHead(log()).map(RecordId::of)));
            return;
        }
        TrimOutcome.Reason reason = ((TrimOutcome.NotTrimmed) outcome).reason();
        // nothing was deleted: the new excess is void (its records are still staged), the old one still counts
        Optional<ExcessRecords.Excess> newExcess = ledger.newExcess();
        if (newExcess.isPresent() && !newExcess.equals(ledger.excess())) {
            ledger.get(StepResult.Recovered.class).excessRecords().delete(newExcess.get());
        }
        run.stageJournal().clear();
        declined(reason, writerLock, "the staged batch changed under the delete (" + reason + "): foreign stager");
    }

    /** A foreign trimmer blocks; any other reason only leaves the kernel untrimmed this time. */
    private void declined(TrimOutcome.Reason reason, Optional<Duration> writerLock, String foreign) {
        boolean isForeign = reason instanceof TrimOutcome.ForeignTrim || reason instanceof TrimOutcome.HeadMismatch;
        ledger.record(new StepResult.TrimDeclined(isForeign ? Optional.empty() : Optional.of(ArchiveRun.reasonLabel(reason)),
                isForeign ? Optional.of(foreign) : Optional.empty(), writerLock));
    }

    private SecurityfsLog log() { return ledger.get(StepResult.Recovered.class).log(); }
}

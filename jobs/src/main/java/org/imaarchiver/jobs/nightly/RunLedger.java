package org.imaarchiver.jobs.nightly;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.imaarchiver.archive.chain.ChainHead;
import org.imaarchiver.jobs.host.state.TrimIntent;
import org.imaarchiver.jobs.nightly.StepResult.BootDecided;
import org.imaarchiver.jobs.nightly.StepResult.Durable;
import org.imaarchiver.jobs.nightly.StepResult.ExcessSettled;
import org.imaarchiver.jobs.nightly.StepResult.FeaturesChecked;
import org.imaarchiver.jobs.nightly.StepResult.HostLocked;
import org.imaarchiver.jobs.nightly.StepResult.Journaled;
import org.imaarchiver.jobs.nightly.StepResult.KernelTrimmed;
import org.imaarchiver.jobs.nightly.StepResult.Persisted;
import org.imaarchiver.jobs.nightly.StepResult.Quoted;
import org.imaarchiver.jobs.nightly.StepResult.Recovered;
import org.imaarchiver.jobs.nightly.StepResult.SpoolOpened;
import org.imaarchiver.jobs.nightly.StepResult.Spooled;
import org.imaarchiver.jobs.nightly.StepResult.TrimDeclined;

/**
 * The results of one run's steps, each written once, in step order, and the decision of the step
 * that stopped the run, if one did. The run's current values (cursor, head, block, ...) are the
 * latest result that carries them; the outcome and summary are derived from the results only.
 */
public final class RunLedger {
    private final ArchiveRun run;
    private final Map<Class<? extends StepResult>, StepResult> results = new LinkedHashMap<>();
    private Optional<RunStopped> stopped = Optional.empty();

    RunLedger(ArchiveRun run) {
        this.run = run;
    }

    synchronized void record(StepResult result) {
        if (results.putIfAbsent(result.getClass(), result) != null) {
            throw new IllegalStateException(result.getClass().getSimpleName() + " recorded twice");
        }
    }

    /** The first decision stands: a later step failing (only recordHead runs after one) does not replace it. */
    synchronized void stop(RunStopped decision) {
        if (stopped.isEmpty()) stopped = Optional.of(decision);
    }

    synchronized <T extends StepResult> Optional<T> find(Class<T> type) {
        return Optional.ofNullable(type.cast(results.get(type)));
    }

    /** The result an earlier step must have recorded for this one to run at all. */
    <T extends StepResult> T get(Class<T> type) {
        return find(type).orElseThrow(() -> new IllegalStateException("no " + type.getSimpleName() + " recorded"));
    }

    synchronized Optional<RunStopped> stopped() { return stopped; }

    // ---- the run's current values ----

    /** Absolute index of the kernel list's first record, as the latest step left it. */
    long trimmedSoFar() {
        return find(KernelTrimmed.class).map(KernelTrimmed::trimmedSoFar)
                .or(() -> find(ExcessSettled.class).map(ExcessSettled::trimmedSoFar))
                .or(() -> find(BootDecided.class).map(BootDecided::trimmedSoFar))
                .or(() -> find(Recovered.class).map(Recovered::trimmedSoFar))
                .orElse(0L);
    }

    /** The archive's head: the one the run confirmed, else the one it found. */
    Optional<ChainHead> head() {
        return find(Durable.class).map(Durable::head).or(() -> find(Recovered.class).flatMap(Recovered::head));
    }

    /** Why trimming stops: the first disagreement found, in step order. */
    Optional<String> blockReason() {
        return find(Recovered.class).flatMap(Recovered::block)
                .or(() -> find(ExcessSettled.class).flatMap(ExcessSettled::block))
                .or(() -> find(TrimDeclined.class).flatMap(TrimDeclined::block))
                .or(() -> stopped().flatMap(RunStopped::block));
    }

    /** Why the kernel is not trimmed although nothing disagrees (archive-only, busy, ...): the latest reason. */
    Optional<String> notTrimmedBecause() {
        return find(TrimDeclined.class).flatMap(TrimDeclined::notTrimmedBecause)
                .or(() -> find(Spooled.class).flatMap(Spooled::notTrimmedBecause))
                .or(() -> find(FeaturesChecked.class).flatMap(FeaturesChecked::notTrimmedBecause));
    }

    boolean staging() {
        return find(FeaturesChecked.class).map(FeaturesChecked::staging).orElseGet(() -> find(Recovered.class).map(Recovered::staging).orElse(false));
    }

    /** The journaled trim, unless the trim declined (then nothing was deleted and the intent is void). */
    Optional<TrimIntent> intent() {
        if (find(TrimDeclined.class).isPresent()) return Optional.empty();
        return find(Journaled.class).flatMap(Journaled::intent);
    }

    /** Staging: the excess this run kept before D, unless the D declined (its records are still staged). */
    Optional<ExcessRecords.Excess> newExcess() {
        if (find(TrimDeclined.class).isPresent()) return Optional.empty();
        return find(Journaled.class).flatMap(Journaled::newExcess);
    }

    /** Staging: the excess a previous run kept, replayed first by this run. */
    Optional<ExcessRecords.Excess> excess() { return find(ExcessSettled.class).flatMap(ExcessSettled::excess); }

    long trimmed() { return find(KernelTrimmed.class).map(KernelTrimmed::n).orElse(0L); }

    long archived() { return find(Persisted.class).map(Persisted::archived).orElse(0L); }

    /** The quote point once the segment is persisted, -1 before. */
    long archiveEnd() { return find(Persisted.class).map(Persisted::archiveEnd).orElse(-1L); }

    long kernelListRecords() { return find(Spooled.class).map(Spooled::kernelListRecords).orElse(0L); }

    long stagedCount() { return find(Spooled.class).map(Spooled::stagedCount).orElse(0L); }

    Optional<SpoolFile> spool() { return find(SpoolOpened.class).map(SpoolOpened::spool); }

    /** How long the kernel's writer fd was held (the compare-then-trim critical section; A and D when staging). */
    Optional<Duration> writerLock() {
        return find(KernelTrimmed.class).flatMap(KernelTrimmed::writerLock)
                .or(() -> find(TrimDeclined.class).flatMap(TrimDeclined::writerLock))
                .or(() -> find(Spooled.class).flatMap(Spooled::writerLock));
    }

    // ---- the outcome ----

    public RunOutcome outcome() {
        Optional<RunOutcome> decided = stopped().map(RunStopped::outcome);
        // a disagreement found earlier explains a later verification failure (records missing from the kernel)
        if (blockReason().isPresent() && (decided.isEmpty() || decided.get() == RunOutcome.VERIFICATION_FAILED)) {
            return RunOutcome.TRIM_BLOCKED;
        }
        if (decided.isPresent()) return decided.get();
        if (trimmed() > 0) return RunOutcome.ARCHIVED_AND_TRIMMED;
        Optional<String> notTrimmed = notTrimmedBecause();
        // staging: the archived records were the kept excess, already out of the kernel; nothing else was staged
        if (staging() && archived() > 0 && stagedCount() == 0 && notTrimmed.isEmpty()) return RunOutcome.ARCHIVED_AND_TRIMMED;
        if (archived() == 0 && (intent().isEmpty() && notTrimmed.isEmpty() || notTrimmed.equals(Optional.of("archive_only")))) {
            return RunOutcome.NOTHING_TO_DO;
        }
        return RunOutcome.ARCHIVED_NOT_TRIMMED;
    }

    public RunSummary summary() {
        List<String> notes = find(ExcessSettled.class).map(ExcessSettled::notes).orElse(List.of());
        String why = String.join("; ", Stream.concat(Stream.of(blockReason(),
                stopped().map(RunStopped::detail).filter(d -> !d.isEmpty()), notTrimmedBecause()).flatMap(Optional::stream), notes.stream()).toList());
        return new RunSummary(run.host(), outcome(), find(Quoted.class).map(q -> q.plan().sequence()), archived(), trimmed(),
                kernelListRecords(), trimmedSoFar(), Duration.between(run.started(), run.clock().instant()), writerLock(),
                find(Persisted.class).map(Persisted::bytesUploaded).orElse(0L), why, run.kind());
    }

    /** Releases the lock and removes scratch files; safe to call whatever happened. */
    void finish() {
        try {
            if (spool().isPresent()) Files.deleteIfExists(spool().get().file());
        } catch (IOException ignored) {
            // scratch only
        }
        try {
            if (find(HostLocked.class).isPresent()) find(HostLocked.class).get().lock().close();
        } catch (IOException ignored) {
            // the process exit drops the POSIX lock anyway
        }
    }
}

package org.imaarchiver.jobs.nightly;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.imaarchiver.archive.chain.PackPlan;
import org.imaarchiver.jobs.host.securityfs.RecordBatch;
import org.imaarchiver.jobs.host.securityfs.SecurityfsLog;
import org.imaarchiver.jobs.host.securityfs.StageOutcome;
import org.imaarchiver.jobs.host.securityfs.TrimDecision;
import org.imaarchiver.jobs.host.securityfs.TrimOutcome;
import org.imaarchiver.jobs.host.securityfs.TrimSession;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;

/**
 * Step 5 (D.2 steps 3-4): copies the kernel list from trimmedSoFar, through a read-only fd, to a
 * local spool file (absolute indices) that persistSegment packs from and trimKernelLog compares
 * against. Nothing is replayed here: the quote point is found while packing.
 */
final class SpoolKernelListStep extends NightlyStep {
    SpoolKernelListStep(ArchiveRun run, RunLedger ledger) {
        super("spoolKernelList", run, ledger);
    }

    @Override
    void perform() throws IOException, MalformedLogException, InterruptedException, RunStopped.Failure {
        Files.createDirectories(run.settings().workDir());
        Path file = run.settings().workDir().resolve("kernel-list.raw");
        SecurityfsLog log = ledger.get(StepResult.Recovered.class).log();
        if (ledger.staging()) {
            stageAndSpool(file, log);
            return;
        }
        long trimmedSoFar = ledger.trimmedSoFar();
        ledger.record(new StepResult.SpoolOpened(new SpoolFile(file, trimmedSoFar, run.bank())));
        long[] count = {0};
        try (TrimSession reading = TrimSession.open(log, run.readOnly(log), run.backoff());
             OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
            spoolCurrentList(reading, trimmedSoFar, out, count);
        }
        ledger.record(new StepResult.Spooled(count[0], 0, Optional.empty(), Optional.empty()));
    }

    /** The current list from {@code first} through a read-only fd, appended to {@code out}. */
    private void spoolCurrentList(TrimSession reading, long first, OutputStream out, long[] count)
            throws IOException, MalformedLogException, InterruptedException {
        reading.readPersistTrim(run.bank(), first, batch -> {
            spoolAll(batch, out, count);
            return TrimDecision.abort("read only");
        });
    }

    private static void spoolAll(RecordBatch batch, OutputStream out, long[] count) throws IOException, MalformedLogException {
        try {
            for (Optional<MeasurementRecord> r = batch.next(); r.isPresent(); r = batch.next()) {
                out.write(r.get().raw().toArray());
                count[0]++;
            }
        } catch (MalformedLogException e) {
            // B.1: the list may be appended while read. A torn last record is not spooled: the
            // quote (taken before the read) cannot cover it, and the next run reads it whole.
            // If it were covered, pack finds no quote point and the run fails closed.
            if (!e.isTornTail()) throw e;
        }
    }

    /**
     * Staging with prompt, first half (A.8, D.2 variant): the kept excess first (absolute indices
     * continuing at its start), then {@code A} through a writer fd closed at once, and the staged
     * batch through a read-only fd (nothing but our D changes it); a pending batch of a killed run (EEXIST) is read instead, followed by the current
     * list (read-only), which the quote may cover too. D comes in trimKernelLog, after the segment
     * and the new excess are durable.
     */
    private void stageAndSpool(Path file, SecurityfsLog log) throws IOException, MalformedLogException, InterruptedException, RunStopped.Failure {
        StepResult.ExcessSettled settled = settleExcess();
        ledger.record(settled);
        Optional<ExcessRecords.Excess> excess = settled.excess();
        long trimmedSoFar = settled.trimmedSoFar();
        ledger.record(new StepResult.SpoolOpened(new SpoolFile(file, excess.map(ExcessRecords.Excess::start).orElse(trimmedSoFar), run.bank())));
        boolean blocked = ledger.blockReason().isPresent();
        ExcessRecords excessRecords = ledger.get(StepResult.Recovered.class).excessRecords();
        long[] fromKernel = {0};
        long stagedCount = 0;
        Optional<String> notTrimmed = Optional.empty();
        Optional<Duration> writerLock = Optional.empty();
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
            if (excess.isPresent() && !excessRecords.copyTo(excess.get(), out)) {
                throw new RunStopped(RunOutcome.TRIM_BLOCKED, "excess-lost",
                        Optional.of(excess.get() + " is lost: neither the local nor the store copy has its digest")).failure();
            }
            boolean readCurrent = true;
            if (!blocked) {
                StageOutcome so;
                try (TrimSession session = TrimSession.open(log, ledger.get(StepResult.FeaturesChecked.class).features(), run.backoff())) {
                    long nanos = System.nanoTime();
                    // A only: the writer fd is closed at once (an upper bound of its hold time is lock_ms);
                    // the staged list stays put until D, so it is read through a shared read-only fd
                    so = session.stage(run.bank(), trimmedSoFar, batch -> { });
                    if (so instanceof StageOutcome.Staged) writerLock = Optional.of(Duration.ofNanos(System.nanoTime() - nanos));
                }
                if (so instanceof StageOutcome.Staged st) {
                    readCurrent = st.kind() == RecordBatch.Kind.STAGED_PENDING;
                    try (TrimSession reading = TrimSession.open(log, run.readOnly(log), run.backoff())) {
                        reading.readStaged(run.bank(), trimmedSoFar, batch -> spoolAll(batch, out, fromKernel));
                    }
                    stagedCount = fromKernel[0];
                } else {
                    TrimOutcome.Reason r = ((StageOutcome.NotStaged) so).reason();
                    if (!(r instanceof TrimOutcome.NothingToTrim)) notTrimmed = Optional.of(ArchiveRun.reasonLabel(r));
                }
            } else {
                // blocked: never A; a pending batch is read, not touched
                try (TrimSession reading = TrimSession.open(log, run.readOnly(log), run.backoff())) {
                    reading.readStaged(run.bank(), trimmedSoFar, batch -> spoolAll(batch, out, fromKernel));
                }
                stagedCount = fromKernel[0];
            }
            if (readCurrent) {
                try (TrimSession reading = TrimSession.open(log, run.readOnly(log), run.backoff())) {
                    spoolCurrentList(reading, trimmedSoFar + stagedCount, out, fromKernel);
                }
            }
        }
        ledger.record(new StepResult.Spooled(fromKernel[0], blocked ? 0 : stagedCount, notTrimmed, writerLock));
    }

    /**
     * Which kept excess this run replays, once the plan has fixed the boot: earlier boots' excess is
     * set aside as unverified (a reboot reset the PCRs, C.5); an excess whose records are all in the
     * archive is deleted, as is one whose D never happened (its records are still in the kernel);
     * the one ending at trimmedSoFar is replayed. Records between the archive's end and
     * trimmedSoFar that no excess holds are lost: blocked.
     */
    private StepResult.ExcessSettled settleExcess() throws IOException {
        PackPlan plan = ledger.get(StepResult.Quoted.class).plan();
        ExcessRecords excessRecords = ledger.get(StepResult.Recovered.class).excessRecords();
        long trimmedSoFar = ledger.trimmedSoFar();
        Optional<String> earlier = ledger.blockReason();
        Optional<String> block = Optional.empty();
        List<String> notes = new ArrayList<>();
        long boot = plan.boot().bootCounter();
        long archiveNext = plan.newBoot() ? 0 : ledger.head().map(h -> h.endState().nextIndex()).orElse(0L);
        Set<ExcessRecords.Excess> all = new TreeSet<>(Comparator.comparingLong(ExcessRecords.Excess::start)
                .thenComparingLong(ExcessRecords.Excess::boot).thenComparing(e -> e.sha256().hex()));
        all.addAll(excessRecords.local());
        all.addAll(excessRecords.inStore());
        List<ExcessRecords.Excess> candidates = new ArrayList<>();
        for (ExcessRecords.Excess e : all) {
            if (e.boot() != boot) {
                if (excessRecords.local().contains(e)) notes.add("unverified " + e + " set aside (a new boot)");
                excessRecords.setAside(e);
            } else if (earlier.isPresent()) {
                candidates.add(e); // blocked: nothing is deleted
            } else if (e.end() <= archiveNext || e.end() > trimmedSoFar) {
                excessRecords.delete(e); // archived already, or its D never happened
            } else {
                candidates.add(e);
            }
        }
        long cursor = trimmedSoFar;
        Optional<ExcessRecords.Excess> excess = candidates.stream().filter(e -> e.end() == cursor && e.start() <= archiveNext)
                .min(Comparator.comparingLong(ExcessRecords.Excess::start));
        for (ExcessRecords.Excess e : candidates) {
            if (excess.isPresent() && e.equals(excess.get())) continue;
            boolean blocked = earlier.isPresent() || block.isPresent();
            if (!blocked && excess.isPresent() && e.start() >= excess.get().start()) excessRecords.delete(e);
            else if (!blocked) block = Optional.of(e + " does not join the archive's end " + archiveNext + " and the kernel's start " + trimmedSoFar);
        }
        if (trimmedSoFar > archiveNext && excess.isEmpty()) {
            if (earlier.isEmpty() && block.isEmpty()) {
                block = Optional.of("records [" + archiveNext + ", " + trimmedSoFar + ") are neither archived nor kept as excess");
            }
            trimmedSoFar = archiveNext;
        }
        return new StepResult.ExcessSettled(excess, trimmedSoFar, block, notes);
    }
}

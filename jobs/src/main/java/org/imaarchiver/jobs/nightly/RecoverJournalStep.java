package org.imaarchiver.jobs.nightly;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import org.imaarchiver.archive.chain.ChainHead;
import org.imaarchiver.archive.chain.ChainIndex;
import org.imaarchiver.archive.io.InputLimit;
import org.imaarchiver.archive.io.LimitedFiles;
import org.imaarchiver.archive.segment.MalformedManifestException;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.jobs.host.securityfs.SecurityfsFeatures;
import org.imaarchiver.jobs.host.securityfs.SecurityfsLog;
import org.imaarchiver.jobs.host.securityfs.TrimDecision;
import org.imaarchiver.jobs.host.securityfs.TrimSession;
import org.imaarchiver.jobs.host.state.HostState;
import org.imaarchiver.jobs.host.state.HostStateFile;
import org.imaarchiver.jobs.host.state.RecordId;
import org.imaarchiver.jobs.host.state.StateFileException;
import org.imaarchiver.jobs.host.state.TrimIntent;
import org.imaarchiver.jobs.host.state.TrimJournal;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;

/**
 * Step 2 (D.2 step 6 on restart): settle a trim (or D) journaled by a killed run, and cross-check
 * the kernel's head, the host state file and the archive. Any disagreement blocks trimming; the
 * run still archives what it can prove.
 */
final class RecoverJournalStep extends NightlyStep {
    RecoverJournalStep(ArchiveRun run, RunLedger ledger) {
        super("recoverJournal", run, ledger);
    }

    /** Where the kernel list starts, and why trimming stops if it does. */
    private record Cursor(long trimmedSoFar, Optional<String> block, boolean bootAmbiguous) {
        static Cursor at(long index) { return new Cursor(index, Optional.empty(), false); }

        static Cursor blocked(long index, String why) { return new Cursor(index, Optional.of(why), false); }

        /** The list starts with a boot_aggregate and nothing here tells a reboot from a kexec: quoteTpm decides (C.4). */
        static Cursor ambiguous(long index) { return new Cursor(index, Optional.empty(), true); }
    }

    /** What the cross-checks compare. */
    private record Found(SecurityfsLog log, Optional<ChainHead> head, Optional<HostState> state, Optional<MeasurementRecord> kernelHead,
                         boolean staging, long archiveNext) {}

    @Override
    void perform() throws IOException, MalformedLogException, InterruptedException, RunStopped.Failure {
        Files.createDirectories(run.stateDir());
        ArchiveStore store = run.openStore();
        SecurityfsLog log = SecurityfsLog.at(run.settings().securityfsRoot(), run.settings().procCmdline());
        Optional<ChainHead> head;
        try {
            head = new ChainIndex(store).head(run.host());
        } catch (MalformedManifestException e) {
            throw RunStopped.of(RunOutcome.ENVIRONMENT_ERROR, "chain head unreadable: " + e.getMessage()).failure();
        }
        Optional<HostState> state = Optional.empty();
        Optional<String> earlierBlock = Optional.empty();
        try {
            state = new HostStateFile(run.settings().hostStatePath()).read();
        } catch (StateFileException e) {
            earlierBlock = Optional.of("host state file unreadable: " + e.getMessage());
        }
        if (Files.exists(run.blockFile())) {
            Optional<String> since = LimitedFiles.readString(run.blockFile(), InputLimit.STATE_FILE).lines().findFirst();
            if (since.isPresent()) earlierBlock = Optional.of("blocked since an earlier run: " + since.get());
        }
        boolean staging = log.features().mode() == SecurityfsFeatures.Mode.STAGE_WITH_PROMPT
                || log.features().staging() && Files.exists(run.flushHtableFile());
        Optional<MeasurementRecord> currentHead = run.readKernelHead(log);
        Optional<MeasurementRecord> stagedHead = run.readStagedHead(log);
        // the kernel's order is the staged list, then the current list (A.8)
        Optional<MeasurementRecord> kernelHead = stagedHead.isPresent() ? stagedHead : currentHead;
        long archiveNext = head.map(h -> h.endState().nextIndex()).orElse(0L);
        Found found = new Found(log, head, state, kernelHead, staging, archiveNext);
        TrimJournal journal = run.trimJournal();
        TrimJournal stageJournal = run.stageJournal();
        TrimJournal.Recovery recovery = journal.recover(kernelHead);
        Optional<TrimIntent> staged = stageJournal.pending();
        Cursor cursor;
        if (staged.isPresent()) {
            cursor = recoverStageDelete(found, stageJournal, staged.get(), stagedHead, currentHead);
        } else if (recovery instanceof TrimJournal.TrimApplied a) {
            cursor = Cursor.at(a.trimmedSoFar());
            settle(journal, head, cursor, a.intent().afterLast());
        } else if (recovery instanceof TrimJournal.TrimNotApplied n) {
            cursor = Cursor.at(n.intent().startIndex());
            settle(journal, head, cursor, Optional.of(n.intent().first()));
        } else if (recovery instanceof TrimJournal.Unknown u) {
            // never papered over: keep the evidence, stop trimming, archive from the archive's end
            setAside(journal);
            cursor = Cursor.blocked(archiveNext, "trim journal unresolved (" + u.why() + "): planned N=" + u.intent().plannedN()
                    + " from " + u.intent().startIndex());
        } else {
            cursor = fromStateAndHead(found);
        }
        Optional<MeasurementRecord> recordZero = cursor.trimmedSoFar() == 0 ? kernelHead : Optional.empty();
        ledger.record(new StepResult.Recovered(store, log, head, cursor.trimmedSoFar(), kernelHead, recordZero,
                earlierBlock.or(cursor::block), staging, cursor.bootAmbiguous(), new ExcessRecords(run.stateDir(), store, run.host())));
    }

    /**
     * A journaled {@code D} of a killed run (D.1 item 6): the staged list still starting with the
     * batch's first record means D did not happen; an empty staged list means it did, unless the
     * current list starts with that record (a kexec carried the staged batch over, A.8 kexec).
     */
    private Cursor recoverStageDelete(Found found, TrimJournal stageJournal, TrimIntent si, Optional<MeasurementRecord> stagedHead,
                                      Optional<MeasurementRecord> currentHead) throws IOException {
        boolean applied;
        boolean bootAmbiguous = false;
        if (stagedHead.isPresent()) {
            if (!si.first().identifies(stagedHead.get())) {
                setAside(stageJournal);
                return Cursor.blocked(found.archiveNext(), "stage journal unresolved: the staged list does not start with the journaled batch (from "
                        + si.startIndex() + ")");
            }
            applied = false;
        } else {
            // a kexec carries the whole staged batch to the front of the current list (A.8 kexec):
            // its first AND its last record must be in place; the first alone could be a duplicate
            // measured after a completed D (ima_flush_htable, D.1 item 9)
            applied = !(currentHead.map(r -> si.first().identifies(r)).orElse(false) && currentRecordIs(found.log(), si.plannedN() - 1, si.last()));
            // a list starting with a boot_aggregate after the staged batch went: reboot or kexec, quoteTpm decides
            if (applied && currentHead.map(ArchiveRun::isBootAggregate).orElse(false)) bootAmbiguous = true;
        }
        long trimmedSoFar = applied ? si.indexAfterTrim() : si.startIndex();
        // the excess files are settled against this cursor once the quote has fixed the boot (SpoolKernelListStep)
        run.writeHostState(found.head(), trimmedSoFar, applied ? Optional.empty() : Optional.of(si.first()));
        stageJournal.clear();
        return new Cursor(trimmedSoFar, Optional.empty(), bootAmbiguous);
    }

    /** Whether the current list's record at {@code offset} (0-based, streamed read-only) is {@code id}. */
    private boolean currentRecordIs(SecurityfsLog log, long offset, RecordId id) throws IOException {
        boolean[] found = {false};
        try (TrimSession reading = TrimSession.open(log, run.readOnly(log), run.backoff())) {
            reading.readPersistTrim(run.bank(), 0, batch -> {
                for (Optional<MeasurementRecord> r = batch.next(); r.isPresent(); r = batch.next()) {
                    if (r.get().index() == offset) {
                        found[0] = id.identifies(r.get());
                        break;
                    }
                }
                return TrimDecision.abort("read only");
            });
        } catch (MalformedLogException | InterruptedException e) {
            throw new IOException("reading the current list for the stage journal: " + e.getMessage(), e);
        }
        return found[0];
    }

    /** No open intent: the state file's cursor, checked against the kernel head and the archive. */
    private Cursor fromStateAndHead(Found f) throws IOException {
        boolean headIsBootAggregate = f.kernelHead().map(ArchiveRun::isBootAggregate).orElse(false);
        long archiveNext = f.archiveNext();
        if (f.state().isEmpty()) {
            if (f.head().isEmpty() || headIsBootAggregate) return Cursor.at(0);
            return Cursor.blocked(archiveNext, "no local host state but the archive has a chain for " + run.host() + " (lost state file?)");
        }
        HostState s = f.state().get();
        Optional<ChainHead> head = f.head();
        if (s.lastSegment().isPresent()) {
            HostState.SegmentRef ref = s.lastSegment().get();
            boolean known = head.isPresent() && (head.get().sequence() > ref.sequence()
                    || head.get().sequence() == ref.sequence() && head.get().manifestDigest().equals(ref.manifestDigest()));
            if (!known) {
                return Cursor.blocked(archiveNext, "host state names segment " + ref.sequence() + " which the archive "
                        + (head.isPresent() ? "head " + head.get().sequence() + " does not continue" : "does not hold") + " (restored archive or state?)");
            }
        }
        Optional<ExpectedHead> expected = ExpectedHead.read(run.kernelHeadFile()).filter(e -> e.index() == s.nextIndex());
        boolean headMatches = expected.isEmpty() || f.kernelHead().map(k -> expected.get().id().identifies(k)).orElse(false);
        if (f.staging() && expected.isEmpty() && headIsBootAggregate && s.nextIndex() > 0) {
            // D left no known head: a reboot and a kexec look alike here; quoteTpm decides by resetCount (C.4)
            return Cursor.ambiguous(s.nextIndex());
        }
        if (headMatches) {
            // staging: the cursor may be beyond the archive by the kept excess, checked by SpoolKernelListStep
            if (s.nextIndex() > archiveNext && !headIsBootAggregate && !f.staging()) {
                return Cursor.blocked(archiveNext, "host state cursor " + s.nextIndex() + " is beyond the archive's end " + archiveNext);
            }
            return Cursor.at(s.nextIndex());
        }
        // A new list that starts with a boot_aggregate: a reboot; plan() decides with the TPM's resetCount
        if (headIsBootAggregate) return Cursor.at(0);
        return Cursor.blocked(archiveNext, "the kernel's first record is not record " + s.nextIndex() + " that the last run left there"
                + " (foreign trimmer or restored VM)");
    }

    private void settle(TrimJournal journal, Optional<ChainHead> head, Cursor cursor, Optional<RecordId> headId) throws IOException {
        run.writeHostState(head, cursor.trimmedSoFar(), headId);
        journal.clear();
    }

    private void setAside(TrimJournal journal) throws IOException {
        Files.move(journal.file(), journal.file().resolveSibling(journal.file().getFileName() + ".unresolved-"
                + run.clock().instant().toEpochMilli()), StandardCopyOption.ATOMIC_MOVE);
    }
}

package org.imaarchiver.jobs.nightly;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Optional;
import org.imaarchiver.jobs.host.state.RecordId;
import org.imaarchiver.replay.log.MalformedLogException;

/**
 * Step 10, run whatever happened before (a failed step goes straight here): the new cursor and the
 * kernel head it leaves, then the old excess and the journal are cleared, then the block file.
 * Nothing is recorded without the lock or without what recoverJournal found.
 */
final class RecordHeadStep extends NightlyStep {
    RecordHeadStep(ArchiveRun run, RunLedger ledger) {
        super("recordHead", run, ledger);
    }

    @Override
    void perform() throws IOException, MalformedLogException {
        Optional<StepResult.Recovered> recovered = ledger.find(StepResult.Recovered.class);
        if (ledger.find(StepResult.HostLocked.class).isEmpty() || recovered.isEmpty()) return;
        boolean stopped = ledger.stopped().isPresent();
        if (ledger.stopped().map(RunStopped::outcome).equals(Optional.of(RunOutcome.ENVIRONMENT_ERROR)) && ledger.head().isEmpty()) return;
        boolean staging = ledger.staging();
        long trimmedSoFar = ledger.trimmedSoFar();
        long trimmed = ledger.trimmed();
        Optional<RecordId> expected = Optional.empty();
        Optional<SpoolFile> spool = ledger.spool().filter(s -> Files.exists(s.file()));
        if (spool.isPresent()) {
            if (staging && trimmed > 0) expected = ledger.find(StepResult.HeadAfterDelete.class).flatMap(StepResult.HeadAfterDelete::head);
            else if (ledger.intent().isPresent() && trimmed > 0) expected = ledger.intent().get().afterLast();
            else if (ledger.kernelListRecords() > 0) expected = Optional.of(RecordId.of(spool.get().records(List.of(trimmedSoFar)).get(0)));
        } else {
            expected = recovered.get().kernelHead().map(RecordId::of);
        }
        run.writeHostState(ledger.head(), trimmedSoFar, expected);
        // staging: the old excess is in this segment or in the new excess now; the journal goes last
        Optional<ExcessRecords.Excess> excess = ledger.excess();
        if (staging && excess.isPresent() && !excess.equals(ledger.newExcess())
                && (trimmed > 0 || !stopped && ledger.archiveEnd() >= excess.get().end())) {
            recovered.get().excessRecords().delete(excess.get());
        }
        if (ledger.intent().isPresent()) (staging ? run.stageJournal() : run.trimJournal()).clear();
        Optional<String> block = ledger.blockReason();
        if (block.isPresent() && !Files.exists(run.blockFile())) AtomicText.write(run.blockFile(), block.get() + "\n");
    }
}

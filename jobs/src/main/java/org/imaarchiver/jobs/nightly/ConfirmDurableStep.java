package org.imaarchiver.jobs.nightly;

import java.io.IOException;
import java.util.Optional;
import org.imaarchiver.archive.chain.ChainHead;
import org.imaarchiver.archive.chain.ChainIndex;
import org.imaarchiver.archive.chain.PackPlan;
import org.imaarchiver.archive.segment.MalformedManifestException;

/** Step 7 (D.1 item 5): the archive's head, read again from the store, now ends at the quote point. */
final class ConfirmDurableStep extends NightlyStep {
    ConfirmDurableStep(ArchiveRun run, RunLedger ledger) {
        super("confirmDurable", run, ledger);
    }

    @Override
    void perform() throws IOException, RunStopped.Failure {
        StepResult.Persisted persisted = ledger.get(StepResult.Persisted.class);
        PackPlan plan = ledger.get(StepResult.Quoted.class).plan();
        Optional<ChainHead> now;
        try {
            now = new ChainIndex(ledger.get(StepResult.Recovered.class).store()).head(run.host());
        } catch (MalformedManifestException e) {
            throw RunStopped.of(RunOutcome.ENVIRONMENT_ERROR, "new chain head unreadable: " + e.getMessage()).failure();
        }
        if (now.isEmpty() || now.get().endState().nextIndex() != persisted.archiveEnd()
                || plan.newBoot() && persisted.archived() > 0 && now.get().sequence() != plan.sequence()) {
            throw RunStopped.of(RunOutcome.ENVIRONMENT_ERROR, "the archive head does not end at the quote point "
                    + persisted.archiveEnd() + " after packing").failure();
        }
        ledger.record(new StepResult.Durable(now.get()));
    }
}

package org.imaarchiver.jobs.nightly;

import java.io.IOException;
import org.imaarchiver.jobs.host.state.HostLock;

/** Step 1 (D.2 step 1): one archiver per host. Another holder of the lock ends the run as {@code locked}. */
final class AcquireHostLockStep extends NightlyStep {
    AcquireHostLockStep(ArchiveRun run, RunLedger ledger) {
        super("acquireHostLock", run, ledger);
    }

    @Override
    void perform() throws IOException, RunStopped.Failure {
        HostLock.Attempt a = HostLock.tryAcquire(run.settings().lockPath());
        if (a instanceof HostLock.HeldByAnother h) {
            throw RunStopped.of(RunOutcome.LOCKED, "host lock " + h.file() + " held by pid "
                    + h.holderPid().map(String::valueOf).orElse("?")).failure();
        }
        ledger.record(new StepResult.HostLocked(((HostLock.Acquired) a).lock()));
    }
}

package org.imaarchiver.jobs.nightly;

import java.io.IOException;
import org.imaarchiver.jobs.host.tpm.TpmFailure;
import org.imaarchiver.replay.log.MalformedLogException;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;

/**
 * One step of {@code archiveAndTrimJob}: runs its phase, which records what it establishes in the
 * {@link RunLedger}. A phase that cannot go on fails the step; the decision (outcome and detail)
 * is recorded first, and the job goes on to {@code recordHead} only. The kernel fd never outlives
 * the step.
 */
abstract class NightlyStep implements Tasklet {
    protected final ArchiveRun run;
    protected final RunLedger ledger;
    private final String name;

    NightlyStep(String name, ArchiveRun run, RunLedger ledger) {
        this.name = name;
        this.run = run;
        this.ledger = ledger;
    }

    String name() { return name; }

    /** The phase. */
    abstract void perform() throws IOException, MalformedLogException, InterruptedException, TpmFailure, RunStopped.Failure;

    @Override
    public final RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) throws Exception {
        try {
            perform();
        } catch (RunStopped.Failure e) {
            ledger.stop(e.stopped());
            throw e;
        } catch (TpmFailure e) {
            ledger.stop(RunStopped.of(RunOutcome.ENVIRONMENT_ERROR, name + ": TPM: " + e.getMessage()));
            throw e;
        } catch (MalformedLogException e) {
            ledger.stop(RunStopped.of(RunOutcome.VERIFICATION_FAILED, name + ": " + e.getMessage()));
            throw e;
        } catch (IOException | InterruptedException | RuntimeException e) {
            ledger.stop(RunStopped.of(RunOutcome.ENVIRONMENT_ERROR, name + ": " + e));
            throw e;
        }
        return RepeatStatus.FINISHED;
    }
}

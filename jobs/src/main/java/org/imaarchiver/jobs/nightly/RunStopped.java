package org.imaarchiver.jobs.nightly;

import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.archive.chain.PackResult;

/**
 * A step decided how the run ends: the step fails, the job goes on to {@code recordHead} only.
 *
 * @param outcome the run's outcome
 * @param detail  why, for the log line
 * @param block   why trimming stops from now on, when the decision is a disagreement (written to the block file)
 */
record RunStopped(RunOutcome outcome, String detail, Optional<String> block) {
    RunStopped {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(detail, "detail");
        Objects.requireNonNull(block, "block");
    }

    static RunStopped of(RunOutcome outcome, String detail) {
        return new RunStopped(outcome, detail, Optional.empty());
    }

    /** The packer refused: which side is in the way decides the outcome. */
    static RunStopped refused(PackResult.Failure f) {
        // StoreConflict: an object already holds the next sequence (a leftover of an interrupted
        // upload, or a second packer): the store, not the evidence, is in the way (docs/operations.md)
        RunOutcome o = f instanceof PackResult.HeadUnreadable || f instanceof PackResult.NotDurable
                || f instanceof PackResult.StoreConflict ? RunOutcome.ENVIRONMENT_ERROR
                : f instanceof PackResult.BootUndecidable || f instanceof PackResult.RecordsMissing ? RunOutcome.TRIM_BLOCKED
                : RunOutcome.VERIFICATION_FAILED;
        String why = f.kind() + ": " + f.describe();
        return new RunStopped(o, why, o == RunOutcome.TRIM_BLOCKED ? Optional.of(why) : Optional.empty());
    }

    /** Thrown by a step to fail with this decision. */
    Failure failure() { return new Failure(this); }

    /** The exception that fails the step. */
    static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient RunStopped stopped;

        Failure(RunStopped stopped) {
            super(stopped.outcome().label() + ": " + stopped.detail(), null, false, false);
            this.stopped = stopped;
        }

        RunStopped stopped() { return stopped; }
    }
}

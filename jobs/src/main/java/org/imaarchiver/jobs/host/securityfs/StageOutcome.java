package org.imaarchiver.jobs.host.securityfs;

import java.util.Objects;

/**
 * How the first half of a split "staging with prompt" ended ({@link TrimSession#stage}):
 * kernel-interface.md A.8 {@code A}, then the staged batch read through the same fd.
 */
public sealed interface StageOutcome {
    /**
     * A batch is staged and was read whole.
     *
     * @param kind       {@link RecordBatch.Kind#STAGED} (this {@code A}) or
     *                   {@link RecordBatch.Kind#STAGED_PENDING} ({@code A} gave EEXIST: an earlier run's batch)
     * @param firstIndex absolute index of the batch's first record
     * @param records    records in the batch
     */
    record Staged(RecordBatch.Kind kind, long firstIndex, long records, int openAttempts) implements StageOutcome {
        public Staged {
            Objects.requireNonNull(kind, "kind");
        }

        /** Absolute index of the first record after the batch: the current list's first record. */
        public long endIndex() { return firstIndex + records; }
    }

    /**
     * Nothing is staged: {@link TrimOutcome.NothingToTrim} (ENOENT, the current list is empty),
     * {@link TrimOutcome.ShuttingDown} (EACCES), {@link TrimOutcome.Busy}, {@link TrimOutcome.NotPermitted}
     * or {@link TrimOutcome.ArchiveOnly} (no staging support).
     */
    record NotStaged(TrimOutcome.Reason reason, int openAttempts) implements StageOutcome {
        public NotStaged {
            Objects.requireNonNull(reason, "reason");
        }
    }
}

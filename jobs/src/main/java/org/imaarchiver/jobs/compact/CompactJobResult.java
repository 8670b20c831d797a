package org.imaarchiver.jobs.compact;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * What a run of {@code compactJob} produced.
 *
 * @param jobInstanceId  the job instance (same across a crash and its resumption)
 * @param jobExecutionId this run's execution
 * @param resumed        true when this run restarted an unfinished instance
 * @param status         {@code COMPLETED} when every partition ran; otherwise the Batch status (the run is resumable)
 * @param counts         totals of the report (empty when no report was written)
 * @param jsonReport     {@code report.json} of this instance
 * @param summaryFile    {@code summary.txt} of this instance (one line per host, then the totals)
 * @param summary        the totals in words, or why the run is incomplete
 */
public record CompactJobResult(long jobInstanceId, long jobExecutionId, boolean resumed, String status, Optional<Counts> counts,
                               Path jsonReport, Path summaryFile, String summary) {
    public CompactJobResult {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(counts, "counts");
        Objects.requireNonNull(jsonReport, "jsonReport");
        Objects.requireNonNull(summaryFile, "summaryFile");
        Objects.requireNonNull(summary, "summary");
    }

    /** Totals over the report. */
    public record Counts(long hosts, long hostsCompacted, long hostsNotVerified, long hostsStoreProblem, long groupsCompacted,
                         long records) {}

    /** The job ran to the end. */
    public boolean completed() { return status.equals("COMPLETED"); }
}

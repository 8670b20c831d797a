package org.imaarchiver.jobs.reverify;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * What a run of {@code reverifyJob} produced.
 *
 * @param jobInstanceId  the job instance (same across a crash and its resumption)
 * @param jobExecutionId this run's execution
 * @param resumed        true when this run restarted an unfinished instance
 * @param status         {@code COMPLETED} when every partition ran; otherwise the Batch status (the run is resumable)
 * @param counts         hosts, failed hosts, segments, records of the whole report (empty when no report was written)
 * @param jsonReport     {@code report.json}
 * @param htmlReport     {@code report.html}
 * @param receiptsDir    {@code receipts/} (receipts of hosts that verified ok, when a receipt key was given)
 * @param summary        the human summary (also in {@code summary.txt})
 */
public record VerifyJobResult(long jobInstanceId, long jobExecutionId, boolean resumed, String status,
                              Optional<ReportCounts> counts, Path jsonReport, Path htmlReport, Path receiptsDir, String summary) {
    public VerifyJobResult {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(counts, "counts");
        Objects.requireNonNull(jsonReport, "jsonReport");
        Objects.requireNonNull(htmlReport, "htmlReport");
        Objects.requireNonNull(receiptsDir, "receiptsDir");
        Objects.requireNonNull(summary, "summary");
    }

    /** Totals over the report. */
    public record ReportCounts(long hosts, long failedHosts, long segments, long records, long failures) {}

    /** The job ran to the end. */
    public boolean completed() { return status.equals("COMPLETED"); }

    /** {@code summary.txt}: one line per host and finding, then the totals (next to the JSON report). */
    public Path summaryFile() { return jsonReport.resolveSibling(ReportWriter.SUMMARY); }

    /** Completed and every host verified: the CLI's exit status 0. */
    public boolean ok() { return completed() && counts.map(c -> c.failedHosts() == 0).orElse(false); }
}

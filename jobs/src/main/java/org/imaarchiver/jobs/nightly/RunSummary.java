package org.imaarchiver.jobs.nightly;

import java.time.Duration;
import java.util.Optional;

/**
 * What one run did, for the structured log line and the metrics.
 *
 * @param segment            the sequence of the segment planned (and written when records > 0)
 * @param recordsArchived    records in the new segment
 * @param recordsTrimmed     records deleted from the kernel list
 * @param kernelListRecords  records the kernel list held when read
 * @param trimmedSoFar       absolute index of the kernel list's first record after the run
 * @param writerLock         how long the kernel's writer fd was held (compare-then-trim), if the run opened it
 * @param bytesUploaded      bytes of the segment, signature and manifest uploaded by this run
 * @param detail             why, for anything but a clean run
 * @param kind               the scheduled run or the run at shutdown (whose segment closes the boot)
 */
public record RunSummary(String host, RunOutcome outcome, Optional<Long> segment, long recordsArchived, long recordsTrimmed,
                         long kernelListRecords, long trimmedSoFar, Duration duration, Optional<Duration> writerLock, long bytesUploaded, String detail,
                         RunKind kind) {

    /** One {@code key=value} line; values with spaces are quoted. */
    public String logLine() {
        return "ima-archiver archive host=" + host + " outcome=" + outcome.label() + " exit=" + outcome.exitCode()
                + " segment=" + segment.map(String::valueOf).orElse("-") + " records_archived=" + recordsArchived
                + " records_trimmed=" + recordsTrimmed + " kernel_list_records=" + kernelListRecords
                + " trimmed_so_far=" + trimmedSoFar + " duration_ms=" + duration.toMillis()
                + " lock_ms=" + writerLock.map(d -> String.format(java.util.Locale.ROOT, "%.3f", d.toNanos() / 1e6)).orElse("-")
                + " bytes_uploaded=" + bytesUploaded + " run=" + kind.name().toLowerCase(java.util.Locale.ROOT)
                + " detail=\"" + detail.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ") + "\"";
    }
}

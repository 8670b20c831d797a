package org.imaarchiver.jobs.nightly;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.OptionalDouble;
import org.imaarchiver.archive.io.InputLimit;
import org.imaarchiver.archive.io.LimitedFiles;

/**
 * The node_exporter textfile-collector file ({@code *.prom}), replaced atomically so the collector
 * never reads half a file. Counters ({@code _total}) continue from the previous file.
 */
public final class MetricsFile {
    static final String LAST_SUCCESS = "ima_archiver_last_success_timestamp_seconds";
    static final String ARCHIVED = "ima_archiver_records_archived_total";
    static final String TRIMMED = "ima_archiver_records_trimmed_total";
    static final String KERNEL = "ima_archiver_kernel_list_records";
    static final String DURATION = "ima_archiver_run_duration_seconds";
    static final String OUTCOME = "ima_archiver_last_outcome";
    static final String LAST_RUN = "ima_archiver_last_run_timestamp_seconds";

    private final Path file;

    public MetricsFile(Path file) { this.file = file; }

    public void write(RunSummary s, Instant now) throws IOException {
        String previous = read();
        double archived = value(previous, ARCHIVED).orElse(0) + s.recordsArchived();
        double trimmed = value(previous, TRIMMED).orElse(0) + s.recordsTrimmed();
        boolean success = s.outcome().exitCode() == 0 || s.outcome() == RunOutcome.NOTHING_TO_DO
                || s.outcome() == RunOutcome.ARCHIVED_NOT_TRIMMED;
        OptionalDouble lastSuccess = success ? OptionalDouble.of(now.getEpochSecond()) : value(previous, LAST_SUCCESS);
        StringBuilder b = new StringBuilder();
        if (lastSuccess.isPresent()) gauge(b, LAST_SUCCESS, "Unix time of the last run that archived (exit 0, 10 or 11).", lastSuccess.getAsDouble());
        gauge(b, LAST_RUN, "Unix time of the last run, whatever its outcome.", now.getEpochSecond());
        counter(b, ARCHIVED, "Records archived into segments by this host's runs.", archived);
        counter(b, TRIMMED, "Records deleted from the kernel list by this host's runs.", trimmed);
        gauge(b, KERNEL, "Records in the kernel measurement list when last read.", s.kernelListRecords());
        gauge(b, DURATION, "Duration of the last run.", s.duration().toMillis() / 1000.0);
        b.append("# HELP ").append(OUTCOME).append(" 1 for the outcome of the last run, 0 for the others.\n");
        b.append("# TYPE ").append(OUTCOME).append(" gauge\n");
        for (RunOutcome o : RunOutcome.values()) {
            b.append(OUTCOME).append("{outcome=\"").append(o.label()).append("\"} ").append(o == s.outcome() ? 1 : 0).append('\n');
        }
        AtomicText.write(file, b.toString());
    }

    /** The previous file's text, or empty. */
    public String read() throws IOException {
        try {
            return LimitedFiles.readString(file, InputLimit.STATE_FILE);
        } catch (NoSuchFileException e) {
            return "";
        }
    }

    /** The value of an unlabelled sample in a textfile. */
    public static OptionalDouble value(String text, String name) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ")) {
                try {
                    return OptionalDouble.of(Double.parseDouble(line.substring(name.length() + 1).trim()));
                } catch (NumberFormatException e) {
                    return OptionalDouble.empty();
                }
            }
        }
        return OptionalDouble.empty();
    }

    private static void gauge(StringBuilder b, String name, String help, double v) { sample(b, name, help, "gauge", v); }

    private static void counter(StringBuilder b, String name, String help, double v) { sample(b, name, help, "counter", v); }

    private static void sample(StringBuilder b, String name, String help, String type, double v) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        b.append(name).append(' ').append(v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.3f", v)).append('\n');
    }
}

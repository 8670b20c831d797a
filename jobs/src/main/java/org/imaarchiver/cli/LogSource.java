package org.imaarchiver.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.PcrState;
import org.imaarchiver.replay.replay.RecordSource;

/**
 * A list file as a {@link RecordSource} for a replay starting at {@code base}: the file's first record
 * has absolute index {@code logStart} (default: the base's next index), and records before the base's
 * next index are skipped (they are covered by the base state).
 */
final class LogSource implements RecordSource, AutoCloseable {
    private final Reader reader;
    private final long skipBelow;

    /** The replay-engine log reader, adapted (wired after the merge of replay.log). */
    interface Reader extends AutoCloseable {
        Optional<MeasurementRecord> next() throws IOException, MalformedLogException;

        @Override
        void close() throws IOException;
    }

    private LogSource(Reader reader, long skipBelow) {
        this.reader = reader;
        this.skipBelow = skipBelow;
    }

    static boolean available() {
        return false;
    }

    static LogSource open(Path log, Engine.Format format, PcrState base, OptionalLong logStart)
            throws CliError, IOException, MalformedLogException {
        long first = logStart.orElse(base.nextIndex());
        if (first > base.nextIndex()) {
            throw CliError.usage("LOG " + log + " starts at record " + first + " but the base state ends before record "
                    + base.nextIndex() + ": records " + base.nextIndex() + ".." + (first - 1) + " are missing");
        }
        return new LogSource(openReader(log, format, first), base.nextIndex());
    }

    static Reader openReader(Path log, Engine.Format format, long firstIndex)
            throws CliError, IOException, MalformedLogException {
        throw CliError.environment("reading " + log + ": the replay engine's log reader (replay.log) is not in this build yet");
    }

    @Override
    public Optional<MeasurementRecord> next() throws IOException, MalformedLogException {
        while (true) {
            Optional<MeasurementRecord> r = reader.next();
            if (r.isEmpty() || r.get().index() >= skipBelow) return r;
        }
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}

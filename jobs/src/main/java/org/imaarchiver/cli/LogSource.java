package org.imaarchiver.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import org.imaarchiver.replay.log.AsciiLogReader;
import org.imaarchiver.replay.log.BinaryLogReader;
import org.imaarchiver.replay.log.LogFormat;
import org.imaarchiver.replay.log.LogReadOptions;
import org.imaarchiver.replay.log.LogReader;
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

    /** A replay-engine log reader with the stream it reads, closed together. */
    record Reader(LogReader reader, InputStream stream) implements AutoCloseable {
        Optional<MeasurementRecord> next() throws IOException, MalformedLogException { return reader.next(); }

        @Override
        public void close() throws IOException { stream.close(); }
    }

    private LogSource(Reader reader, long skipBelow) {
        this.reader = reader;
        this.skipBelow = skipBelow;
    }

    static LogSource open(Path log, Engine.Format format, PcrState base, OptionalLong logStart)
            throws CliError, IOException, MalformedLogException {
        long first = logStart.orElse(base.nextIndex());
        if (first < 0) throw CliError.usage("--log-start " + first + ": a record index is 0 or more");
        if (first > base.nextIndex()) {
            throw CliError.usage("LOG " + log + " starts at record " + first + " but the base state ends before record "
                    + base.nextIndex() + ": records " + base.nextIndex() + ".." + (first - 1) + " are missing");
        }
        return new LogSource(openReader(log, format, first), base.nextIndex());
    }

    /** Opens {@code log}; the format is detected from its first bytes unless given (LogFormat.detect). */
    static Reader openReader(Path log, Engine.Format format, long firstIndex) throws CliError, IOException {
        Inputs.requireFile(log, "LOG");
        LogReadOptions options = LogReadOptions.of(log.toString()).withFirstIndex(firstIndex);
        InputStream in = Files.newInputStream(log);
        LogReader reader = switch (format) {
            case AUTO -> LogFormat.open(in, options);
            case BINARY -> BinaryLogReader.open(in, options);
            case ASCII -> AsciiLogReader.open(in, options);
        };
        return new Reader(reader, in);
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

package org.imaarchiver.replay.replay;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.imaarchiver.replay.log.BinaryLogReader;
import org.imaarchiver.replay.log.LogReadOptions;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/** Test convenience: a file-backed {@link BinaryLogReader} with a fixed bank, as a {@link RecordSource}. */
final class SimpleBinaryLog implements RecordSource, AutoCloseable {
    private final InputStream in;
    private final BinaryLogReader reader;

    SimpleBinaryLog(InputStream in, int digestLength, String name, long firstIndex) throws IOException {
        this.in = in;
        HashAlgorithm bank = HashAlgorithm.byDigestLength(digestLength)
                .orElseThrow(() -> new IllegalArgumentException("no bank of " + digestLength + " bytes"));
        this.reader = BinaryLogReader.open(in, LogReadOptions.of(name).withBank(bank).withFirstIndex(firstIndex));
    }

    static SimpleBinaryLog open(Path file, int digestLength) throws IOException {
        return new SimpleBinaryLog(Files.newInputStream(file), digestLength, file.getFileName().toString(), 0);
    }

    @Override
    public Optional<MeasurementRecord> next() throws IOException, MalformedLogException {
        return reader.next();
    }

    @Override
    public void close() throws IOException { in.close(); }
}

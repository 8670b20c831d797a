package org.imaarchiver.jobs.nightly;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import org.imaarchiver.replay.log.BinaryLogReader;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.LogReadOptions;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * The local copy of the kernel list a run packs from and compares against before trimming: raw
 * records (kernel-interface.md B.3) from absolute index {@code firstIndex}.
 */
record SpoolFile(Path file, long firstIndex, HashAlgorithm bank) {

    /** A reader of the spool from its first record. */
    BinaryLogReader open(InputStream in) throws IOException {
        return BinaryLogReader.open(in, LogReadOptions.of(file.toString()).withBank(bank).withFirstIndex(firstIndex));
    }

    /** The spooled records with the given absolute indices (streamed). */
    List<MeasurementRecord> records(List<Long> wanted) throws IOException, MalformedLogException {
        List<MeasurementRecord> out = new ArrayList<>();
        long max = wanted.stream().mapToLong(Long::longValue).max().orElse(-1);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            BinaryLogReader r = open(in);
            for (Optional<MeasurementRecord> m = r.next(); m.isPresent() && m.get().index() <= max; m = r.next()) {
                if (wanted.contains(m.get().index())) out.add(m.get());
            }
        }
        return out;
    }

    static Optional<MeasurementRecord> find(List<MeasurementRecord> records, long index) {
        return records.stream().filter(r -> r.index() == index).findFirst();
    }

    /** The raw records of absolute indices {@code [from, end)}, streamed. */
    Iterator<Bytes> raw(long from, long end) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file));
        BinaryLogReader r = open(in);
        return new Iterator<>() {
            Optional<MeasurementRecord> next = advance();

            private Optional<MeasurementRecord> advance() {
                try {
                    Optional<MeasurementRecord> m = r.next();
                    while (m.isPresent() && m.get().index() < from) m = r.next();
                    if (m.isEmpty()) in.close();
                    return m;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (MalformedLogException e) {
                    throw new UncheckedIOException(new IOException(e));
                }
            }

            @Override
            public boolean hasNext() { return next.isPresent() && next.get().index() < end; }

            @Override
            public Bytes next() {
                if (!hasNext()) throw new NoSuchElementException();
                Bytes raw = next.get().raw();
                next = advance();
                return raw;
            }
        };
    }
}

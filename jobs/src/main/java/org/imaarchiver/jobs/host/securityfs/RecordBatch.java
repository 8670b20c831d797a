package org.imaarchiver.jobs.host.securityfs;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.imaarchiver.replay.log.LogReader;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * The records a trim session hands to its callback, streamed from the kernel file as they are read
 * (constant memory). Unverified: nothing has been replayed. Valid only during the callback.
 *
 * @param file       the file being read
 * @param bank       the bank whose template digests the records carry
 * @param firstIndex the absolute index of the first record (the caller's {@code trimmedSoFar}, A.8 Counters)
 * @param kind       the current list, a fresh staged batch, or a staged batch an earlier run left
 * @param records    the stream: read it until empty (a clean EOF of the kernel file)
 */
public record RecordBatch(Path file, HashAlgorithm bank, long firstIndex, Kind kind, LogReader records) {
    public enum Kind { CURRENT_LIST, STAGED, STAGED_PENDING }

    /** Convenience for {@code records().next()}. */
    public Optional<MeasurementRecord> next() throws IOException, MalformedLogException {
        return records.next();
    }
}

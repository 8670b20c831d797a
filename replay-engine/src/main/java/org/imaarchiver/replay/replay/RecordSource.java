package org.imaarchiver.replay.replay;

import java.io.IOException;
import java.util.Optional;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;

/**
 * Records of one boot's list in log order, as parsed (unverified). The log reader's {@code next()}
 * has this exact signature, so {@code reader::next} adapts it.
 *
 * <p>The {@link Replayer} calls {@code next()} from one thread at a time, but not necessarily the
 * caller's thread (it reads ahead on a reader thread); implementations need not be thread-safe.
 */
@FunctionalInterface
public interface RecordSource {
    /** The next record, or empty at the end of the list. */
    Optional<MeasurementRecord> next() throws IOException, MalformedLogException;
}

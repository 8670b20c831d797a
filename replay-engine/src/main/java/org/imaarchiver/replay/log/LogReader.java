package org.imaarchiver.replay.log;

import java.io.IOException;
import java.util.Optional;

/**
 * A streaming reader of a measurement list, binary or ASCII. Records come out unverified, in list
 * order, one at a time; memory does not grow with the list. The caller owns (and closes) the stream.
 * After a {@link MalformedLogException} every further call throws the same exception.
 */
public interface LogReader {
    /** The next record, or empty at a clean end of the list (EOF exactly at a record boundary). */
    Optional<MeasurementRecord> next() throws IOException, MalformedLogException;

    /** Bytes from the start of the input to just after the last complete record returned. */
    long bytesConsumed();

    /** Records returned so far. */
    long recordsRead();
}

package org.imaarchiver.replay.fuzz;

import java.io.IOException;
import java.util.Optional;
import org.imaarchiver.replay.log.AsciiFormatter;
import org.imaarchiver.replay.log.LogReader;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.log.RecordDecoder;
import org.imaarchiver.replay.log.TemplateHash;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/** What the list fuzz targets do with each list: read it all, decode, hash and format every record. */
final class LogReaderChecks {
    private LogReaderChecks() {}

    /**
     * Reads every record and everything derived from one. {@link MalformedLogException} is the typed
     * failure; a clean end must have consumed the whole input.
     */
    static void readAll(LogReader reader, int length) throws IOException {
        try {
            for (Optional<MeasurementRecord> r = reader.next(); r.isPresent(); r = reader.next()) {
                MeasurementRecord m = r.get();
                RecordDecoder.decode(m);
                for (HashAlgorithm a : HashAlgorithm.values()) TemplateHash.of(m, a);
                AsciiFormatter.format(m);
            }
            if (reader.bytesConsumed() != length) {
                throw new IllegalStateException("clean end after " + reader.bytesConsumed() + " of " + length + " bytes");
            }
        } catch (MalformedLogException expected) {
            // the typed failure
        }
    }
}

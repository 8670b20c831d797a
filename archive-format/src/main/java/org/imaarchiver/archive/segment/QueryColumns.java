package org.imaarchiver.archive.segment;

import java.util.Optional;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.log.RecordDecoder;
import org.imaarchiver.replay.template.DecodedRecord;

/**
 * The one definition of a segment's query columns as a function of {@code raw} (docs/archive-format.md
 * §5): the writer stores exactly this, and the verifier recomputes it from {@code raw} and compares,
 * so a query engine reading the decoded columns without our code sees what the verified bytes say.
 * A record the decoder cannot interpret gets the plain view (no file fields), never a guess.
 */
public final class QueryColumns {
    private QueryColumns() {}

    public static DecodedRecord of(MeasurementRecord r) {
        try {
            return RecordDecoder.decode(r);
        } catch (MalformedLogException | RuntimeException e) {
            return new DecodedRecord(r.index(), r.pcr(), r.templateName(), r.isViolation(), Optional.empty(), Optional.empty(),
                    Optional.empty(), Optional.empty(), false, Optional.empty(), Optional.empty());
        }
    }
}

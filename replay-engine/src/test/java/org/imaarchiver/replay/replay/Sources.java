package org.imaarchiver.replay.replay;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.imaarchiver.replay.log.MeasurementRecord;

/** Test helpers around {@link RecordSource}. */
final class Sources {
    private Sources() {}

    static RecordSource of(List<MeasurementRecord> records) {
        Iterator<MeasurementRecord> it = records.iterator();
        return () -> it.hasNext() ? Optional.of(it.next()) : Optional.empty();
    }

    /** At most {@code n} records of {@code s}. */
    static RecordSource limit(RecordSource s, long n) {
        long[] left = {n};
        return () -> left[0]-- > 0 ? s.next() : Optional.empty();
    }

    static RecordSource map(RecordSource s, UnaryOperator<MeasurementRecord> f) {
        return () -> s.next().map(f);
    }

    static List<MeasurementRecord> readAll(RecordSource s) throws Exception {
        List<MeasurementRecord> out = new ArrayList<>();
        for (Optional<MeasurementRecord> r = s.next(); r.isPresent(); r = s.next()) out.add(r.get());
        return out;
    }
}

package org.imaarchiver.replay.replay;

import org.imaarchiver.replay.log.MeasurementRecord;

/**
 * Sees the state after each record, in log order, on the replay's extend thread. The view is live
 * and must not be kept past the call.
 */
@FunctionalInterface
public interface ReplayObserver {
    /** Observes nothing and never stops the replay. */
    ReplayObserver NONE = (r, s) -> true;

    /**
     * Called after {@code record} was extended. Return false to stop the replay after this record
     * (the result then has {@code reachedEnd == false} and no failure for the stop).
     */
    boolean afterRecord(MeasurementRecord record, PcrView state);
}

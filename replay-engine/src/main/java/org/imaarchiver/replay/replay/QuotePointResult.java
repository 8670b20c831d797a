package org.imaarchiver.replay.replay;

import java.util.Objects;
import org.imaarchiver.replay.pcr.PcrState;

/** The outcome of a {@link QuotePointFinder} search. */
public sealed interface QuotePointResult permits QuotePointResult.Found, QuotePointResult.NotFound {
    /** The replay that was run (up to the quote point when found, else as far as the log went). */
    ReplayResult replay();

    /**
     * The quote covers exactly the records with absolute indices below {@code quotePoint}: the first
     * (smallest) count of records whose replay gives the quote's pcrDigest (kernel-interface.md C.3).
     * {@link #state()} is the state there. The replay's failures (e.g. a template digest mismatch
     * before the quote point) still have to be checked by the caller: a match with a non-clean
     * replay does not verify the records.
     */
    record Found(long quotePoint, ReplayResult replay) implements QuotePointResult {
        public Found {
            Objects.requireNonNull(replay);
            if (replay.state().nextIndex() != quotePoint) throw new IllegalArgumentException("state not at the quote point");
        }

        /** The replay state after the last record the quote covers. */
        public PcrState state() { return replay.state(); }
    }

    /**
     * No prefix matched. {@code failure} is a {@link ReplayFailure.NoQuotePoint} with the values at the
     * end of the replay, or {@link ReplayFailure.BankNotReplayed} when the selection names a bank the
     * base state does not carry.
     */
    record NotFound(ReplayFailure failure, ReplayResult replay) implements QuotePointResult {
        public NotFound {
            Objects.requireNonNull(failure);
            Objects.requireNonNull(replay);
        }
    }
}

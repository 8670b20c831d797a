package org.imaarchiver.replay.replay;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrState;

/**
 * The outcome of one replay. A replay proves nothing about the TPM by itself: only a quote whose
 * pcrDigest matches {@link #state()} (or a prefix, see {@link QuotePointFinder}) does.
 *
 * @param state           the state after the last record replayed; its {@code values()} are the
 *                        final per-(PCR, bank) values and its {@code nextIndex()} the absolute index
 *                        of the next record
 * @param recordsReplayed records extended in this replay (not counting the base)
 * @param violations      how many of them were violations (kernel-interface.md B.8)
 * @param failures        the first {@value Replayer#MAX_REPORTED_FAILURES} failures in log order
 * @param failureCount    all failures, including those not listed
 * @param reachedEnd      true when the source was read to its end; false when a failure or the
 *                        observer stopped the replay
 */
public record ReplayResult(PcrState state, long recordsReplayed, long violations, List<ReplayFailure> failures,
                           long failureCount, boolean reachedEnd) {
    public ReplayResult {
        Objects.requireNonNull(state);
        failures = List.copyOf(failures);
        if (failureCount < failures.size()) throw new IllegalArgumentException("failureCount < listed failures");
    }

    /** No failure at all: every stored template digest matched and nothing stopped the replay early. */
    public boolean isClean() { return failureCount == 0; }

    /** The failure that stopped the replay, if one did. */
    public Optional<ReplayFailure> stoppingFailure() {
        return failures.stream().filter(ReplayFailure::stopsReplay).findFirst();
    }

    /** Final value of {@code pcr} in {@code bank}. */
    public Digest value(int pcr, HashAlgorithm bank) { return state.value(pcr, bank); }
}

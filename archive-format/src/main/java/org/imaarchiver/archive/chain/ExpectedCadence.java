package org.imaarchiver.archive.chain;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.Optional;

/**
 * How recent a chain's newest segment must be (docs/archive-format.md §13 "Loss and rollback"): the
 * archiver appends a segment per run, so a chain whose newest segment is older than the cadence
 * either stopped being archived or had its newest segments deleted, and without a receipt covering
 * them only the age shows it. {@link Off} checks nothing (re-verifying a historical archive).
 */
public sealed interface ExpectedCadence {
    /** No cadence: no chain is stale. */
    record Off() implements ExpectedCadence {
        @Override public String id() { return "off"; }
        @Override public Optional<ChainFinding> check(String host, Optional<Instant> newest, Instant asOf) { return Optional.empty(); }
    }

    /** The newest segment must have been created within {@code within} before the run's reference time. */
    record Within(Duration within) implements ExpectedCadence {
        public Within {
            Objects.requireNonNull(within, "within");
            if (within.isNegative() || within.isZero()) throw new IllegalArgumentException("cadence must be positive: " + within);
        }
        @Override public String id() { return within.toString(); }
        @Override public Optional<ChainFinding> check(String host, Optional<Instant> newest, Instant asOf) {
            if (newest.isEmpty() || !newest.get().isBefore(asOf.minus(within))) return Optional.empty();
            return Optional.of(new LossFinding.StaleChain(host, newest.get(), asOf, within));
        }
    }

    /** Stable text for job parameters: {@code off} or the ISO-8601 duration; {@link #parse} reads it back. */
    String id();

    /**
     * The {@code stale-chain} finding of {@code host} whose newest readable segment was created at
     * {@code newest} (empty: no segment with a readable manifest, which other findings report), as of
     * {@code asOf}.
     */
    Optional<ChainFinding> check(String host, Optional<Instant> newest, Instant asOf);

    /** What {@link #id} made. */
    static ExpectedCadence parse(String id) {
        if (id.equals("off")) return new Off();
        try {
            return new Within(Duration.parse(id));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("not a cadence: " + id, e);
        }
    }

    /** {@code 2d}, {@code 36h}, {@code 90m}, else ISO-8601: for report lines. */
    static String text(Duration d) {
        if (d.toDays() > 0 && d.equals(Duration.ofDays(d.toDays()))) return d.toDays() + "d";
        if (d.toHours() > 0 && d.equals(Duration.ofHours(d.toHours()))) return d.toHours() + "h";
        if (d.toMinutes() > 0 && d.equals(Duration.ofMinutes(d.toMinutes()))) return d.toMinutes() + "m";
        return d.toString();
    }
}

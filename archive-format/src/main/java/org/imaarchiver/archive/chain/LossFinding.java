package org.imaarchiver.archive.chain;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * History that should exist and does not (docs/archive-format.md §13 "Loss and rollback"): the
 * segments of a chain prove what they hold, not that nothing after them was deleted, so the
 * verifier holds each chain against what it knows from outside the archive: the trust directory
 * (an enrolled host has a chain), a verification receipt (the chain reaches at least its segment)
 * and the expected cadence (the newest segment is recent).
 */
public sealed interface LossFinding extends ChainFinding {
    @Override default OptionalLong record() { return OptionalLong.empty(); }

    /** {@code host} is enrolled in the trust directory but has no segment in the archive. */
    record MissingChain(String host) implements LossFinding {
        public MissingChain { ArchiveLayout.requireValidHostId(host); }
        @Override public FindingKind kind() { return FindingKind.MISSING_CHAIN; }
        @Override public OptionalLong segment() { return OptionalLong.empty(); }
        @Override public String expected() { return "a chain (the host is enrolled)"; }
        @Override public String found() { return "no segments"; }
        @Override public String detail() { return "the host is enrolled in the trust directory but has no objects under " + ArchiveLayout.segmentsPrefix(host); }
    }

    /**
     * The chain's last segment ({@code lastSequence}; empty: no segment at all) is before
     * {@code receiptSequence}, the segment a verified receipt covers.
     */
    record BehindReceipt(String host, long receiptSequence, OptionalLong lastSequence) implements LossFinding {
        public BehindReceipt {
            ArchiveLayout.requireValidHostId(host);
            Objects.requireNonNull(lastSequence, "lastSequence");
            if (lastSequence.isPresent() && lastSequence.getAsLong() >= receiptSequence) {
                throw new IllegalArgumentException("the chain reaches the receipt: " + lastSequence.getAsLong() + " >= " + receiptSequence);
            }
        }
        @Override public FindingKind kind() { return FindingKind.BEHIND_RECEIPT; }
        @Override public OptionalLong segment() { return OptionalLong.of(receiptSequence); }
        @Override public String expected() { return "last segment >= " + receiptSequence; }
        @Override public String found() { return lastSequence.isPresent() ? Long.toString(lastSequence.getAsLong()) : "no segments"; }
        @Override public String detail() {
            return "the chain ends " + (lastSequence.isPresent() ? "at segment " + lastSequence.getAsLong() : "with no segment")
                    + ", before segment " + receiptSequence + " of its receipt: segments were deleted after they were verified";
        }
    }

    /**
     * The chain's newest segment was created at {@code newest}, more than {@code expectWithin}
     * before {@code asOf} (the run's reference time).
     */
    record StaleChain(String host, Instant newest, Instant asOf, Duration expectWithin) implements LossFinding {
        public StaleChain {
            ArchiveLayout.requireValidHostId(host);
            Objects.requireNonNull(newest, "newest");
            Objects.requireNonNull(asOf, "asOf");
            Objects.requireNonNull(expectWithin, "expectWithin");
            if (!newest.isBefore(asOf.minus(expectWithin))) throw new IllegalArgumentException("not stale: " + newest + " within " + expectWithin + " of " + asOf);
        }
        @Override public FindingKind kind() { return FindingKind.STALE_CHAIN; }
        @Override public OptionalLong segment() { return OptionalLong.empty(); }
        @Override public String expected() { return "createdAt >= " + asOf.minus(expectWithin); }
        @Override public String found() { return newest.toString(); }
        @Override public String detail() {
            return "the newest segment was created at " + newest + ", more than " + ExpectedCadence.text(expectWithin) + " before " + asOf
                    + ": archiving stopped, or the newest segments were deleted";
        }
    }
}

package org.imaarchiver.archive.chain;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrState;

/** The rows of a segment replayed from its base against its end and quote (§12.8–10). */
public sealed interface ReplayFinding extends ChainFinding {
    long sequence();

    @Override default OptionalLong segment() { return OptionalLong.of(sequence()); }

    /** The quote already matches after record {@code foundQuotePoint - 1}: the segment holds more than the quoted prefix. */
    record QuotedEarlier(String host, long sequence, long expectedQuotePoint, long foundQuotePoint) implements ReplayFinding {
        @Override public FindingKind kind() { return FindingKind.REPLAY_MISMATCH; }
        @Override public OptionalLong record() { return OptionalLong.of(foundQuotePoint - 1); }
        @Override public String expected() { return "quote point " + expectedQuotePoint; }
        @Override public String found() { return "quote point " + foundQuotePoint; }
        @Override public String detail() {
            return "the quote already matches after record " + (foundQuotePoint - 1) + ": the segment holds more than the quoted prefix";
        }
    }

    /** The replay from the base ends in {@code replayed}, not the manifest's {@code end}. */
    record EndMismatch(String host, long sequence, PcrState end, PcrState replayed) implements ReplayFinding {
        public EndMismatch { Objects.requireNonNull(end); Objects.requireNonNull(replayed); }
        @Override public FindingKind kind() { return FindingKind.REPLAY_MISMATCH; }
        @Override public OptionalLong record() { return OptionalLong.empty(); }
        @Override public String expected() { return FindingText.state(end); }
        @Override public String found() { return FindingText.state(replayed); }
        @Override public String detail() { return "replay from base does not reproduce the manifest's end state"; }
    }

    /** No prefix of the rows gives the quote's {@code pcrDigest}; the replay of all rows ends in {@code replayed}. */
    record NoQuotePoint(String host, long sequence, Digest pcrDigest, PcrState replayed, String failure) implements ReplayFinding {
        public NoQuotePoint { Objects.requireNonNull(pcrDigest); Objects.requireNonNull(replayed); Objects.requireNonNull(failure); }
        @Override public FindingKind kind() { return FindingKind.REPLAY_MISMATCH; }
        @Override public OptionalLong record() { return OptionalLong.empty(); }
        @Override public String expected() { return "quote pcrDigest " + pcrDigest.hex(); }
        @Override public String found() { return FindingText.state(replayed); }
        @Override public String detail() { return "no prefix of the rows gives the quote: " + failure; }
    }

    /** A stored template digest does not re-hash from the template data ({@code failure}: the replayer's text). */
    record TemplateDigestMismatch(String host, long sequence, long recordIndex, Digest computed, Digest stored, String failure)
            implements ReplayFinding {
        public TemplateDigestMismatch { Objects.requireNonNull(computed); Objects.requireNonNull(stored); Objects.requireNonNull(failure); }
        @Override public FindingKind kind() { return FindingKind.TEMPLATE_DIGEST_MISMATCH; }
        @Override public OptionalLong record() { return OptionalLong.of(recordIndex); }
        @Override public String expected() { return computed.hex(); }
        @Override public String found() { return stored.hex(); }
        @Override public String detail() { return failure; }
    }

    /** A record's template cannot be hashed. */
    record UnhashableTemplate(String host, long sequence, long recordIndex, String templateName, String failure) implements ReplayFinding {
        public UnhashableTemplate { Objects.requireNonNull(templateName); Objects.requireNonNull(failure); }
        @Override public FindingKind kind() { return FindingKind.MALFORMED_RECORD; }
        @Override public OptionalLong record() { return OptionalLong.of(recordIndex); }
        @Override public String expected() { return "hashable template"; }
        @Override public String found() { return templateName; }
        @Override public String detail() { return failure; }
    }

    /** A record extends a PCR outside 0..23. */
    record PcrOutOfRange(String host, long sequence, long recordIndex, int pcr, String failure) implements ReplayFinding {
        public PcrOutOfRange { Objects.requireNonNull(failure); }
        @Override public FindingKind kind() { return FindingKind.MALFORMED_RECORD; }
        @Override public OptionalLong record() { return OptionalLong.of(recordIndex); }
        @Override public String expected() { return "PCR 0..23"; }
        @Override public String found() { return Integer.toString(pcr); }
        @Override public String detail() { return failure; }
    }

    /**
     * Record 0 is not the boot_aggregate the manifest's boot identity names: {@code foundAggregate} is the
     * record's boot_aggregate, absent when record 0 is not one.
     */
    record BootAggregateMismatch(String host, long sequence, HashAlgorithm algorithm, Digest bootAggregate,
                                 Optional<HashAlgorithm> foundAlgorithm, Optional<Digest> foundAggregate) implements ReplayFinding {
        public BootAggregateMismatch {
            Objects.requireNonNull(algorithm); Objects.requireNonNull(bootAggregate);
            Objects.requireNonNull(foundAlgorithm); Objects.requireNonNull(foundAggregate);
        }
        @Override public FindingKind kind() { return FindingKind.BOOT_SPLICE; }
        @Override public OptionalLong record() { return OptionalLong.of(0); }
        @Override public String expected() { return algorithm + ":" + bootAggregate.hex(); }
        @Override public String found() {
            return foundAggregate.isPresent() && foundAlgorithm.isPresent() ? foundAlgorithm.get() + ":" + foundAggregate.get().hex() : "no boot_aggregate";
        }
        @Override public String detail() { return "record 0 is not the boot_aggregate of the manifest's boot"; }
    }
}

package org.imaarchiver.archive.chain;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.imaarchiver.archive.segment.BootIdentity;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.PcrState;

/** The chain rules between a segment and its predecessor (§13, {@link ChainLink}). */
public sealed interface LinkFinding extends ChainFinding {
    /** The segment the finding is about. */
    long sequence();

    @Override default OptionalLong segment() { return OptionalLong.of(sequence()); }

    @Override default OptionalLong record() { return OptionalLong.empty(); }

    /** What a segment links to: an earlier segment of the chain, or a verification receipt naming one. */
    enum Source { SEGMENT, RECEIPT }

    /** The chain, or the verified range, starts at {@code sequence}, not at {@code expectedFirst}. */
    record StartsLate(String host, long sequence, long expectedFirst) implements LinkFinding {
        @Override public FindingKind kind() { return FindingKind.SEQUENCE_GAP; }
        @Override public String expected() { return Long.toString(expectedFirst); }
        @Override public String found() { return Long.toString(sequence); }
        @Override public String detail() { return "the chain (or the verified range) does not start at sequence " + expectedFirst; }
    }

    /** Sequences {@code expectedSequence..sequence-1} after the predecessor are missing. */
    record Gap(String host, long sequence, long expectedSequence, Source after) implements LinkFinding {
        public Gap { Objects.requireNonNull(after); }
        @Override public FindingKind kind() { return FindingKind.SEQUENCE_GAP; }
        @Override public String expected() { return Long.toString(expectedSequence); }
        @Override public String found() { return Long.toString(sequence); }
        @Override public String detail() {
            return "sequences " + expectedSequence + ".." + (sequence - 1) + (after == Source.RECEIPT ? " after the receipt" : "") + " are missing";
        }
    }

    /** A verified range ends at {@code lastSequence}, but its last chain segment ends at {@code sequence - 1}. */
    record RangeEndMissing(String host, long sequence, long lastSequence) implements LinkFinding {
        @Override public FindingKind kind() { return FindingKind.SEQUENCE_GAP; }
        @Override public String expected() { return Long.toString(sequence); }
        @Override public String found() { return "none"; }
        @Override public String detail() { return "sequences " + sequence + ".." + lastSequence + " are missing"; }
    }

    /** The chain segment {@code sequence..lastSequence} straddles an end of the verified range {@code rangeFirst..rangeLast}. */
    record Straddles(String host, long sequence, long lastSequence, long rangeFirst, long rangeLast) implements LinkFinding {
        @Override public FindingKind kind() { return FindingKind.SEQUENCE_GAP; }
        @Override public String expected() { return rangeFirst + ".." + rangeLast; }
        @Override public String found() { return sequence + ".." + lastSequence; }
        @Override public String detail() { return "a chain segment straddles the range"; }
    }

    /** The first segment of a chain names a predecessor ({@code named}). */
    record NamesPredecessor(String host, long sequence, Digest named) implements LinkFinding {
        public NamesPredecessor { Objects.requireNonNull(named); }
        @Override public FindingKind kind() { return FindingKind.BROKEN_LINK; }
        @Override public String expected() { return "none"; }
        @Override public String found() { return named.hex(); }
        @Override public String detail() { return "the first segment of a chain names a predecessor"; }
    }

    /** {@code previousManifestDigest} is not the predecessor's {@code linkDigest}. */
    record BrokenLink(String host, long sequence, Source predecessor, long predecessorSequence, Digest linkDigest,
                      Optional<Digest> previousManifestDigest) implements LinkFinding {
        public BrokenLink {
            Objects.requireNonNull(predecessor); Objects.requireNonNull(linkDigest); Objects.requireNonNull(previousManifestDigest);
        }
        @Override public FindingKind kind() { return FindingKind.BROKEN_LINK; }
        @Override public String expected() { return linkDigest.hex(); }
        @Override public String found() { return FindingText.digestOrNone(previousManifestDigest); }
        @Override public String detail() {
            return predecessor == Source.RECEIPT
                    ? "previousManifestDigest is not the digest of the receipt's manifest (segment " + predecessorSequence + ")"
                    : "previousManifestDigest is not the digest of segment " + predecessorSequence + "'s manifest";
        }
    }

    /** The stored sidecar manifest of the receipt's segment has digest {@code stored}, not the receipt's {@code receipt}. */
    record ReceiptManifestReplaced(String host, long sequence, Digest receipt, Digest stored) implements LinkFinding {
        public ReceiptManifestReplaced { Objects.requireNonNull(receipt); Objects.requireNonNull(stored); }
        @Override public FindingKind kind() { return FindingKind.BROKEN_LINK; }
        @Override public String expected() { return receipt.hex(); }
        @Override public String found() { return stored.hex(); }
        @Override public String detail() { return "the stored manifest of the receipt's segment is not the one the receipt names"; }
    }

    /** Inside one boot (same boot counter) the boot identity changes from {@code previous} to {@code current}. */
    record BootChanged(String host, long sequence, BootIdentity previous, BootIdentity current) implements LinkFinding {
        public BootChanged { Objects.requireNonNull(previous); Objects.requireNonNull(current); }
        @Override public FindingKind kind() { return FindingKind.BOOT_SPLICE; }
        @Override public String expected() { return FindingText.boot(previous); }
        @Override public String found() { return FindingText.boot(current); }
        @Override public String detail() { return "boot identity changes inside boot " + current.bootCounter(); }
    }

    /** Inside one boot the segment's {@code base} is not the predecessor's {@code end}. */
    record BaseMismatch(String host, long sequence, Source predecessor, long predecessorSequence, PcrState end, PcrState base)
            implements LinkFinding {
        public BaseMismatch { Objects.requireNonNull(predecessor); Objects.requireNonNull(end); Objects.requireNonNull(base); }
        @Override public FindingKind kind() { return FindingKind.BASE_MISMATCH; }
        @Override public String expected() { return FindingText.state(end); }
        @Override public String found() { return FindingText.state(base); }
        @Override public String detail() {
            return predecessor == Source.RECEIPT ? "base is not the end state of the receipt's segment " + predecessorSequence
                    : "base is not segment " + predecessorSequence + "'s end state";
        }
    }

    /** The boot counter is neither the predecessor's ({@code previousCounter}) nor the next. */
    record BootCounterJump(String host, long sequence, Source predecessor, long previousCounter, long counter) implements LinkFinding {
        public BootCounterJump { Objects.requireNonNull(predecessor); }
        @Override public FindingKind kind() { return FindingKind.BOOT_SPLICE; }
        @Override public String expected() { return previousCounter + " or " + (previousCounter + 1); }
        @Override public String found() { return Long.toString(counter); }
        @Override public String detail() { return "boot counter jumps" + (predecessor == Source.RECEIPT ? " after the receipt" : ""); }
    }

    /** A boot's first segment has boot counter {@code counter}, not {@code expectedCounter}. */
    record BootStartCounter(String host, long sequence, long expectedCounter, long counter) implements LinkFinding {
        @Override public FindingKind kind() { return FindingKind.BOOT_SPLICE; }
        @Override public String expected() { return Long.toString(expectedCounter); }
        @Override public String found() { return Long.toString(counter); }
        @Override public String detail() { return "boot counter of a boot's first segment"; }
    }

    /** A boot's first segment does not start at record 0 from all-zero PCRs: its {@code base}. */
    record BootStartBase(String host, long sequence, PcrState base) implements LinkFinding {
        public BootStartBase { Objects.requireNonNull(base); }
        @Override public FindingKind kind() { return FindingKind.BOOT_SPLICE; }
        @Override public String expected() { return "base at index 0 with all-zero PCRs"; }
        @Override public String found() { return FindingText.state(base); }
        @Override public String detail() { return "a boot's first segment does not start at its boot"; }
    }

    /**
     * Boot {@code bootCounter}, whose last segment is {@code sequence}, is followed by a new boot at
     * {@code nextSequence} without having been closed by the run at shutdown: what the kernel measured
     * after that segment's quote is not in the archive.
     */
    record UnclosedBoot(String host, long sequence, Source source, long bootCounter, long nextSequence) implements LinkFinding {
        public UnclosedBoot { Objects.requireNonNull(source); }
        @Override public FindingKind kind() { return FindingKind.UNCLOSED_BOOT; }
        @Override public String expected() { return "closesBoot"; }
        @Override public String found() { return "none"; }
        @Override public String detail() {
            return "boot " + bootCounter + " ends at segment " + sequence + (source == Source.RECEIPT ? " (the receipt's)" : "")
                    + " without a shutdown run; segment " + nextSequence + " starts boot " + (bootCounter + 1)
                    + ": records measured after segment " + sequence + "'s quote may have been lost";
        }
    }
}

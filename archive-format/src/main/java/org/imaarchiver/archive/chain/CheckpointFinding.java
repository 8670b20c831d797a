package org.imaarchiver.archive.chain;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.PcrState;

/**
 * A compacted segment's checkpoints (docs/archive-format.md §16.5). {@code checkpoint} is the
 * original sequence of the checkpoint; for the replay findings it is empty at the last checkpoint,
 * which is the segment's own end quote and reports as {@link FindingKind#REPLAY_MISMATCH}.
 */
public sealed interface CheckpointFinding extends ChainFinding {
    long sequence();

    @Override default OptionalLong segment() { return OptionalLong.of(sequence()); }

    /** {@code "checkpoint N: "}, or nothing for the segment's own end quote. */
    private static String what(OptionalLong checkpoint) {
        return checkpoint.isPresent() ? "checkpoint " + checkpoint.getAsLong() + ": " : "";
    }

    private static FindingKind kindAt(OptionalLong checkpoint) {
        return checkpoint.isPresent() ? FindingKind.CHECKPOINT_MISMATCH : FindingKind.REPLAY_MISMATCH;
    }

    /** The checkpoint's quote already matches at {@code foundQuotePoint}, before its own quote point. */
    record QuotedEarlier(String host, long sequence, OptionalLong checkpoint, long expectedQuotePoint, long foundQuotePoint)
            implements CheckpointFinding {
        public QuotedEarlier { Objects.requireNonNull(checkpoint); }
        @Override public FindingKind kind() { return kindAt(checkpoint); }
        @Override public OptionalLong record() { return OptionalLong.of(foundQuotePoint - 1); }
        @Override public String expected() { return "quote point " + expectedQuotePoint; }
        @Override public String found() { return "quote point " + foundQuotePoint; }
        @Override public String detail() { return what(checkpoint) + "the quote already matches after record " + (foundQuotePoint - 1); }
    }

    /** The replay up to the checkpoint's quote point gives {@code replayed}, not its {@code end}. */
    record EndMismatch(String host, long sequence, OptionalLong checkpoint, PcrState end, PcrState replayed) implements CheckpointFinding {
        public EndMismatch { Objects.requireNonNull(checkpoint); Objects.requireNonNull(end); Objects.requireNonNull(replayed); }
        @Override public FindingKind kind() { return kindAt(checkpoint); }
        @Override public OptionalLong record() { return OptionalLong.empty(); }
        @Override public String expected() { return FindingText.state(end); }
        @Override public String found() { return FindingText.state(replayed); }
        @Override public String detail() { return what(checkpoint) + "replay does not reproduce the end state at the quote point"; }
    }

    /** No prefix of the rows up to the checkpoint's quote point gives its quote; the replay ends in {@code replayed}. */
    record NoQuotePoint(String host, long sequence, OptionalLong checkpoint, long quotePoint, PcrState replayed)
            implements CheckpointFinding {
        public NoQuotePoint { Objects.requireNonNull(checkpoint); Objects.requireNonNull(replayed); }
        @Override public FindingKind kind() { return kindAt(checkpoint); }
        @Override public OptionalLong record() { return OptionalLong.of(quotePoint - 1); }
        @Override public String expected() { return "quote point " + quotePoint; }
        @Override public String found() { return FindingText.state(replayed); }
        @Override public String detail() { return what(checkpoint) + "no prefix of the rows gives the quote"; }
    }

    /** Checkpoint {@code checkpoint} names {@code namedPrevious} as its predecessor's manifest digest, not {@code expectedPrevious}. */
    record Unlinked(String host, long sequence, long checkpoint, long recordIndex, Optional<Digest> expectedPrevious, Optional<Digest> namedPrevious)
            implements CheckpointFinding {
        public Unlinked { Objects.requireNonNull(expectedPrevious); Objects.requireNonNull(namedPrevious); }
        @Override public FindingKind kind() { return FindingKind.CHECKPOINT_MISMATCH; }
        @Override public OptionalLong record() { return OptionalLong.of(recordIndex); }
        @Override public String expected() { return FindingText.digestOrNone(expectedPrevious); }
        @Override public String found() { return FindingText.digestOrNone(namedPrevious); }
        @Override public String detail() { return "checkpoint " + checkpoint + " does not link to its predecessor"; }
    }

    /** The checkpoint's derived nonce ({@code stored}) is not the one recomputed from its fields ({@code derived}). */
    record NonceMismatch(String host, long sequence, long checkpoint, long recordIndex, Digest derived, Bytes stored)
            implements CheckpointFinding {
        public NonceMismatch { Objects.requireNonNull(derived); Objects.requireNonNull(stored); }
        @Override public FindingKind kind() { return FindingKind.CHECKPOINT_MISMATCH; }
        @Override public OptionalLong record() { return OptionalLong.of(recordIndex); }
        @Override public String expected() { return derived.hex(); }
        @Override public String found() { return stored.hex(); }
        @Override public String detail() { return "checkpoint " + checkpoint + ": the derived nonce does not recompute"; }
    }

    /** The checkpoint quote's pcrDigest is not the digest of its end PCRs ({@code computed}, when they have values). */
    record PcrDigestMismatch(String host, long sequence, long checkpoint, long recordIndex, Digest quoted, Optional<Digest> computed)
            implements CheckpointFinding {
        public PcrDigestMismatch { Objects.requireNonNull(quoted); Objects.requireNonNull(computed); }
        @Override public FindingKind kind() { return FindingKind.CHECKPOINT_MISMATCH; }
        @Override public OptionalLong record() { return OptionalLong.of(recordIndex); }
        @Override public String expected() { return quoted.hex(); }
        @Override public String found() { return computed.map(Digest::hex).orElse(""); }
        @Override public String detail() { return "checkpoint " + checkpoint + ": the quote does not attest the checkpoint's end PCRs"; }
    }

    /** The checkpoint quote's resetCount/restartCount are not the checkpoint's boot. */
    record BootMismatch(String host, long sequence, long checkpoint, long recordIndex, long resetCount, long restartCount,
                        long quoteResetCount, long quoteRestartCount) implements CheckpointFinding {
        @Override public FindingKind kind() { return FindingKind.CHECKPOINT_MISMATCH; }
        @Override public OptionalLong record() { return OptionalLong.of(recordIndex); }
        @Override public String expected() { return resetCount + "/" + restartCount; }
        @Override public String found() { return quoteResetCount + "/" + quoteRestartCount; }
        @Override public String detail() {
            return "checkpoint " + checkpoint + ": the quote's resetCount/restartCount are not the checkpoint's boot";
        }
    }

    /** The checkpoint quote is malformed or its nonce is not the checkpoint's ({@code nonceFound}: its extraData then). */
    record QuoteInvalid(String host, long sequence, long checkpoint, long recordIndex, Optional<Bytes> nonceFound, String failure)
            implements CheckpointFinding {
        public QuoteInvalid { Objects.requireNonNull(nonceFound); Objects.requireNonNull(failure); }
        @Override public FindingKind kind() { return FindingKind.CHECKPOINT_MISMATCH; }
        @Override public OptionalLong record() { return OptionalLong.of(recordIndex); }
        @Override public String expected() { return "a verifiable quote"; }
        @Override public String found() { return nonceFound.map(Bytes::hex).orElse(""); }
        @Override public String detail() { return "checkpoint " + checkpoint + ": " + failure; }
    }

    /** The checkpoint quote verifies under none of the {@code enrolled} AKs of the host. */
    record UntrustedAk(String host, long sequence, long checkpoint, long recordIndex, int enrolled, Bytes akName)
            implements CheckpointFinding {
        public UntrustedAk { Objects.requireNonNull(akName); }
        @Override public FindingKind kind() { return FindingKind.CHECKPOINT_MISMATCH; }
        @Override public OptionalLong record() { return OptionalLong.of(recordIndex); }
        @Override public String expected() { return enrolled + " enrolled AK(s)"; }
        @Override public String found() { return akName.hex(); }
        @Override public String detail() { return "checkpoint " + checkpoint + ": the quote verifies under no enrolled AK"; }
    }
}

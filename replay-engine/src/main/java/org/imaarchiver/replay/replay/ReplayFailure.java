package org.imaarchiver.replay.replay;

import java.util.Collections;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;

/**
 * Why a replay cannot be trusted as it stands. The permitted records are the catalogue. A failure
 * that {@link #stopsReplay() stops the replay} leaves the result's state at the last record before
 * it; the others are reported while the replay goes on.
 */
public sealed interface ReplayFailure permits ReplayFailure.TemplateDigestMismatch, ReplayFailure.UnhashableTemplate,
        ReplayFailure.UnsupportedDigestLength, ReplayFailure.IndexGap, ReplayFailure.PcrOutOfRange,
        ReplayFailure.MalformedInput, ReplayFailure.PcrMismatch, ReplayFailure.BankNotReplayed,
        ReplayFailure.NoQuotePoint {

    /** One line for operators, composed from the fields. */
    String describe();

    /** True when the replay could not go past this failure. */
    default boolean stopsReplay() { return false; }

    /**
     * The digest stored in the record differs from the digest recomputed over its template data in
     * the stored digest's bank (kernel-interface.md B.7). The replay extends the recomputed digests and goes
     * on, so one bad record does not hide later ones; the replay is not verified.
     */
    record TemplateDigestMismatch(long recordIndex, long offset, HashAlgorithm bank, Digest stored, Digest computed)
            implements ReplayFailure {
        public TemplateDigestMismatch {
            Objects.requireNonNull(bank);
            Objects.requireNonNull(stored);
            Objects.requireNonNull(computed);
        }

        @Override
        public String describe() {
            return "record " + recordIndex + " (byte offset " + offset + "): stored " + bank + " template digest "
                    + stored.hex() + " != recomputed " + computed.hex();
        }
    }

    /** The template data cannot be hashed by the kernel's rule (a malformed {@code ima} template, B.3/B.7). */
    record UnhashableTemplate(long recordIndex, long offset, String templateName, String reason) implements ReplayFailure {
        public UnhashableTemplate {
            Objects.requireNonNull(templateName);
            Objects.requireNonNull(reason);
        }

        @Override
        public String describe() {
            return "record " + recordIndex + " (byte offset " + offset + "): template " + templateName
                    + " cannot be hashed: " + reason;
        }

        @Override
        public boolean stopsReplay() { return true; }
    }

    /** The stored template digest has a length that is no supported bank's (B.1, B.3). */
    record UnsupportedDigestLength(long recordIndex, long offset, int length) implements ReplayFailure {
        @Override
        public String describe() {
            return "record " + recordIndex + " (byte offset " + offset + "): stored template digest of "
                    + length + " bytes matches no supported bank";
        }

        @Override
        public boolean stopsReplay() { return true; }
    }

    /** The source skipped or repeated records: absolute indices must continue the base state. */
    record IndexGap(long expected, long found, long offset) implements ReplayFailure {
        @Override
        public String describe() {
            return "expected record " + expected + " but the source gave record " + found + " (byte offset " + offset + ")";
        }

        @Override
        public boolean stopsReplay() { return true; }
    }

    /** The record names a PCR outside 0..{@value PcrBank#MAX_PCR} (B.11). */
    record PcrOutOfRange(long recordIndex, long offset, int pcr) implements ReplayFailure {
        @Override
        public String describe() {
            return "record " + recordIndex + " (byte offset " + offset + "): PCR " + pcr + " outside 0.." + PcrBank.MAX_PCR;
        }

        @Override
        public boolean stopsReplay() { return true; }
    }

    /** The source could not parse the next record; the state covers the records before it. */
    record MalformedInput(MalformedLogException.Kind kind, String source, long recordIndex, long offset, String detail)
            implements ReplayFailure {
        public MalformedInput {
            Objects.requireNonNull(kind);
            Objects.requireNonNull(source);
            Objects.requireNonNull(detail);
        }

        static MalformedInput of(MalformedLogException e) {
            return new MalformedInput(e.kind(), e.source(), e.recordIndex(), e.offset(), e.detail());
        }

        @Override
        public String describe() {
            return source + ": " + (kind == MalformedLogException.Kind.TORN_TAIL ? "torn tail" : "malformed list (" + kind + ")")
                    + " at record " + recordIndex + " (byte offset " + offset + "): " + detail;
        }

        @Override
        public boolean stopsReplay() { return true; }
    }

    /** A replayed PCR differs from the expected value under every extend mode tried (B.10). */
    record PcrMismatch(int pcr, HashAlgorithm bank, Digest expected, Digest replayed, long recordsReplayed)
            implements ReplayFailure {
        public PcrMismatch {
            Objects.requireNonNull(bank);
            Objects.requireNonNull(expected);
            Objects.requireNonNull(replayed);
        }

        @Override
        public String describe() {
            return "PCR " + pcr + " (" + bank + ") after " + recordsReplayed + " records: replayed " + replayed.hex()
                    + " != expected " + expected.hex();
        }
    }

    /** Expected values or a quote selection name a bank the replay state does not carry. */
    record BankNotReplayed(HashAlgorithm bank) implements ReplayFailure {
        public BankNotReplayed {
            Objects.requireNonNull(bank);
        }

        @Override
        public String describe() { return "bank " + bank + " is not replayed"; }

        @Override
        public boolean stopsReplay() { return true; }
    }

    /**
     * No prefix of the log, from the base state on, gives the quote's pcrDigest (kernel-interface.md C.3).
     * Carries the selected PCR values at the end of the replay: if they are the values the TPM holds
     * (e.g. a PCR read), a record is missing from the log; if they look right, suspect the quote.
     */
    record NoQuotePoint(Digest expectedPcrDigest, Digest endPcrDigest, long endIndex, SortedMap<PcrBank, Digest> endValues)
            implements ReplayFailure {
        public NoQuotePoint {
            Objects.requireNonNull(expectedPcrDigest);
            Objects.requireNonNull(endPcrDigest);
            endValues = Collections.unmodifiableSortedMap(new TreeMap<>(endValues));
        }

        @Override
        public String describe() {
            StringBuilder sb = new StringBuilder("no record index up to ").append(endIndex)
                    .append(" gives the quote's pcrDigest ").append(expectedPcrDigest.hex())
                    .append("; at the end the digest is ").append(endPcrDigest.hex()).append(" over");
            endValues.forEach((k, v) -> sb.append(' ').append(k).append('=').append(v.hex()));
            return sb.toString();
        }
    }
}

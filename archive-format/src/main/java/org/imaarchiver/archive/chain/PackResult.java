package org.imaarchiver.archive.chain;

import java.util.List;
import java.util.Objects;
import org.imaarchiver.replay.quote.QuoteFailure;
import org.imaarchiver.replay.replay.ReplayFailure;

/** The outcome of {@link SegmentPacker#pack}. */
public sealed interface PackResult permits PackResult.Packed, PackResult.NothingToPack, PackResult.Failure {

    /**
     * A segment was written, signed, stored and re-read durably.
     *
     * @param segmentKey the Parquet object's key
     * @param sequence   its chain sequence
     * @param records    number of records in it
     * @param quotePoint absolute index after its last record (= the quote point)
     * @param newBoot    true when it starts a new boot (record 0)
     */
    record Packed(String segmentKey, long sequence, long records, long quotePoint, boolean newBoot) implements PackResult {}

    /** The quote attests exactly the head's end state: nothing new to archive. */
    record NothingToPack(long quotePoint) implements PackResult {}

    /** Why nothing was stored. Each names a stable {@link #kind()}. */
    sealed interface Failure extends PackResult permits QuoteInvalid, NoQuotePoint, ReplayNotClean, StoreConflict,
            RecordsMissing, BootUndecidable, HeadUnreadable, NotDurable, AkNameMismatch {
        /** Stable id, e.g. {@code quote-invalid}. */
        String kind();

        /** One line for operators. */
        String describe();
    }

    /** The quote's signature, magic, type or nonce does not verify. */
    record QuoteInvalid(QuoteFailure reason) implements Failure {
        public QuoteInvalid { Objects.requireNonNull(reason, "reason"); }
        @Override public String kind() { return "quote-invalid"; }
        @Override public String describe() { return "quote does not verify: " + reason.describe(); }
    }

    /** No prefix of the list from the base gives the quote's pcrDigest (kernel-interface.md C.3). */
    record NoQuotePoint(long baseIndex, ReplayFailure reason) implements Failure {
        public NoQuotePoint { Objects.requireNonNull(reason, "reason"); }
        @Override public String kind() { return "no-quote-point"; }
        @Override public String describe() { return "no quote point from record " + baseIndex + ": " + reason.describe(); }
    }

    /** The replay up to the quote point had failures (e.g. a template digest mismatch). */
    record ReplayNotClean(long quotePoint, long failureCount, List<ReplayFailure> failures) implements Failure {
        public ReplayNotClean { failures = List.copyOf(failures); }
        @Override public String kind() { return "replay-not-clean"; }
        @Override public String describe() {
            return failureCount + " replay failure(s) before quote point " + quotePoint
                    + (failures.isEmpty() ? "" : ", first: " + failures.get(0).describe());
        }
    }

    /**
     * A create-only upload found the key taken: another packer (or an earlier run) won the race for
     * this sequence. Re-read the head and try again.
     */
    record StoreConflict(String key, long sequence) implements Failure {
        @Override public String kind() { return "store-conflict"; }
        @Override public String describe() { return "segment " + sequence + " already exists (" + key + "): concurrent packer"; }
    }

    /**
     * The records do not reach back to the base: the slice starts after the head's next index (a
     * trim without archiving?), or the list starts at a later index with no head.
     */
    record RecordsMissing(long expectedIndex, long foundIndex) implements Failure {
        @Override public String kind() { return "records-missing"; }
        @Override public String describe() { return "expected record " + expectedIndex + " but the list starts at " + foundIndex; }
    }

    /** Same boot or new boot cannot be decided safely (see {@link SegmentPacker}). */
    record BootUndecidable(String detail) implements Failure {
        @Override public String kind() { return "boot-undecidable"; }
        @Override public String describe() { return detail; }
    }

    /** The chain head's sidecar cannot be read or decoded. */
    record HeadUnreadable(String key, String detail) implements Failure {
        @Override public String kind() { return "head-unreadable"; }
        @Override public String describe() { return key + ": " + detail; }
    }

    /** An uploaded object did not re-read with the SHA-256 that was sent: do not trim. */
    record NotDurable(String key) implements Failure {
        @Override public String kind() { return "not-durable"; }
        @Override public String describe() { return key + " does not re-read with the bytes sent"; }
    }

    /** The evidence's AK name is not the TPM name of the AK public key given (loaded from TPM2B_PUBLIC). */
    record AkNameMismatch(org.imaarchiver.replay.bytes.Bytes keyName, org.imaarchiver.replay.bytes.Bytes evidenceName) implements Failure {
        @Override public String kind() { return "ak-name-mismatch"; }
        @Override public String describe() { return "AK name " + evidenceName.hex() + " but the AK's TPM name is " + keyName.hex(); }
    }
}

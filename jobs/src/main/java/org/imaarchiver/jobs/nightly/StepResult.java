package org.imaarchiver.jobs.nightly;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.archive.chain.ChainHead;
import org.imaarchiver.archive.chain.PackPlan;
import org.imaarchiver.replay.quote.QuoteEvidence;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.jobs.host.securityfs.SecurityfsFeatures;
import org.imaarchiver.jobs.host.securityfs.SecurityfsLog;
import org.imaarchiver.jobs.host.state.HostLock;
import org.imaarchiver.jobs.host.state.RecordId;
import org.imaarchiver.jobs.host.state.TrimIntent;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.quote.AkPublicKey;

/**
 * What a step of the nightly job established, recorded once in the {@link RunLedger} the moment it
 * is true (so that a failure later in the same step does not lose it: {@code recordHead} must see
 * a trim that happened). Later steps read the results of earlier ones; nothing is changed after.
 */
sealed interface StepResult {

    /** acquireHostLock: this process is the host's only archiver until the lock is closed. */
    record HostLocked(HostLock lock) implements StepResult {}

    /**
     * recoverJournal: the store, the kernel and the cursor a journaled trim of a killed run left.
     *
     * @param head          the archive's chain head before this run
     * @param trimmedSoFar  absolute index of the kernel list's first record
     * @param kernelHead    the kernel's first record (the staged list's, if a batch is staged)
     * @param recordZero    record 0 of the boot when the list still starts there
     * @param block         why trimming stops (the first disagreement found), if it does
     * @param staging       trims by staging with prompt ({@code ima_flush_htable})
     * @param bootAmbiguous the list starts with a boot_aggregate and nothing tells a reboot from a kexec: quoteTpm decides
     */
    record Recovered(ArchiveStore store, SecurityfsLog log, Optional<ChainHead> head, long trimmedSoFar,
                     Optional<MeasurementRecord> kernelHead, Optional<MeasurementRecord> recordZero, Optional<String> block,
                     boolean staging, boolean bootAmbiguous, ExcessRecords excessRecords) implements StepResult {}

    /** checkFeatures: what the kernel offers; archive-only kernels are never trimmed. */
    record FeaturesChecked(SecurityfsFeatures features, boolean staging, Optional<String> notTrimmedBecause) implements StepResult {}

    /** quoteTpm, before planning: the cursor once the TPM's resetCount told a reboot from a kexec. */
    record BootDecided(long trimmedSoFar, Optional<MeasurementRecord> recordZero) implements StepResult {}

    /** quoteTpm: where the segment goes, and the quote taken with the plan's nonce. */
    record Quoted(PackPlan plan, QuoteEvidence quote, AkPublicKey ak) implements StepResult {}

    /**
     * spoolKernelList, staging only: the kept excess this run replays (see {@code SpoolKernelListStep});
     * the cursor falls back to the archive's end when records are neither archived nor kept.
     */
    record ExcessSettled(Optional<ExcessRecords.Excess> excess, long trimmedSoFar, Optional<String> block, List<String> notes)
            implements StepResult {
        public ExcessSettled {
            notes = List.copyOf(notes);
        }
    }

    /** spoolKernelList: the spool file is (being) written. */
    record SpoolOpened(SpoolFile spool) implements StepResult {}

    /**
     * spoolKernelList: the list is spooled.
     *
     * @param kernelListRecords records read from the kernel (staged and current lists)
     * @param stagedCount       records of the staged batch read (0: none, or blocked)
     * @param writerLock        how long {@code A} held the writer fd, if it was opened
     */
    record Spooled(long kernelListRecords, long stagedCount, Optional<String> notTrimmedBecause, Optional<Duration> writerLock)
            implements StepResult {}

    /**
     * persistSegment: the segment is in the store (records > 0), or the archive already ends at the quote point.
     *
     * @param archiveEnd    the quote point: the archive's next index
     * @param segmentKey    the segment holding the records up to the quote point
     * @param bytesUploaded bytes of the segment, signature and manifest this run uploaded
     */
    record Persisted(long archived, long archiveEnd, Optional<String> segmentKey, long bytesUploaded) implements StepResult {}

    /** confirmDurable: the archive's head, re-read, ends at the quote point. */
    record Durable(ChainHead head) implements StepResult {
        public Durable {
            Objects.requireNonNull(head, "head");
        }
    }

    /**
     * journalTrimIntent: the trim (or D) about to happen is journaled; nothing to trim when empty.
     *
     * @param newExcess staging: the staged records beyond the quote point, kept durably before D
     */
    record Journaled(Optional<TrimIntent> intent, Optional<ExcessRecords.Excess> newExcess) implements StepResult {
        static Journaled nothing() { return new Journaled(Optional.empty(), Optional.empty()); }
    }

    /** trimKernelLog: the kernel deleted {@code n} records; the list now starts at {@code trimmedSoFar}. */
    record KernelTrimmed(long n, long trimmedSoFar, Optional<Duration> writerLock) implements StepResult {}

    /** trimKernelLog, staging: the current list's first record right after D (the head the next run must find). */
    record HeadAfterDelete(Optional<RecordId> head) implements StepResult {}

    /** trimKernelLog: nothing was deleted; the journaled intent (and a new excess) is void. */
    record TrimDeclined(Optional<String> notTrimmedBecause, Optional<String> block, Optional<Duration> writerLock)
            implements StepResult {}
}

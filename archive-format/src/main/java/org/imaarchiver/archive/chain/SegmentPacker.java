package org.imaarchiver.archive.chain;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.archive.sign.SegmentSigner;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.replay.log.Bytes;
import org.imaarchiver.replay.log.MeasurementRecord;

/**
 * Packs the next segment of a host's chain (docs/archive-format.md "Packing"): reads the chain head,
 * decides same boot or new boot, verifies the quote (signature and nonce), finds the quote point from
 * the base, writes the records {@code [base.nextIndex, quotePoint)} as a segment, signs its manifest
 * and uploads segment file, CMS and sidecar manifest create-only, then re-reads them
 * ({@code verifyDurable}). Memory is bounded: the records are spooled to a file in {@code workDir}.
 *
 * <p>Same boot or new boot (with a head; without one it is always a new boot, boot counter 0):
 * <ol>
 *   <li>the quote's AK name equals the head quote's AK name and its resetCount differs: new boot;
 *   <li>the list starts at record 0 and its boot_aggregate differs from the head's: new boot;
 *   <li>same AK, same resetCount, same (or unknown) boot_aggregate: same boot;
 *   <li>same AK, same resetCount but a different boot_aggregate: {@link PackResult.BootUndecidable}
 *       (the TPM says same boot, the list says otherwise);
 *   <li>another AK (resetCounts incomparable) and the boot_aggregate equal or unknown:
 *       {@link PackResult.BootUndecidable} (boot_aggregate hashes PCRs 0-9 and repeats across boots).
 * </ol>
 * A new boot's segment starts at record 0 (boot_aggregate) from all-zero PCRs; its boot counter is
 * the head's + 1.
 */
public final class SegmentPacker {
    private final ArchiveStore store;
    private final SegmentSigner signer;
    private final Path workDir;

    /**
     * @param store   where the chain lives
     * @param signer  signs the manifests
     * @param workDir local scratch directory (segment files and spooled records; removed after use)
     */
    public SegmentPacker(ArchiveStore store, SegmentSigner signer, Path workDir) {
        this.store = Objects.requireNonNull(store, "store");
        this.signer = Objects.requireNonNull(signer, "signer");
        this.workDir = Objects.requireNonNull(workDir, "workDir");
    }

    /**
     * Decides where the host's next segment goes, before quoting: the nonce to quote with is
     * {@link PackPlan#derivedNonce()}.
     *
     * @param hostId       the host
     * @param recordZero   record 0 of the current boot's list if the caller still has it (its
     *                     boot_aggregate); empty after trims
     * @param resetCount   the TPM's resetCount as the AK reports it (read just before quoting)
     * @param restartCount the TPM's restartCount, likewise
     * @param akName       the TPM name of the AK that will quote
     * @return the plan, or the failure that stops packing
     */
    public PlanResult plan(String hostId, Optional<MeasurementRecord> recordZero, long resetCount, long restartCount,
                           Bytes akName) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    /** {@link #plan} outcome: a plan or a packing failure. */
    public sealed interface PlanResult permits Planned, Refused {}

    public record Planned(PackPlan plan) implements PlanResult {}

    public record Refused(PackResult.Failure failure) implements PlanResult {}

    /**
     * Packs the next segment.
     *
     * @return {@link PackResult.Packed}, {@link PackResult.NothingToPack} or a typed failure (a
     *     concurrent packer that stored the same sequence first gives {@link PackResult.StoreConflict})
     * @throws IOException on I/O failures of the list, the work directory or the store (including
     *     {@code StoreOutcomeUnknownException}: do not trim before re-checking)
     */
    public PackResult pack(PackRequest request) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }
}

package org.imaarchiver.archive.chain;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.imaarchiver.archive.segment.BootIdentity;
import org.imaarchiver.archive.segment.MalformedManifestException;
import org.imaarchiver.archive.segment.ManifestCodec;
import org.imaarchiver.archive.segment.NonceDerivation;
import org.imaarchiver.archive.segment.QuoteNonce;
import org.imaarchiver.archive.segment.ReplayFacts;
import org.imaarchiver.archive.segment.SegmentManifest;
import org.imaarchiver.archive.segment.SegmentSummary;
import org.imaarchiver.archive.segment.QueryColumns;
import org.imaarchiver.archive.segment.SegmentWriter;
import org.imaarchiver.archive.segment.WrittenSegment;
import org.imaarchiver.archive.sign.SegmentSigner;
import org.imaarchiver.archive.sign.SigningException;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.ObjectAlreadyExistsException;
import org.imaarchiver.archive.store.StoredObject;
import org.imaarchiver.replay.log.BinaryLogReader;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.LogReadOptions;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrState;
import org.imaarchiver.replay.quote.MalformedQuoteException;
import org.imaarchiver.replay.quote.PcrSelection;
import org.imaarchiver.replay.quote.Quote;
import org.imaarchiver.replay.quote.QuoteFailure;
import org.imaarchiver.replay.quote.QuoteResult;
import org.imaarchiver.replay.quote.QuoteVerifier;
import org.imaarchiver.replay.quote.VerifiedQuote;
import org.imaarchiver.replay.replay.QuotePointFinder;
import org.imaarchiver.replay.replay.QuotePointResult;
import org.imaarchiver.replay.replay.RecordSource;
import org.imaarchiver.replay.replay.Replayer;
import org.imaarchiver.replay.log.RecordDecoder;
import org.imaarchiver.replay.template.DecodedRecord;

/**
 * Packs the next segment of a host's chain (docs/archive-format.md "Packing"): reads the chain head,
 * decides same boot or new boot, verifies the quote (signature and nonce), finds the quote point from
 * the base, writes the records {@code [base.nextIndex, quotePoint)} as a segment, signs its manifest
 * and uploads segment file, CMS and sidecar manifest create-only (in that order: the sidecar is the
 * commit, the head is found by listing sidecars), then re-reads them ({@code verifyDurable}). Memory
 * is bounded: the records read during the quote-point search are spooled to a file in {@code workDir}.
 *
 * <p>Same boot or new boot (with a head; without one it is always a new boot, boot counter 0):
 * <ol>
 *   <li>the quote's AK name equals the head quote's AK name and its resetCount differs: new boot;
 *   <li>same AK, same resetCount, and the list's record 0 (if the caller has it) has the head's
 *       boot_aggregate: same boot;
 *   <li>same AK, same resetCount but a different boot_aggregate: {@link PackResult.BootUndecidable}
 *       (the TPM says same boot, the list says otherwise);
 *   <li>another AK (resetCounts are then incomparable, C.4) and record 0's boot_aggregate differs:
 *       new boot;
 *   <li>another AK and the boot_aggregate equal or unknown: {@link PackResult.BootUndecidable}
 *       (boot_aggregate hashes PCRs 0-9, kernel-interface.md B.9, and repeats across boots of a host).
 * </ol>
 * A new boot's segment starts at record 0, which must be the boot_aggregate, from all-zero PCRs in
 * the banks the quote selects (extend mode per-bank-hash); its boot counter is the head's + 1.
 */
public final class SegmentPacker {
    /** Template name of record 0 of every boot (kernel-interface.md B.9). */
    public static final String BOOT_AGGREGATE = "boot_aggregate";

    private final ArchiveStore store;
    private final SegmentSigner signer;
    private final Path workDir;
    private final Replayer replayer;
    private final QuoteVerifier quoteVerifier = new QuoteVerifier();

    /**
     * @param store   where the chain lives
     * @param signer  signs the manifests
     * @param workDir local scratch directory (segment files and spooled records; removed after use)
     */
    public SegmentPacker(ArchiveStore store, SegmentSigner signer, Path workDir) {
        this(store, signer, workDir, Replayer.parallel());
    }

    /** With a given replayer (e.g. {@link Replayer#sequential()} in small jobs). */
    public SegmentPacker(ArchiveStore store, SegmentSigner signer, Path workDir, Replayer replayer) {
        this.store = Objects.requireNonNull(store, "store");
        this.signer = Objects.requireNonNull(signer, "signer");
        this.workDir = Objects.requireNonNull(workDir, "workDir");
        this.replayer = Objects.requireNonNull(replayer, "replayer");
    }

    /** {@link #plan} outcome: a plan or a packing failure. */
    public sealed interface PlanResult permits Planned, Refused {}

    public record Planned(PackPlan plan) implements PlanResult {}

    public record Refused(PackResult.Failure failure) implements PlanResult {}

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
        ArchiveLayout.requireValidHostId(hostId);
        Optional<ChainHead> head;
        try {
            head = new ChainIndex(store).head(hostId);
        } catch (MalformedManifestException e) {
            return new Refused(new PackResult.HeadUnreadable(ArchiveLayout.segmentsPrefix(hostId), e.getMessage()));
        }
        return decide(hostId, head, recordZero, resetCount, restartCount, akName);
    }

    static PlanResult decide(String host, Optional<ChainHead> head, Optional<MeasurementRecord> recordZero, long resetCount,
                             long restartCount, Bytes akName) {
        if (recordZero.isPresent() && recordZero.get().index() != 0) throw new IllegalArgumentException("recordZero has index " + recordZero.get().index());
        Optional<BootAggregate> ba = Optional.empty();
        if (recordZero.isPresent()) {
            Optional<BootAggregate> parsed = BootAggregate.of(recordZero.get());
            if (parsed.isEmpty()) {
                return new Refused(new PackResult.BootUndecidable("record 0 is not a boot_aggregate with a digest (template "
                        + recordZero.get().templateName() + ")"));
            }
            ba = parsed;
        }
        if (head.isEmpty()) return newBoot(host, head, ba, resetCount, restartCount, 0);
        SegmentManifest h = head.get().manifest();
        BootIdentity hb = h.boot();
        boolean sameAk = h.quote().akName().equals(akName);
        boolean baDiffers = ba.isPresent() && !(ba.get().algorithm() == hb.bootAggregateAlgorithm()
                && ba.get().digest().equals(hb.bootAggregate()));
        if (sameAk) {
            if (resetCount != hb.resetCount()) return newBoot(host, head, ba, resetCount, restartCount, hb.bootCounter() + 1);
            if (baDiffers) {
                return new Refused(new PackResult.BootUndecidable("same AK and resetCount " + resetCount
                        + " as the head, but record 0's boot_aggregate " + ba.get().digest().hex() + " differs from "
                        + hb.bootAggregate().hex()));
            }
            BootIdentity boot = new BootIdentity(hb.bootAggregateAlgorithm(), hb.bootAggregate(), resetCount, restartCount,
                    hb.bootCounter());
            Optional<org.imaarchiver.replay.pcr.Digest> prev = Optional.of(head.get().linkDigest());
            long seq = head.get().nextSequence();
            return new Planned(new PackPlan(host, seq, prev, boot, false, Optional.of(h.end()),
                    QuoteNonce.derive(host, boot, seq, prev), Optional.of(h.replay())));
        }
        if (baDiffers) return newBoot(host, head, ba, resetCount, restartCount, hb.bootCounter() + 1);
        return new Refused(new PackResult.BootUndecidable("the quote's AK " + akName.hex() + " is not the head's "
                + h.quote().akName().hex() + " and the boot_aggregate is " + (ba.isPresent() ? "the same" : "unknown")
                + ": cannot tell a new boot from the same one"));
    }

    private static PlanResult newBoot(String host, Optional<ChainHead> head, Optional<BootAggregate> ba, long resetCount,
                                      long restartCount, long bootCounter) {
        if (ba.isEmpty()) {
            return new Refused(new PackResult.BootUndecidable("a new boot starts at record 0 (boot_aggregate), "
                    + "which the list does not hold"));
        }
        BootIdentity boot = new BootIdentity(ba.get().algorithm(), ba.get().digest(), resetCount, restartCount, bootCounter);
        Optional<org.imaarchiver.replay.pcr.Digest> prev = head.map(ChainHead::linkDigest);
        long seq = head.map(ChainHead::nextSequence).orElse(0L);
        return new Planned(new PackPlan(host, seq, prev, boot, true, Optional.empty(), QuoteNonce.derive(host, boot, seq, prev)));
    }

    /** The boot_aggregate's file digest (kernel-interface.md B.9). */
    record BootAggregate(HashAlgorithm algorithm, org.imaarchiver.replay.pcr.Digest digest) {
        static Optional<BootAggregate> of(MeasurementRecord r) {
            DecodedRecord d;
            try {
                d = RecordDecoder.decode(r);
            } catch (MalformedLogException e) {
                return Optional.empty();
            }
            if (!d.name().equals(Optional.of(BOOT_AGGREGATE)) || d.fileDigest().isEmpty() || d.fileDigestAlgorithm().isEmpty()) {
                return Optional.empty();
            }
            Optional<HashAlgorithm> alg = HashAlgorithm.byKernelName(d.fileDigestAlgorithm().get());
            if (alg.isEmpty() || alg.get().digestLength() != d.fileDigest().get().length()) return Optional.empty();
            return Optional.of(new BootAggregate(alg.get(), d.fileDigest().get()));
        }
    }

    /**
     * Packs the next segment of evidence quoted without a plan (imported quotes, {@link PackNonce.External}):
     * plans from the quote's own counters and the list's record 0 as {@link #plan} would, then
     * {@link #pack(PackPlan, PackRequest)}. A caller that planned before quoting passes its plan instead.
     *
     * @return as {@link #pack(PackPlan, PackRequest)}, or the failure {@link #plan} refused with
     */
    public PackResult pack(PackRequest req) throws IOException {
        Optional<PackResult> invalid = akMismatch(req);
        if (invalid.isPresent()) return invalid.get();
        Quote parsed;
        try {
            parsed = req.quote().attested();
        } catch (MalformedQuoteException e) {
            return malformed(e);
        }
        Optional<MeasurementRecord> first = next(req.records());
        PlanResult pr = plan(req.hostId(), first.filter(r -> r.index() == 0), parsed.resetCount(), parsed.restartCount(),
                req.quote().akName());
        if (pr instanceof Refused r) return r.failure();
        return packPlanned(((Planned) pr).plan(), req, first);
    }

    /**
     * Packs the next segment where {@code plan} (from {@link #plan}, before the quote was taken) put
     * it: the head is not read again. A head that moved since the plan makes the create-only upload
     * fail ({@link PackResult.StoreConflict}); a quote taken with another plan's nonce fails the nonce check.
     *
     * @return {@link PackResult.Packed}, {@link PackResult.NothingToPack} or a typed failure (a
     *     concurrent packer that stored the same sequence first gives {@link PackResult.StoreConflict};
     *     a quote whose TPM counters, or a record 0 whose boot_aggregate, are not the plan's gives
     *     {@link PackResult.BootUndecidable})
     * @throws IOException on I/O failures of the list, the work directory or the store (including
     *     {@code StoreOutcomeUnknownException}: do not trim before re-checking); a malformed record
     *     before the base is an IOException whose cause is the {@link MalformedLogException}, one
     *     from the base on is a replay failure ({@link PackResult.NoQuotePoint} or
     *     {@link PackResult.ReplayNotClean})
     */
    public PackResult pack(PackPlan plan, PackRequest req) throws IOException {
        if (!plan.hostId().equals(req.hostId())) {
            throw new IllegalArgumentException("plan for host " + plan.hostId() + ", request for " + req.hostId());
        }
        Optional<PackResult> invalid = akMismatch(req);
        if (invalid.isPresent()) return invalid.get();
        // The quote's counters must be the ones the plan's boot identity carries; nothing decided here
        // is trusted before the signature check, which covers these bytes.
        Quote parsed;
        try {
            parsed = req.quote().attested();
        } catch (MalformedQuoteException e) {
            return malformed(e);
        }
        BootIdentity boot = plan.boot();
        if (parsed.resetCount() != boot.resetCount() || parsed.restartCount() != boot.restartCount()) {
            return new PackResult.BootUndecidable("the quote's resetCount/restartCount " + parsed.resetCount() + "/"
                    + parsed.restartCount() + " are not the plan's " + boot.resetCount() + "/" + boot.restartCount());
        }
        Optional<MeasurementRecord> first = next(req.records());
        if (first.isPresent() && first.get().index() == 0) {
            Optional<BootAggregate> ba = BootAggregate.of(first.get());
            if (ba.isEmpty() || ba.get().algorithm() != boot.bootAggregateAlgorithm() || !ba.get().digest().equals(boot.bootAggregate())) {
                return new PackResult.BootUndecidable("record 0 " + ba.map(b -> "has the boot_aggregate " + b.digest().hex())
                        .orElse("is not a boot_aggregate with a digest") + ", the plan's boot has " + boot.bootAggregate().hex());
            }
        }
        return packPlanned(plan, req, first);
    }

    private static Optional<PackResult> akMismatch(PackRequest req) {
        if (req.ak().tpmName().isPresent() && !req.ak().tpmName().get().equals(req.quote().akName())) {
            return Optional.of(new PackResult.AkNameMismatch(req.ak().tpmName().get(), req.quote().akName()));
        }
        return Optional.empty();
    }

    private static PackResult malformed(MalformedQuoteException e) {
        return new PackResult.QuoteInvalid(new QuoteFailure.Malformed(e.field(), e.offset(), e.kind(), e.detail()));
    }

    /** Verifies the quote against the plan's nonce, finds the quote point, writes, signs and uploads. */
    private PackResult packPlanned(PackPlan plan, PackRequest req, Optional<MeasurementRecord> first) throws IOException {
        Bytes nonce = req.nonce() instanceof PackNonce.External e ? e.nonce() : Bytes.wrap(plan.derivedNonce().bytes());
        QuoteResult qr = quoteVerifier.verify(req.quote(), req.ak(), nonce);
        if (qr instanceof QuoteResult.Failed f) return new PackResult.QuoteInvalid(f.reason());
        VerifiedQuote quote = qr.verified().orElseThrow();

        PcrState base = plan.base().orElseGet(() -> PcrState.initial(selectedBanks(quote.pcrSelection())));
        // Skip what the chain already holds.
        while (first.isPresent() && first.get().index() < base.nextIndex()) first = next(req.records());
        if (first.isPresent() && first.get().index() != base.nextIndex()) {
            return new PackResult.RecordsMissing(base.nextIndex(), first.get().index());
        }

        Files.createDirectories(workDir);
        Path spool = Files.createTempFile(workDir, "pack-", ".records");
        Path segment = workDir.resolve("pack-" + req.hostId() + "-" + plan.sequence() + "-" + System.nanoTime() + ".parquet");
        try {
            QuotePointResult found;
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(spool))) {
                Optional<MeasurementRecord>[] pending = new Optional[] {first};
                RecordSource tapped = () -> {
                    Optional<MeasurementRecord> r = pending[0] != null ? pending[0] : req.records().next();
                    pending[0] = null;
                    if (r.isPresent()) out.write(r.get().raw().toArray());
                    return r;
                };
                found = new QuotePointFinder(replayer).find(base, tapped, quote.pcrSelection(), quote.signingHash(),
                        quote.pcrDigest());
            }
            if (found instanceof QuotePointResult.NotFound nf) return new PackResult.NoQuotePoint(base.nextIndex(), nf.failure());
            QuotePointResult.Found at = (QuotePointResult.Found) found;
            if (!at.replay().isClean()) {
                return new PackResult.ReplayNotClean(at.quotePoint(), at.replay().failureCount(), at.replay().failures());
            }
            boolean empty = at.quotePoint() == base.nextIndex();
            // A closing run with nothing new still leaves its mark: an empty segment with the fresh quote.
            if (empty && (!req.closesBoot() || plan.baseReplay().isEmpty())) return new PackResult.NothingToPack(at.quotePoint());
            ReplayFacts replay;
            if (empty) {
                ReplayFacts head = plan.baseReplay().get();
                replay = new ReplayFacts(head.templateDigestAlgorithm(), head.byteOrder(), req.kernelVersion());
            } else {
                MeasurementRecord r0 = first.orElseThrow(); // a quote point past the base implies records
                replay = new ReplayFacts(HashAlgorithm.byDigestLength(r0.templateDigest().length()).orElseThrow(), r0.byteOrder(),
                        req.kernelVersion());
            }

            WrittenSegment written;
            try (InputStream in = Files.newInputStream(spool);
                 SegmentWriter w = SegmentWriter.create(segment, base.nextIndex(), QueryColumns::of)) {
                BinaryLogReader reader = BinaryLogReader.open(in, LogReadOptions.of(spool.toString()).withBank(replay.templateDigestAlgorithm())
                        .withByteOrder(replay.byteOrder()).withFirstIndex(base.nextIndex()));
                for (long i = base.nextIndex(); i < at.quotePoint(); i++) w.write(reader.next().orElseThrow(
                        () -> new IOException("spool ended before the quote point")));
                SegmentSummary s = w.summary();
                SegmentManifest m = new SegmentManifest(SegmentManifest.FORMAT_VERSION, req.hostId(), plan.boot(), plan.sequence(),
                        s.firstIndex(), s.recordCount(), base, at.state(), req.quote(),
                        req.nonce() instanceof PackNonce.External e ? new NonceDerivation.External(e.nonce())
                                : new NonceDerivation.Derived(plan.derivedNonce()),
                        replay, req.createdAt().toString(), req.producer(),
                        s.dataDigest(), plan.previousManifestDigest(), List.of(), Optional.empty(), req.closesBoot());
                Bytes cms = signer.sign(ManifestCodec.encode(m), req.createdAt());
                written = w.finish(m, Optional.of(cms));
                return upload(req.hostId(), plan, written, cms, at.quotePoint());
            } catch (MalformedLogException e) {
                throw new IOException("spooled records do not re-read: " + e.getMessage(), e);
            } catch (SigningException e) {
                throw new IOException("cannot sign manifest: " + e.getMessage(), e);
            }
        } finally {
            Files.deleteIfExists(spool);
            Files.deleteIfExists(segment);
        }
    }

    private PackResult upload(String host, PackPlan plan, WrittenSegment written, Bytes cms, long quotePoint) throws IOException {
        long seq = plan.sequence();
        String segKey = ArchiveLayout.segmentKey(host, seq);
        String cmsKey = ArchiveLayout.signatureKey(host, seq);
        String manKey = ArchiveLayout.manifestKey(host, seq);
        StoredObject s;
        StoredObject c;
        StoredObject m;
        try {
            s = store.createNew(segKey, written.file());
            c = store.createNew(cmsKey, cms.toArray());
            m = store.createNew(manKey, written.manifestBytes().toArray());
        } catch (ObjectAlreadyExistsException e) {
            return new PackResult.StoreConflict(e.key(), seq);
        }
        for (StoredObject o : List.of(s, c, m)) {
            if (!store.verifyDurable(o.key(), o.sha256())) return new PackResult.NotDurable(o.key());
        }
        return new PackResult.Packed(segKey, seq, written.manifest().recordCount(), quotePoint, plan.newBoot());
    }

    private static Set<HashAlgorithm> selectedBanks(List<PcrSelection> selection) {
        Set<HashAlgorithm> banks = EnumSet.noneOf(HashAlgorithm.class);
        for (PcrSelection s : selection) if (!s.pcrs().isEmpty()) banks.add(s.bank());
        if (banks.isEmpty()) banks.add(HashAlgorithm.SHA1); // an empty selection fails in the finder
        return banks;
    }

    /** The query view; a record the decoder does not know keeps only the authoritative columns' view. */
    private static Optional<MeasurementRecord> next(org.imaarchiver.replay.log.LogReader reader) throws IOException {
        try {
            return reader.next();
        } catch (MalformedLogException e) {
            throw new IOException("malformed list: " + e.getMessage(), e);
        }
    }
}

package org.imaarchiver.jobs.nightly;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import org.imaarchiver.archive.chain.ChainHead;
import org.imaarchiver.archive.chain.ChainIndex;
import org.imaarchiver.archive.chain.PackNonce;
import org.imaarchiver.archive.chain.PackPlan;
import org.imaarchiver.archive.chain.PackRequest;
import org.imaarchiver.archive.chain.PackResult;
import org.imaarchiver.archive.chain.SegmentPacker;
import org.imaarchiver.archive.segment.MalformedManifestException;
import org.imaarchiver.archive.segment.QuoteEvidence;
import org.imaarchiver.archive.sign.HttpTimestampAuthority;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.sign.SegmentSigner;
import org.imaarchiver.archive.sign.TimestampAuthority;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.ArchiveStores;
import org.imaarchiver.archive.store.S3Credentials;
import org.imaarchiver.archive.store.StoreOptions;
import org.imaarchiver.jobs.config.ArchiverSettings;
import org.imaarchiver.jobs.host.securityfs.Backoff;
import org.imaarchiver.jobs.host.securityfs.SecurityfsFeatures;
import org.imaarchiver.jobs.host.securityfs.SecurityfsLog;
import org.imaarchiver.jobs.host.securityfs.StageOutcome;
import org.imaarchiver.jobs.host.securityfs.TrimDecision;
import org.imaarchiver.jobs.host.securityfs.TrimOutcome;
import org.imaarchiver.jobs.host.securityfs.TrimSession;
import org.imaarchiver.jobs.host.state.HostLock;
import org.imaarchiver.jobs.host.state.HostState;
import org.imaarchiver.jobs.host.state.HostStateFile;
import org.imaarchiver.jobs.host.state.RecordId;
import org.imaarchiver.jobs.host.state.TrimIntent;
import org.imaarchiver.jobs.host.state.TrimJournal;
import org.imaarchiver.jobs.host.tpm.Quote;
import org.imaarchiver.jobs.host.tpm.Tpm2;
import org.imaarchiver.jobs.host.tpm.TpmFailure;
import org.imaarchiver.jobs.host.tpm.TpmTransports;
import org.imaarchiver.replay.log.BinaryLogReader;
import org.imaarchiver.replay.log.Bytes;
import org.imaarchiver.replay.log.LogReadOptions;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.quote.AkPublicKey;
import org.imaarchiver.replay.quote.MalformedQuoteException;
import org.imaarchiver.replay.quote.PcrSelection;

/**
 * One run of the nightly protocol (ima-kernel.md D.2, compare-then-trim variant), one method per
 * phase; the Spring Batch job ({@link ArchiveJobConfiguration}) calls them as steps. State lives in
 * this object for one JVM run only: nothing here survives a crash, and nothing needs to. What must
 * survive lives in the archive (the authority), the trim journal and the host state file.
 *
 * <p>Once a phase decides the outcome ({@link #stopped()}), the later phases do nothing, except
 * {@link #recordHead} which still records what is known.
 */
public final class ArchiveRun {
    static final String PRODUCER = "ima-archiver nightly";
    static final String BLOCK_FILE = "trim-blocked";
    static final String KERNEL_HEAD_FILE = "kernel-head.json";
    /** Written when N gave EINVAL (A.8: ima_flush_htable in effect): later runs trim by staging with prompt. */
    static final String FLUSH_HTABLE_FILE = "flush-htable";

    private final ArchiverSettings settings;
    private final Clock clock;
    private final Instant started;
    private final String host;
    private final HashAlgorithm bank;
    private final Path stateDir;

    private HostLock lock;
    private ArchiveStore store;
    private SecurityfsLog log;
    private SecurityfsFeatures features;
    private Optional<ChainHead> head = Optional.empty();
    private Optional<HostState> state = Optional.empty();
    private long trimmedSoFar;
    private Optional<MeasurementRecord> kernelHead = Optional.empty();
    private Optional<MeasurementRecord> recordZero = Optional.empty();
    private Optional<String> blockReason = Optional.empty();
    private QuoteEvidence quote;
    private AkPublicKey akPublic;
    private PackPlan plan;
    private Path spool;
    private long kernelListRecords;
    private long archived;
    private long archiveEnd = -1;
    private Optional<String> segmentKey = Optional.empty();
    private Optional<TrimIntent> intent = Optional.empty();
    private long trimmed;
    /** Bytes of the segment, signature and manifest this run uploaded. */
    private long bytesUploaded;
    /** Nanos the kernel's writer fd was held (open O_RDWR .. close: the compare-then-trim critical section), -1 if never. */
    private long lockNanos = -1;
    private Optional<String> notTrimmedBecause = Optional.empty();
    /** ima_flush_htable: trimmed by staging with prompt (A, read, keep the excess, D), not by N. */
    private boolean staging;
    private ExcessRecords excessRecords;
    /** The excess a previous run kept, replayed first by this run (records [start, trimmedSoFar)). */
    private Optional<ExcessRecords.Excess> excess = Optional.empty();
    /** The excess this run kept before D. */
    private Optional<ExcessRecords.Excess> newExcess = Optional.empty();
    /** Absolute index of the spool's first record: the excess start, or trimmedSoFar. */
    private long spoolFirst;
    /** Records of the staged batch this run read (0: none). */
    private long stagedCount;
    /** Staging: the kernel starts with a boot_aggregate and no recorded head tells a reboot from a kexec; the quote's resetCount decides. */
    private boolean bootAmbiguous;
    /** Staging: the current list's first record right after D (the head the next run must find). */
    private Optional<RecordId> headAfterDelete = Optional.empty();
    private final List<String> notes = new ArrayList<>();
    private Optional<RunOutcome> decided = Optional.empty();
    private String detail = "";

    /** Opens the archive store (a seam for tests that inject store faults). */
    @FunctionalInterface
    public interface StoreOpener {
        ArchiveStore open(String location, StoreOptions options) throws IOException;
    }

    /**
     * Called after each step's phase with the step's name (a seam for tests that act between phases,
     * e.g. append records after the quote and before the read).
     */
    @FunctionalInterface
    public interface StepListener {
        void afterStep(String step) throws IOException;
    }

    private final StoreOpener storeOpener;
    private final StepListener stepListener;

    public ArchiveRun(ArchiverSettings settings, Clock clock, StoreOpener storeOpener) {
        this(settings, clock, storeOpener, step -> { });
    }

    public ArchiveRun(ArchiverSettings settings, Clock clock, StoreOpener storeOpener, StepListener stepListener) {
        this.storeOpener = storeOpener;
        this.stepListener = stepListener;
        this.settings = settings;
        this.clock = clock;
        this.started = clock.instant();
        this.host = settings.effectiveHostId();
        this.bank = HashAlgorithm.byKernelName(settings.templateBank())
                .orElseThrow(() -> new IllegalArgumentException("unknown template bank " + settings.templateBank()));
        this.stateDir = settings.stateDir();
    }

    // ---- step 1: acquireHostLock (D.2 step 1) ----
    public void acquireHostLock() throws IOException {
        HostLock.Attempt a = HostLock.tryAcquire(settings.lockPath());
        if (a instanceof HostLock.HeldByAnother h) {
            stop(RunOutcome.LOCKED, "host lock " + h.file() + " held by pid " + h.holderPid().map(String::valueOf).orElse("?"));
            return;
        }
        lock = ((HostLock.Acquired) a).lock();
    }

    // ---- step 2: recoverJournal (D.2 step 6 on restart; the head cross-checks) ----
    public void recoverJournal() throws IOException, MalformedLogException, InterruptedException {
        if (stopped()) return;
        Files.createDirectories(stateDir);
        store = openStore();
        log = SecurityfsLog.at(settings.securityfsRoot(), settings.procCmdline());
        try {
            head = new ChainIndex(store).head(host);
        } catch (MalformedManifestException e) {
            stop(RunOutcome.ENVIRONMENT_ERROR, "chain head unreadable: " + e.getMessage());
            return;
        }
        HostStateFile stateFile = new HostStateFile(settings.hostStatePath());
        try {
            state = stateFile.read();
        } catch (org.imaarchiver.jobs.host.state.StateFileException e) {
            block("host state file unreadable: " + e.getMessage());
        }
        if (Files.exists(blockFile())) {
            Files.readString(blockFile(), StandardCharsets.UTF_8).lines().findFirst()
                    .ifPresent(r -> blockReason = Optional.of("blocked since an earlier run: " + r));
        }
        staging = log.features().mode() == SecurityfsFeatures.Mode.STAGE_WITH_PROMPT
                || log.features().staging() && Files.exists(stateDir.resolve(FLUSH_HTABLE_FILE));
        excessRecords = new ExcessRecords(stateDir, store, host);
        Optional<MeasurementRecord> currentHead = readKernelHead();
        Optional<MeasurementRecord> stagedHead = readStagedHead();
        // the kernel's order is the staged list, then the current list (A.8)
        kernelHead = stagedHead.isPresent() ? stagedHead : currentHead;
        long archiveNext = head.map(h -> h.endState().nextIndex()).orElse(0L);
        TrimJournal journal = new TrimJournal(settings.journalPath());
        TrimJournal stageJournal = stageJournal();
        TrimJournal.Recovery recovery = journal.recover(kernelHead);
        Optional<TrimIntent> staged = stageJournal.pending();
        if (staged.isPresent()) {
            recoverStageDelete(stageJournal, staged.get(), stagedHead, currentHead, archiveNext);
        } else if (recovery instanceof TrimJournal.TrimApplied a) {
            trimmedSoFar = a.trimmedSoFar();
            settle(journal, a.intent().afterLast());
        } else if (recovery instanceof TrimJournal.TrimNotApplied n) {
            trimmedSoFar = n.intent().startIndex();
            settle(journal, Optional.of(n.intent().first()));
        } else if (recovery instanceof TrimJournal.Unknown u) {
            // never papered over: keep the evidence, stop trimming, archive from the archive's end
            Files.move(journal.file(), journal.file().resolveSibling(journal.file().getFileName() + ".unresolved-"
                    + clock.instant().toEpochMilli()), StandardCopyOption.ATOMIC_MOVE);
            block("trim journal unresolved (" + u.why() + "): planned N=" + u.intent().plannedN() + " from " + u.intent().startIndex());
            trimmedSoFar = archiveNext;
        } else {
            trimmedSoFar = fromStateAndHead(archiveNext);
        }
        if (trimmedSoFar == 0) recordZero = kernelHead;
    }

    /**
     * A journaled {@code D} of a killed run (D.1 item 6): the staged list still starting with the
     * batch's first record means D did not happen; an empty staged list means it did, unless the
     * current list starts with that record (a kexec carried the staged batch over, A.8 kexec).
     */
    private void recoverStageDelete(TrimJournal stageJournal, TrimIntent si, Optional<MeasurementRecord> stagedHead,
                                    Optional<MeasurementRecord> currentHead, long archiveNext) throws IOException {
        boolean applied;
        if (stagedHead.isPresent()) {
            if (!si.first().identifies(stagedHead.get())) {
                Files.move(stageJournal.file(), stageJournal.file().resolveSibling(stageJournal.file().getFileName() + ".unresolved-"
                        + clock.instant().toEpochMilli()), StandardCopyOption.ATOMIC_MOVE);
                block("stage journal unresolved: the staged list does not start with the journaled batch (from " + si.startIndex() + ")");
                trimmedSoFar = archiveNext;
                return;
            }
            applied = false;
        } else {
            // a kexec carries the whole staged batch to the front of the current list (A.8 kexec):
            // its first AND its last record must be in place; the first alone could be a duplicate
            // measured after a completed D (ima_flush_htable, D.1 item 9)
            applied = !(currentHead.map(r -> si.first().identifies(r)).orElse(false) && currentRecordIs(si.plannedN() - 1, si.last()));
            // a list starting with a boot_aggregate after the staged batch went: reboot or kexec, quoteTpm decides
            if (applied && currentHead.map(ArchiveRun::isBootAggregate).orElse(false)) bootAmbiguous = true;
        }
        trimmedSoFar = applied ? si.indexAfterTrim() : si.startIndex();
        // the excess files are settled against this cursor once the quote has fixed the boot (settleExcess)
        writeHostState(applied ? Optional.empty() : Optional.of(si.first()));
        stageJournal.clear();
    }

    /** Whether the current list's record at {@code offset} (0-based, streamed read-only) is {@code id}. */
    private boolean currentRecordIs(long offset, RecordId id) throws IOException {
        boolean[] found = {false};
        try (TrimSession reading = TrimSession.open(log, readOnly(), backoff())) {
            reading.readPersistTrim(bank, 0, batch -> {
                for (Optional<MeasurementRecord> r = batch.next(); r.isPresent(); r = batch.next()) {
                    if (r.get().index() == offset) {
                        found[0] = id.identifies(r.get());
                        break;
                    }
                }
                return TrimDecision.abort("read only");
            });
        } catch (MalformedLogException | InterruptedException e) {
            throw new IOException("reading the current list for the stage journal: " + e.getMessage(), e);
        }
        return found[0];
    }

    private TrimJournal stageJournal() {
        Path j = settings.journalPath();
        return new TrimJournal(j.resolveSibling("stage-" + j.getFileName()));
    }

    /** No open intent: the state file's cursor, checked against the kernel head and the archive. */
    private long fromStateAndHead(long archiveNext) throws IOException {
        boolean headIsBootAggregate = kernelHead.map(ArchiveRun::isBootAggregate).orElse(false);
        if (state.isEmpty()) {
            if (head.isEmpty() || headIsBootAggregate) return 0;
            block("no local host state but the archive has a chain for " + host + " (lost state file?)");
            return archiveNext;
        }
        HostState s = state.get();
        if (s.lastSegment().isPresent()) {
            HostState.SegmentRef ref = s.lastSegment().get();
            boolean known = head.isPresent() && (head.get().sequence() > ref.sequence()
                    || head.get().sequence() == ref.sequence() && head.get().manifestDigest().equals(ref.manifestDigest()));
            if (!known) {
                block("host state names segment " + ref.sequence() + " which the archive "
                        + (head.isPresent() ? "head " + head.get().sequence() + " does not continue" : "does not hold") + " (restored archive or state?)");
                return archiveNext;
            }
        }
        Optional<ExpectedHead> expected = ExpectedHead.read(stateDir.resolve(KERNEL_HEAD_FILE)).filter(e -> e.index() == s.nextIndex());
        boolean headMatches = expected.isEmpty() || kernelHead.map(k -> expected.get().id().identifies(k)).orElse(false);
        if (staging && expected.isEmpty() && headIsBootAggregate && s.nextIndex() > 0) {
            // D left no known head: a reboot and a kexec look alike here; quoteTpm decides by resetCount (C.4)
            bootAmbiguous = true;
            return s.nextIndex();
        }
        if (headMatches) {
            // staging: the cursor may be beyond the archive by the kept excess, checked by settleExcess
            if (s.nextIndex() > archiveNext && !headIsBootAggregate && !staging) {
                block("host state cursor " + s.nextIndex() + " is beyond the archive's end " + archiveNext);
                return archiveNext;
            }
            return s.nextIndex();
        }
        // A new list that starts with a boot_aggregate: a reboot; plan() decides with the TPM's resetCount
        if (headIsBootAggregate) return 0;
        block("the kernel's first record is not record " + s.nextIndex() + " that the last run left there"
                + " (foreign trimmer or restored VM)");
        return archiveNext;
    }

    private void settle(TrimJournal journal, Optional<RecordId> headId) throws IOException {
        writeHostState(headId);
        journal.clear();
    }

    // ---- step 3: checkFeatures (D.2 step 0) ----
    public void checkFeatures() throws IOException {
        if (stopped()) return;
        features = log.features();
        if (!features.banks().contains(bank)) {
            stop(RunOutcome.ENVIRONMENT_ERROR, "no binary_runtime_measurements_" + bank.kernelName() + " in " + log.root());
            return;
        }
        if (features.mode() == SecurityfsFeatures.Mode.ARCHIVE_ONLY) notTrimmedBecause = Optional.of("archive_only");
        // ima_flush_htable: N is EINVAL; staging with prompt, the excess kept before D (docs/operations.md)
        // an EINVAL on N seen by an earlier run (a /proc/cmdline that hides the parameter, e.g. in a container)
        if (features.staging() && !features.flushHtable() && Files.exists(stateDir.resolve(FLUSH_HTABLE_FILE))) {
            features = features.withFlushHtable();
        }
        staging = features.mode() == SecurityfsFeatures.Mode.STAGE_WITH_PROMPT;
    }

    // ---- step 4: quoteTpm (D.2 step 2, C.3, C.4) ----
    public void quoteTpm() throws IOException, TpmFailure {
        if (stopped()) return;
        try (Tpm2 tpm = new Tpm2(TpmTransports.open(settings.tpm()))) {
            AttestationKey ak = AttestationKey.load(tpm, settings.ak());
            try {
                List<PcrSelection> selection = selection();
                // resetCount as this AK reports it (obfuscated for owner-hierarchy AKs, C.4): a probe quote
                org.imaarchiver.replay.quote.Quote probe = parse(tpm.quote(ak.handle(), Bytes.wrap(new byte[32]), selection));
                if (bootAmbiguous && head.isPresent() && probe.clockInfo().resetCount() != head.get().boot().resetCount()) {
                    trimmedSoFar = 0; // a reboot: the list starting with this boot_aggregate is a new one
                    recordZero = kernelHead;
                }
                SegmentPacker.PlanResult pr = packer().plan(host, recordZero, probe.clockInfo().resetCount(),
                        probe.clockInfo().restartCount(), ak.publicArea().name());
                if (pr instanceof SegmentPacker.Refused r) {
                    refused(r.failure());
                    return;
                }
                plan = ((SegmentPacker.Planned) pr).plan();
                Quote q = tpm.quote(ak.handle(), Bytes.wrap(plan.derivedNonce().bytes()), selection);
                quote = new QuoteEvidence(q.attest(), q.signature(), ak.publicArea().name());
                akPublic = AkPublicKey.fromTpm2bPublic(ak.publicArea().tpm2bPublic().toArray());
            } finally {
                ak.release(tpm);
            }
        } catch (MalformedQuoteException e) {
            stop(RunOutcome.VERIFICATION_FAILED, "the TPM's quote does not parse: " + e.getMessage());
        }
    }

    // ---- step 5: readAndReplay (D.2 steps 3-4): the list from trimmedSoFar, through a read-only fd ----
    public void readAndReplay() throws IOException, MalformedLogException, InterruptedException {
        if (stopped()) return;
        Files.createDirectories(settings.workDir());
        spool = settings.workDir().resolve("kernel-list.raw");
        spoolFirst = trimmedSoFar;
        if (staging) {
            stageAndRead();
            return;
        }
        long[] count = {0};
        try (TrimSession reading = TrimSession.open(log, readOnly(), backoff());
             OutputStream out = new BufferedOutputStream(Files.newOutputStream(spool))) {
            readCurrentList(reading, trimmedSoFar, out, count);
        }
        kernelListRecords = count[0];
    }

    /** The current list from {@code first} through a read-only fd, appended to {@code out}. */
    private void readCurrentList(TrimSession reading, long first, OutputStream out, long[] count)
            throws IOException, MalformedLogException, InterruptedException {
        reading.readPersistTrim(bank, first, batch -> {
            spoolAll(batch, out, count);
            return TrimDecision.abort("read only");
        });
    }

    private static void spoolAll(org.imaarchiver.jobs.host.securityfs.RecordBatch batch, OutputStream out, long[] count)
            throws IOException, MalformedLogException {
        try {
            for (Optional<MeasurementRecord> r = batch.next(); r.isPresent(); r = batch.next()) {
                out.write(r.get().raw().toArray());
                count[0]++;
            }
        } catch (MalformedLogException e) {
            // B.1: the list may be appended while read. A torn last record is not spooled: the
            // quote (taken before the read) cannot cover it, and the next run reads it whole.
            // If it were covered, pack finds no quote point and the run fails closed.
            if (!e.isTornTail()) throw e;
        }
    }

    /**
     * Staging with prompt, first half (A.8, D.2 variant): the kept excess first (absolute indices
     * continuing at its start), then {@code A} through a writer fd closed at once, and the staged
     * batch through a read-only fd (nothing but our D changes it); a pending batch of a killed run (EEXIST) is read instead, followed by the current
     * list (read-only), which the quote may cover too. D comes in trimKernelLog, after the segment
     * and the new excess are durable.
     */
    private void stageAndRead() throws IOException, MalformedLogException, InterruptedException {
        settleExcess();
        if (stopped()) return;
        spoolFirst = excess.map(ExcessRecords.Excess::start).orElse(trimmedSoFar);
        long[] count = {0};
        long[] fromKernel = {0};
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(spool))) {
            if (excess.isPresent() && !excessRecords.copyTo(excess.get(), out)) {
                block(excess.get() + " is lost: neither the local nor the store copy has its digest");
                stop(RunOutcome.TRIM_BLOCKED, "excess-lost");
                return;
            }
            count[0] = excess.map(ExcessRecords.Excess::count).orElse(0L);
            boolean readCurrent = true;
            if (blockReason.isEmpty()) {
                StageOutcome so;
                try (TrimSession session = TrimSession.open(log, features, backoff())) {
                    long nanos = System.nanoTime();
                    // A only: the writer fd is closed at once (an upper bound of its hold time is lock_ms);
                    // the staged list stays put until D, so it is read through a shared read-only fd
                    so = session.stage(bank, trimmedSoFar, batch -> { });
                    if (so instanceof StageOutcome.Staged) lockNanos = System.nanoTime() - nanos;
                }
                if (so instanceof StageOutcome.Staged st) {
                    readCurrent = st.kind() == org.imaarchiver.jobs.host.securityfs.RecordBatch.Kind.STAGED_PENDING;
                    try (TrimSession reading = TrimSession.open(log, readOnly(), backoff())) {
                        reading.readStaged(bank, trimmedSoFar, batch -> spoolAll(batch, out, fromKernel));
                    }
                    stagedCount = fromKernel[0];
                } else {
                    TrimOutcome.Reason r = ((StageOutcome.NotStaged) so).reason();
                    if (!(r instanceof TrimOutcome.NothingToTrim)) notTrimmedBecause = Optional.of(reasonLabel(r));
                }
            } else {
                // blocked: never A; a pending batch is read, not touched
                try (TrimSession reading = TrimSession.open(log, readOnly(), backoff())) {
                    reading.readStaged(bank, trimmedSoFar, batch -> spoolAll(batch, out, fromKernel));
                }
                stagedCount = fromKernel[0];
            }
            if (readCurrent) {
                try (TrimSession reading = TrimSession.open(log, readOnly(), backoff())) {
                    readCurrentList(reading, trimmedSoFar + stagedCount, out, fromKernel);
                }
            }
        }
        if (blockReason.isPresent()) stagedCount = 0;
        kernelListRecords = fromKernel[0];
    }

    /**
     * Which kept excess this run replays, once the plan has fixed the boot: earlier boots' excess is
     * set aside as unverified (a reboot reset the PCRs, C.5); an excess whose records are all in the
     * archive is deleted, as is one whose D never happened (its records are still in the kernel);
     * the one ending at trimmedSoFar is replayed. Records between the archive's end and
     * trimmedSoFar that no excess holds are lost: blocked.
     */
    private void settleExcess() throws IOException {
        long boot = plan.boot().bootCounter();
        long archiveNext = plan.newBoot() ? 0 : head.map(h -> h.endState().nextIndex()).orElse(0L);
        java.util.Set<ExcessRecords.Excess> all = new java.util.TreeSet<>(java.util.Comparator.comparingLong(ExcessRecords.Excess::start)
                .thenComparingLong(ExcessRecords.Excess::boot).thenComparing(e -> e.sha256().hex()));
        all.addAll(excessRecords.local());
        all.addAll(excessRecords.inStore());
        List<ExcessRecords.Excess> candidates = new ArrayList<>();
        for (ExcessRecords.Excess e : all) {
            if (e.boot() != boot) {
                if (excessRecords.local().contains(e)) notes.add("unverified " + e + " set aside (a new boot)");
                excessRecords.setAside(e);
            } else if (blockReason.isPresent()) {
                candidates.add(e); // blocked: nothing is deleted
            } else if (e.end() <= archiveNext || e.end() > trimmedSoFar) {
                excessRecords.delete(e); // archived already, or its D never happened
            } else {
                candidates.add(e);
            }
        }
        excess = candidates.stream().filter(e -> e.end() == trimmedSoFar && e.start() <= archiveNext)
                .min(java.util.Comparator.comparingLong(ExcessRecords.Excess::start));
        for (ExcessRecords.Excess e : candidates) {
            if (excess.isPresent() && e.equals(excess.get())) continue;
            if (blockReason.isEmpty() && excess.isPresent() && e.start() >= excess.get().start()) excessRecords.delete(e);
            else if (blockReason.isEmpty()) block(e + " does not join the archive's end " + archiveNext + " and the kernel's start " + trimmedSoFar);
        }
        if (trimmedSoFar > archiveNext && excess.isEmpty()) {
            block("records [" + archiveNext + ", " + trimmedSoFar + ") are neither archived nor kept as excess");
            trimmedSoFar = archiveNext;
        }
    }

    // ---- step 6: persistSegment (D.2 step 5): replay to the quote point, write, sign, upload, re-read ----
    public void persistSegment() throws IOException, MalformedLogException {
        if (stopped()) return;
        PackResult result;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(spool))) {
            BinaryLogReader records = BinaryLogReader.open(in, options(spool));
            result = packer().pack(new PackRequest(host, records, quote, akPublic, new PackNonce.Derived(), clock.instant(),
                    PRODUCER, kernelVersion()));
        } catch (org.imaarchiver.archive.store.StoreException e) {
            stop(RunOutcome.ENVIRONMENT_ERROR, "store: " + e.getMessage());
            return;
        }
        if (result instanceof PackResult.Packed p) {
            archived = p.records();
            archiveEnd = p.quotePoint();
            segmentKey = Optional.of(p.segmentKey());
            bytesUploaded = uploadedBytes(p.sequence());
        } else if (result instanceof PackResult.NothingToPack n) {
            archiveEnd = n.quotePoint();
            segmentKey = head.map(h -> org.imaarchiver.archive.chain.ArchiveLayout.segmentKey(host, h.sequence()));
        } else {
            refused((PackResult.Failure) result);
        }
    }

    // ---- step 7: confirmDurable (D.1 item 5): the archive's head now ends at the quote point ----
    public void confirmDurable() throws IOException {
        if (stopped()) return;
        Optional<ChainHead> now;
        try {
            now = new ChainIndex(store).head(host);
        } catch (MalformedManifestException e) {
            stop(RunOutcome.ENVIRONMENT_ERROR, "new chain head unreadable: " + e.getMessage());
            return;
        }
        if (now.isEmpty() || now.get().endState().nextIndex() != archiveEnd
                || plan != null && plan.newBoot() && archived > 0 && now.get().sequence() != plan.sequence()) {
            stop(RunOutcome.ENVIRONMENT_ERROR, "the archive head does not end at the quote point " + archiveEnd + " after packing");
            return;
        }
        head = now;
    }

    // ---- step 8: journalTrimIntent (D.2 step 6) ----
    public void journalTrimIntent() throws IOException, MalformedLogException {
        if (stopped() || blockReason.isPresent() || notTrimmedBecause.isPresent()) return;
        if (staging) {
            keepExcessAndJournal();
            return;
        }
        // N = quote point - trimmedSoFar, never more than the archive durably holds (D.1 item 8)
        long n = archiveEnd - trimmedSoFar;
        if (n <= 0) return;
        List<MeasurementRecord> around = spooled(trimmedSoFar, List.of(trimmedSoFar + n - 2, trimmedSoFar + n - 1, trimmedSoFar + n));
        Optional<MeasurementRecord> after = find(around, trimmedSoFar + n);
        if (after.isEmpty()) {
            // keep one archived record in the kernel so that a completed trim is always recognisable
            // (otherwise TrimJournal.recover answers AFTER_LAST_NOT_JOURNALED; architecture.md "Kernel side")
            n--;
            if (n <= 0) return;
            after = find(around, trimmedSoFar + n);
        }
        MeasurementRecord first = spooled(trimmedSoFar, List.of(trimmedSoFar)).get(0);
        MeasurementRecord last = find(around, trimmedSoFar + n - 1).orElseThrow();
        TrimIntent ti = new TrimIntent(n, trimmedSoFar, bank, RecordId.of(first), RecordId.of(last), after.map(RecordId::of),
                segmentKey.orElse(""));
        new TrimJournal(settings.journalPath()).record(ti);
        intent = Optional.of(ti);
    }

    /**
     * Staging, before D: the staged records beyond the quote point (with what is left of the old
     * excess) are kept durably as the new excess, locally and in the store; then the D is journaled.
     */
    private void keepExcessAndJournal() throws IOException, MalformedLogException {
        if (stagedCount == 0) return;
        long stagedEnd = trimmedSoFar + stagedCount;
        long from = Math.max(archiveEnd, spoolFirst);
        if (from < stagedEnd) {
            Path raw = settings.workDir().resolve("excess.raw");
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(raw))) {
                for (Iterator<Bytes> it = spoolIterator(from, stagedEnd); it.hasNext(); ) out.write(it.next().toArray());
            }
            ExcessRecords.Excess e = new ExcessRecords.Excess(plan.boot().bootCounter(), from, stagedEnd - from, ExcessRecords.sha256(raw));
            if (!excess.equals(Optional.of(e))) excessRecords.keep(e, raw);
            Files.delete(raw);
            newExcess = Optional.of(e);
        }
        List<MeasurementRecord> ends = spooled(trimmedSoFar, List.of(trimmedSoFar, stagedEnd - 1));
        TrimIntent ti = new TrimIntent(stagedCount, trimmedSoFar, bank, RecordId.of(ends.get(0)), RecordId.of(ends.get(ends.size() - 1)),
                Optional.empty(), segmentKey.orElse(""));
        stageJournal().record(ti);
        intent = Optional.of(ti);
    }

    /** Staging, second half: re-read the staged batch under the writer lock, compare, D (A.8). */
    private void deleteStaged() throws IOException, MalformedLogException, InterruptedException {
        TrimIntent ti = intent.get();
        long stagedEnd = ti.indexAfterTrim();
        long[] writerOpened = {-1};
        TrimOutcome outcome;
        try (TrimSession session = TrimSession.open(log, features, backoff())) {
            outcome = session.deleteStaged(bank, ti.startIndex(), ti.plannedN(), from -> {
                writerOpened[0] = System.nanoTime();
                return spoolIterator(from, stagedEnd);
            });
            if (writerOpened[0] >= 0) lockNanos = Math.max(lockNanos, 0) + System.nanoTime() - writerOpened[0];
        }
        if (outcome instanceof TrimOutcome.Trimmed t) {
            trimmed = t.n();
            trimmedSoFar = t.nextFirstIndex();
            headAfterDelete = readKernelHead().map(RecordId::of);
            return; // the old excess and the journal are cleared by recordHead, after the new cursor is durable
        }
        TrimOutcome.Reason reason = ((TrimOutcome.NotTrimmed) outcome).reason();
        // nothing was deleted: the new excess is void (its records are still staged), the old one still counts
        if (newExcess.isPresent() && !newExcess.equals(excess)) excessRecords.delete(newExcess.get());
        newExcess = Optional.empty();
        stageJournal().clear();
        intent = Optional.empty();
        if (reason instanceof TrimOutcome.ForeignTrim || reason instanceof TrimOutcome.HeadMismatch) {
            block("the staged batch changed under the delete (" + reason + "): foreign stager");
        } else {
            notTrimmedBecause = Optional.of(reasonLabel(reason));
        }
    }

    // ---- step 9: trimKernelLog (D.2 step 7, compare-then-trim): one tasklet, one fd, one thread ----
    public void trimKernelLog() throws IOException, MalformedLogException, InterruptedException {
        if (stopped() || intent.isEmpty()) return;
        if (staging) {
            deleteStaged();
            return;
        }
        TrimIntent ti = intent.get();
        TrimJournal journal = new TrimJournal(settings.journalPath());
        TrimOutcome outcome;
        // The archived copy is first consulted right after the O_RDWR open succeeded; the session
        // closes that fd before compareThenTrim returns: the span is the writer-lock time (lock_ms).
        long[] writerOpened = {-1};
        try (TrimSession session = TrimSession.open(log, features, backoff())) {
            outcome = session.compareThenTrim(bank, trimmedSoFar, batch -> {
                long seen = 0;
                while (seen < ti.plannedN() && batch.next().isPresent()) seen++;
                return seen == ti.plannedN() ? TrimDecision.trim(seen) : TrimDecision.abort("the kernel list is shorter than N");
            }, from -> {
                writerOpened[0] = System.nanoTime();
                return spoolIterator(from, archiveEnd);
            });
            if (writerOpened[0] >= 0) lockNanos = System.nanoTime() - writerOpened[0];
        }
        if (outcome instanceof TrimOutcome.Trimmed t) {
            trimmed = t.n();
            trimmedSoFar = t.nextFirstIndex();
            return; // the journal is cleared by recordHead, after the new cursor is durable
        }
        TrimOutcome.Reason reason = ((TrimOutcome.NotTrimmed) outcome).reason();
        journal.clear(); // nothing was deleted (A.8 table): the intent is void
        intent = Optional.empty();
        if (reason instanceof TrimOutcome.ForeignTrim || reason instanceof TrimOutcome.HeadMismatch) {
            block("the kernel head changed under the trim (" + reason + "): foreign trimmer");
        } else {
            notTrimmedBecause = Optional.of(reasonLabel(reason));
            if (reason instanceof TrimOutcome.FlushHtable) AtomicText.write(stateDir.resolve(FLUSH_HTABLE_FILE), "EINVAL on N\n");
        }
    }

    // ---- step 10: recordHead ----
    public void recordHead() throws IOException, MalformedLogException {
        if (lock == null || store == null) return;
        if (decided.isPresent() && decided.get() == RunOutcome.ENVIRONMENT_ERROR && head.isEmpty()) return;
        Optional<RecordId> expected = Optional.empty();
        if (spool != null && Files.exists(spool)) {
            if (staging && trimmed > 0) expected = headAfterDelete;
            else if (intent.isPresent() && trimmed > 0) expected = intent.get().afterLast();
            else if (kernelListRecords > 0) expected = Optional.of(RecordId.of(spooled(trimmedSoFar, List.of(trimmedSoFar)).get(0)));
        } else {
            expected = kernelHead.map(RecordId::of);
        }
        writeHostState(expected);
        // staging: the old excess is in this segment or in the new excess now; the journal goes last
        if (staging && excess.isPresent() && !excess.equals(newExcess)
                && (trimmed > 0 || !stopped() && archiveEnd >= excess.get().end())) {
            excessRecords.delete(excess.get());
        }
        if (intent.isPresent()) (staging ? stageJournal() : new TrimJournal(settings.journalPath())).clear();
        if (blockReason.isPresent() && !Files.exists(blockFile())) {
            AtomicText.write(blockFile(), blockReason.get() + "\n");
        }
    }

    private void writeHostState(Optional<RecordId> expectedHead) throws IOException {
        String bootId = head.map(h -> h.boot().bootCounter() + ":" + h.boot().resetCount() + ":" + h.boot().bootAggregate().hex())
                .orElse("none");
        Optional<HostState.SegmentRef> last = head.map(h -> new HostState.SegmentRef(h.sequence(), h.manifestDigest()));
        if (expectedHead.isPresent()) new ExpectedHead(trimmedSoFar, expectedHead.get()).write(stateDir.resolve(KERNEL_HEAD_FILE));
        else Files.deleteIfExists(stateDir.resolve(KERNEL_HEAD_FILE));
        new HostStateFile(settings.hostStatePath()).write(new HostState(host, bootId, trimmedSoFar, last, clock.instant()));
    }

    /** Releases the lock and removes scratch files; safe to call whatever happened. */
    public void finish() {
        try {
            if (spool != null) Files.deleteIfExists(spool);
        } catch (IOException ignored) {
            // scratch only
        }
        try {
            if (lock != null) lock.close();
        } catch (IOException ignored) {
            // the process exit drops the POSIX lock anyway
        }
    }

    // ---- outcome ----
    public boolean stopped() { return decided.isPresent(); }

    public void stop(RunOutcome outcome, String why) {
        if (decided.isEmpty()) {
            decided = Optional.of(outcome);
            detail = why;
        }
    }

    public RunOutcome outcome() {
        // a disagreement found earlier explains a later verification failure (records missing from the kernel)
        if (blockReason.isPresent() && (decided.isEmpty() || decided.get() == RunOutcome.VERIFICATION_FAILED)) {
            return RunOutcome.TRIM_BLOCKED;
        }
        if (decided.isPresent()) return decided.get();
        if (trimmed > 0) return RunOutcome.ARCHIVED_AND_TRIMMED;
        // staging: the archived records were the kept excess, already out of the kernel; nothing else was staged
        if (staging && archived > 0 && stagedCount == 0 && notTrimmedBecause.isEmpty()) return RunOutcome.ARCHIVED_AND_TRIMMED;
        if (archived == 0 && (intent.isEmpty() && notTrimmedBecause.isEmpty() || notTrimmedBecause.equals(Optional.of("archive_only")))) {
            return RunOutcome.NOTHING_TO_DO;
        }
        return RunOutcome.ARCHIVED_NOT_TRIMMED;
    }

    public RunSummary summary() {
        RunOutcome o = outcome();
        String why = String.join("; ", java.util.stream.Stream.concat(java.util.stream.Stream.of(blockReason,
                        Optional.of(detail).filter(d -> !d.isEmpty()), notTrimmedBecause).flatMap(Optional::stream), notes.stream()).toList());
        return new RunSummary(host, o, plan == null ? Optional.empty() : Optional.of(plan.sequence()), archived, trimmed,
                kernelListRecords, trimmedSoFar, Duration.between(started, clock.instant()),
                lockNanos < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(lockNanos)), bytesUploaded, why);
    }

    // ---- helpers ----
    private void block(String why) {
        if (blockReason.isEmpty()) blockReason = Optional.of(why);
    }

    private Path blockFile() { return stateDir.resolve(BLOCK_FILE); }

    private static boolean blank(String s) { return s == null || s.isBlank(); }

    private void refused(PackResult.Failure f) {
        // StoreConflict: an object already holds the next sequence (a leftover of an interrupted
        // upload, or a second packer): the store, not the evidence, is in the way (docs/operations.md)
        RunOutcome o = f instanceof PackResult.HeadUnreadable || f instanceof PackResult.NotDurable
                || f instanceof PackResult.StoreConflict ? RunOutcome.ENVIRONMENT_ERROR
                : f instanceof PackResult.BootUndecidable || f instanceof PackResult.RecordsMissing ? RunOutcome.TRIM_BLOCKED
                : RunOutcome.VERIFICATION_FAILED;
        if (o == RunOutcome.TRIM_BLOCKED) block(f.kind() + ": " + f.describe());
        stop(o, f.kind() + ": " + f.describe());
    }

    private static String reasonLabel(TrimOutcome.Reason r) {
        if (r instanceof TrimOutcome.Busy) return "busy";
        if (r instanceof TrimOutcome.ShuttingDown) return "shutting_down";
        if (r instanceof TrimOutcome.FlushHtable) return "flush_htable";
        if (r instanceof TrimOutcome.NotPermitted) return "not_permitted";
        if (r instanceof TrimOutcome.ArchiveOnly) return "archive_only";
        if (r instanceof TrimOutcome.NothingToTrim) return "nothing_to_trim";
        return "aborted";
    }

    static boolean isBootAggregate(MeasurementRecord r) {
        try {
            return org.imaarchiver.replay.template.RecordDecoder.decode(r).name()
                    .equals(Optional.of(SegmentPacker.BOOT_AGGREGATE));
        } catch (MalformedLogException | RuntimeException e) {
            return false;
        }
    }

    private Optional<MeasurementRecord> readKernelHead() throws IOException, MalformedLogException, InterruptedException {
        @SuppressWarnings("unchecked")
        Optional<MeasurementRecord>[] first = new Optional[] {Optional.empty()};
        try (TrimSession reading = TrimSession.open(log, readOnly(), backoff())) {
            reading.readPersistTrim(bank, 0, batch -> {
                first[0] = batch.next();
                return TrimDecision.abort("head only");
            });
        }
        return first[0];
    }

    /** The staged list's first record (A.8: a batch staged and not yet deleted), if the kernel has staging. */
    private Optional<MeasurementRecord> readStagedHead() throws IOException, MalformedLogException, InterruptedException {
        if (!Files.exists(log.stagedFile(bank))) return Optional.empty();
        @SuppressWarnings("unchecked")
        Optional<MeasurementRecord>[] first = new Optional[] {Optional.empty()};
        try (TrimSession reading = TrimSession.open(log, readOnly(), backoff())) {
            reading.readStaged(bank, 0, batch -> first[0] = batch.next());
        }
        return first[0];
    }

    /** Features with staging off: the session then reads through a read-only fd and never writes. */
    private SecurityfsFeatures readOnly() {
        return new SecurityfsFeatures(log.root(), Set.of(bank), List.of(), false, false, false);
    }

    private Backoff backoff() {
        ArchiverSettings.Backoff b = settings.backoff();
        return new Backoff(b.attempts(), b.initial(), b.max());
    }

    private List<PcrSelection> selection() {
        List<PcrSelection> s = new ArrayList<>();
        int[] pcrs = settings.pcrs().stream().mapToInt(Integer::intValue).toArray();
        for (String b : settings.banks()) {
            s.add(PcrSelection.of(HashAlgorithm.byKernelName(b).orElseThrow(() -> new IllegalArgumentException("unknown bank " + b)), pcrs));
        }
        return s;
    }

    private static org.imaarchiver.replay.quote.Quote parse(Quote q) throws MalformedQuoteException {
        return org.imaarchiver.replay.quote.Quote.parse(q.attest().toArray());
    }

    private SegmentPacker packer() throws IOException {
        KeyMaterial key = KeyMaterial.readPem(settings.signing().keyDir());
        Optional<TimestampAuthority> tsa = settings.tsa().map(u -> new HttpTimestampAuthority(java.net.URI.create(u), Duration.ofSeconds(30)));
        return new SegmentPacker(store, new SegmentSigner(key, tsa), settings.workDir(), org.imaarchiver.replay.replay.Replayer.sequential());
    }

    private ArchiveStore openStore() throws IOException {
        ArchiverSettings.Store s = settings.store();
        StoreOptions.Builder b = StoreOptions.builder();
        if (!blank(s.s3Endpoint())) b.s3Endpoint(java.net.URI.create(s.s3Endpoint()));
        if (!blank(s.region())) b.region(s.region());
        if (s.pathStyle() != null) b.pathStyle(s.pathStyle());
        if (!blank(s.accessKeyId())) b.credentials(S3Credentials.of(s.accessKeyId(), s.secretAccessKey()));
        return storeOpener.open(s.uri(), b.build());
    }

    /** Sizes of the three objects of segment {@code sequence} as the store reports them. */
    private long uploadedBytes(long sequence) throws IOException {
        long total = 0;
        for (String key : List.of(org.imaarchiver.archive.chain.ArchiveLayout.segmentKey(host, sequence),
                org.imaarchiver.archive.chain.ArchiveLayout.signatureKey(host, sequence),
                org.imaarchiver.archive.chain.ArchiveLayout.manifestKey(host, sequence))) {
            total += store.stat(key).map(org.imaarchiver.archive.store.ObjectInfo::size).orElse(0L);
        }
        return total;
    }

    private static Optional<String> kernelVersion() {
        try {
            return Optional.of(Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private LogReadOptions options(Path file) {
        return LogReadOptions.of(file.toString()).withBank(bank).withFirstIndex(spoolFirst);
    }

    /** The spooled records with the given absolute indices (streamed). */
    private List<MeasurementRecord> spooled(long from, List<Long> wanted) throws IOException, MalformedLogException {
        List<MeasurementRecord> out = new ArrayList<>();
        long max = wanted.stream().mapToLong(Long::longValue).max().orElse(-1);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(spool))) {
            BinaryLogReader r = BinaryLogReader.open(in, options(spool));
            for (Optional<MeasurementRecord> m = r.next(); m.isPresent() && m.get().index() <= max; m = r.next()) {
                if (wanted.contains(m.get().index())) out.add(m.get());
            }
        }
        return out;
    }

    private static Optional<MeasurementRecord> find(List<MeasurementRecord> records, long index) {
        return records.stream().filter(r -> r.index() == index).findFirst();
    }

    /** The archived raw records from an absolute index, read from the local spool the segment was packed from. */
    private Iterator<Bytes> spoolIterator(long from, long end) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(spool));
        BinaryLogReader r = BinaryLogReader.open(in, options(spool));
        return new Iterator<>() {
            Optional<MeasurementRecord> next = advance();

            private Optional<MeasurementRecord> advance() {
                try {
                    Optional<MeasurementRecord> m = r.next();
                    while (m.isPresent() && m.get().index() < from) m = r.next();
                    if (m.isEmpty()) in.close();
                    return m;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (MalformedLogException e) {
                    throw new UncheckedIOException(new IOException(e));
                }
            }

            @Override
            public boolean hasNext() { return next.isPresent() && next.get().index() < end; }

            @Override
            public Bytes next() {
                if (!hasNext()) throw new NoSuchElementException();
                Bytes raw = next.get().raw();
                next = advance();
                return raw;
            }
        };
    }

    public String host() { return host; }

    void afterStep(String step) throws IOException { stepListener.afterStep(step); }
}

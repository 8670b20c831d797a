package org.imaarchiver.jobs.nightly;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.imaarchiver.archive.chain.ChainHead;
import org.imaarchiver.archive.chain.SegmentPacker;
import org.imaarchiver.archive.sign.HttpTimestampAuthority;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.sign.SegmentSigner;
import org.imaarchiver.archive.sign.TimestampAuthority;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.S3Credentials;
import org.imaarchiver.archive.store.StoreOptions;
import org.imaarchiver.jobs.config.ArchiverSettings;
import org.imaarchiver.jobs.host.securityfs.Backoff;
import org.imaarchiver.jobs.host.securityfs.SecurityfsFeatures;
import org.imaarchiver.jobs.host.securityfs.SecurityfsLog;
import org.imaarchiver.jobs.host.securityfs.TrimDecision;
import org.imaarchiver.jobs.host.securityfs.TrimOutcome;
import org.imaarchiver.jobs.host.securityfs.TrimSession;
import org.imaarchiver.jobs.host.state.HostState;
import org.imaarchiver.jobs.host.state.HostStateFile;
import org.imaarchiver.jobs.host.state.RecordId;
import org.imaarchiver.jobs.host.state.TrimJournal;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.quote.PcrSelection;

/**
 * One run of the nightly protocol (kernel-interface.md D.2, compare-then-trim variant): what every step
 * of {@link ArchiveJobConfiguration} shares and nothing changes (settings, clock, host, bank), with
 * the files and readers derived from them. What the steps find is in the {@link RunLedger}; nothing
 * of either survives a crash, and nothing needs to. What must survive lives in the archive (the
 * authority), the trim journal and the host state file.
 */
public final class ArchiveRun {
    static final String PRODUCER = "ima-archiver nightly";
    static final String BLOCK_FILE = "trim-blocked";
    static final String KERNEL_HEAD_FILE = "kernel-head.json";
    /** Written when N gave EINVAL (A.8: ima_flush_htable in effect): later runs trim by staging with prompt. */
    static final String FLUSH_HTABLE_FILE = "flush-htable";

    /** Opens the archive store (the production opener is {@code ArchiveStores::open}; a test may inject store timeouts). */
    @FunctionalInterface
    public interface StoreOpener {
        ArchiveStore open(String location, StoreOptions options) throws IOException;
    }

    private final ArchiverSettings settings;
    private final Clock clock;
    private final Instant started;
    private final String host;
    private final HashAlgorithm bank;
    private final StoreOpener storeOpener;
    private final RunKind kind;

    public ArchiveRun(ArchiverSettings settings, Clock clock, StoreOpener storeOpener) {
        this(settings, clock, storeOpener, RunKind.NIGHTLY);
    }

    public ArchiveRun(ArchiverSettings settings, Clock clock, StoreOpener storeOpener, RunKind kind) {
        this.settings = settings;
        this.clock = clock;
        this.started = clock.instant();
        this.host = settings.effectiveHostId();
        this.bank = HashAlgorithm.byKernelName(settings.templateBank())
                .orElseThrow(() -> new IllegalArgumentException("unknown template bank " + settings.templateBank()));
        this.storeOpener = storeOpener;
        this.kind = java.util.Objects.requireNonNull(kind, "kind");
    }

    public String host() { return host; }

    /** The scheduled run or the run at shutdown. */
    RunKind kind() { return kind; }

    ArchiverSettings settings() { return settings; }

    Clock clock() { return clock; }

    Instant started() { return started; }

    /** The bank whose {@code binary_runtime_measurements_<bank>} file is read and trimmed. */
    HashAlgorithm bank() { return bank; }

    Path stateDir() { return settings.stateDir(); }

    Path blockFile() { return stateDir().resolve(BLOCK_FILE); }

    Path kernelHeadFile() { return stateDir().resolve(KERNEL_HEAD_FILE); }

    Path flushHtableFile() { return stateDir().resolve(FLUSH_HTABLE_FILE); }

    /** The journal of an {@code N} (compare-then-trim). */
    TrimJournal trimJournal() { return new TrimJournal(settings.journalPath()); }

    /** The journal of a {@code D} (staging with prompt), next to the trim journal. */
    TrimJournal stageJournal() {
        Path j = settings.journalPath();
        return new TrimJournal(j.resolveSibling("stage-" + j.getFileName()));
    }

    Backoff backoff() {
        ArchiverSettings.Backoff b = settings.backoff();
        return new Backoff(b.attempts(), b.initial(), b.max());
    }

    /** Features with staging off: a session then reads through a read-only fd and never writes. */
    SecurityfsFeatures readOnly(SecurityfsLog log) {
        return new SecurityfsFeatures(log.root(), Set.of(bank), List.of(), false, false, false);
    }

    List<PcrSelection> selection() {
        List<PcrSelection> s = new ArrayList<>();
        int[] pcrs = settings.pcrs().stream().mapToInt(Integer::intValue).toArray();
        for (String b : settings.banks()) {
            s.add(PcrSelection.of(HashAlgorithm.byKernelName(b).orElseThrow(() -> new IllegalArgumentException("unknown bank " + b)), pcrs));
        }
        return s;
    }

    ArchiveStore openStore() throws IOException {
        ArchiverSettings.Store s = settings.store();
        StoreOptions.Builder b = StoreOptions.builder();
        if (!blank(s.s3Endpoint())) b.s3Endpoint(java.net.URI.create(s.s3Endpoint()));
        if (!blank(s.region())) b.region(s.region());
        if (s.pathStyle() != null) b.pathStyle(s.pathStyle());
        if (!blank(s.accessKeyId())) b.credentials(S3Credentials.of(s.accessKeyId(), s.secretAccessKey()));
        return storeOpener.open(s.uri(), b.build());
    }

    SegmentPacker packer(ArchiveStore store) throws IOException {
        KeyMaterial key = KeyMaterial.readPem(settings.signing().keyDir());
        Optional<TimestampAuthority> tsa = settings.tsa().map(u -> new HttpTimestampAuthority(java.net.URI.create(u), Duration.ofSeconds(30)));
        return new SegmentPacker(store, new SegmentSigner(key, tsa), settings.workDir(), org.imaarchiver.replay.replay.Replayer.sequential());
    }

    /** The current list's first record, read through a read-only fd. */
    Optional<MeasurementRecord> readKernelHead(SecurityfsLog log) throws IOException, MalformedLogException, InterruptedException {
        @SuppressWarnings("unchecked")
        Optional<MeasurementRecord>[] first = new Optional[] {Optional.empty()};
        try (TrimSession reading = TrimSession.open(log, readOnly(log), backoff())) {
            reading.readPersistTrim(bank, 0, batch -> {
                first[0] = batch.next();
                return TrimDecision.abort("head only");
            });
        }
        return first[0];
    }

    /** The staged list's first record (A.8: a batch staged and not yet deleted), if the kernel has staging. */
    Optional<MeasurementRecord> readStagedHead(SecurityfsLog log) throws IOException, MalformedLogException, InterruptedException {
        if (!Files.exists(log.stagedFile(bank))) return Optional.empty();
        @SuppressWarnings("unchecked")
        Optional<MeasurementRecord>[] first = new Optional[] {Optional.empty()};
        try (TrimSession reading = TrimSession.open(log, readOnly(log), backoff())) {
            reading.readStaged(bank, 0, batch -> first[0] = batch.next());
        }
        return first[0];
    }

    /**
     * The host state file (cursor, last segment, boot) and the kernel head the run leaves at the
     * cursor, which the next run checks before trusting the cursor.
     */
    void writeHostState(Optional<ChainHead> head, long trimmedSoFar, Optional<RecordId> expectedHead) throws IOException {
        String bootId = head.map(h -> h.boot().bootCounter() + ":" + h.boot().resetCount() + ":" + h.boot().bootAggregate().hex())
                .orElse("none");
        Optional<HostState.SegmentRef> last = head.map(h -> new HostState.SegmentRef(h.sequence(), h.manifestDigest()));
        if (expectedHead.isPresent()) new ExpectedHead(trimmedSoFar, expectedHead.get()).write(kernelHeadFile());
        else Files.deleteIfExists(kernelHeadFile());
        new HostStateFile(settings.hostStatePath()).write(new HostState(host, bootId, trimmedSoFar, last, clock.instant()));
    }

    static boolean isBootAggregate(MeasurementRecord r) {
        try {
            return org.imaarchiver.replay.log.RecordDecoder.decode(r).name()
                    .equals(Optional.of(SegmentPacker.BOOT_AGGREGATE));
        } catch (MalformedLogException | RuntimeException e) {
            return false;
        }
    }

    /** The metrics and log label of a refused trim. */
    static String reasonLabel(TrimOutcome.Reason r) {
        if (r instanceof TrimOutcome.Busy) return "busy";
        if (r instanceof TrimOutcome.ShuttingDown) return "shutting_down";
        if (r instanceof TrimOutcome.FlushHtable) return "flush_htable";
        if (r instanceof TrimOutcome.NotPermitted) return "not_permitted";
        if (r instanceof TrimOutcome.ArchiveOnly) return "archive_only";
        if (r instanceof TrimOutcome.NothingToTrim) return "nothing_to_trim";
        return "aborted";
    }

    private static boolean blank(String s) { return s == null || s.isBlank(); }
}

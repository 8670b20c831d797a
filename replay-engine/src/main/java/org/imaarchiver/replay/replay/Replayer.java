package org.imaarchiver.replay.replay;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.log.TemplateHash;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.ExtendMode;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.pcr.PcrState;

/**
 * Replays IMA measurement records into PCR values, continuing from a {@link PcrState}.
 *
 * <p>Rules (docs/replay.md):
 * <ul>
 *   <li>Each record's template digest is recomputed per bank over its template data (kernel-interface.md
 *       B.7), and the digest stored in the record is checked against the recomputation in the
 *       stored digest's own bank (20 bytes: sha1, 32: sha256, 48: sha384, 64: sha512; B.1, B.3).</li>
 *   <li>The RECOMPUTED digest is extended, never the stored one: {@code PCR = H_bank(PCR || value)}
 *       (B.10) into the PCR the record names, for every PCR that appears (B.11). A stored digest
 *       that disagrees is reported as {@link ReplayFailure.TemplateDigestMismatch} and the replay
 *       goes on, so every bad record is listed; such a replay is not clean and must not be trusted.
 *       (The kernel extends what it computed; a stored value that differs was altered after the
 *       fact, so the recomputed value is the one a quote can confirm.)</li>
 *   <li>A violation (stored digest all zeros, B.8) is not checked and extends all 0xFF of the bank's
 *       size, or under {@link ExtendMode#SHA1_ZERO_PADDED} 20 bytes of 0xFF then zeros.</li>
 *   <li>{@link ExtendMode#SHA1_ZERO_PADDED} extends the SHA-1 template digest zero-padded (or
 *       truncated) to the bank size (pre-5.8 kernels, B.10).</li>
 *   <li>Records must carry the absolute indices {@code base.nextIndex()}, +1, ... A gap, a PCR outside
 *       0..23, an unsupported stored digest size, an unhashable template or a malformed input stops
 *       the replay; the state then covers the records before it (fail closed).</li>
 * </ul>
 *
 * <p>Performance: template hashing and the stored-digest check are independent per record, so they
 * run on worker threads in batches; a reader thread fills batches; the calling thread extends the
 * PCRs in log order (the only sequential part) and calls the observer. At most a fixed number of
 * batches is in flight, so memory does not grow with the log. The source is read ahead of the
 * extend stage by up to that many batches, also when the observer stops the replay early.
 *
 * <p>Instances are immutable and thread-safe; each call uses its own threads and registers.
 */
public final class Replayer {
    /** Failures listed in a result; the rest are only counted, so a hostile log cannot exhaust memory. */
    public static final int MAX_REPORTED_FAILURES = 100;
    /** Large enough to amortise the hand-off between threads, small enough to keep few records in memory. */
    public static final int DEFAULT_BATCH_SIZE = 4096;
    /** How long to wait for the reader thread after a stop (it may be blocked in the source). */
    private static final long READER_JOIN_MILLIS = 10_000;

    private static final HashAlgorithm[] BY_LENGTH = new HashAlgorithm[65];
    static {
        for (HashAlgorithm a : HashAlgorithm.values()) BY_LENGTH[a.digestLength()] = a;
    }
    private static final HashAlgorithm[] ALGS = HashAlgorithm.values();

    private final int workers;
    private final int batchSize;
    private final int batchesInFlight;

    private Replayer(int workers, int batchSize, int batchesInFlight) {
        if (workers < 0) throw new IllegalArgumentException("workers < 0: " + workers);
        if (batchSize < 1) throw new IllegalArgumentException("batchSize < 1: " + batchSize);
        if (batchesInFlight < 1) throw new IllegalArgumentException("batchesInFlight < 1: " + batchesInFlight);
        this.workers = workers;
        this.batchSize = batchSize;
        this.batchesInFlight = batchesInFlight;
    }

    /** Hashing on one worker per available core, default batch size. */
    public static Replayer parallel() {
        int cores = Runtime.getRuntime().availableProcessors();
        return new Replayer(cores, DEFAULT_BATCH_SIZE, cores + 2);
    }

    /** Everything on the calling thread (no threads started); same results, for small lists and debugging. */
    public static Replayer sequential() {
        return new Replayer(0, 256, 1);
    }

    /** {@code workers} hashing threads (0 = everything on the calling thread) and the given batch size. */
    public static Replayer of(int workers, int batchSize) {
        return new Replayer(workers, batchSize, Math.max(1, workers + 2));
    }

    /** Replays every record of {@code source} from {@code base}, with the base's banks and extend modes. */
    public ReplayResult replay(PcrState base, RecordSource source) throws IOException {
        return replay(base, source, ReplayObserver.NONE);
    }

    /**
     * Replays from {@code base}, calling {@code observer} after each record in log order.
     *
     * @throws IOException when the source throws it (records before it were replayed but the result
     *                     is lost: an I/O error is not a property of the log)
     */
    public ReplayResult replay(PcrState base, RecordSource source, ReplayObserver observer) throws IOException {
        Objects.requireNonNull(observer);
        Run run = new Run(base, List.of(), source, observer);
        run.execute();
        return run.result(run.primary);
    }

    /**
     * Replays once and picks, per bank, the extend mode (B.10) whose values equal {@code expected}:
     * the base's mode first, then the other modes in declaration order ({@code per-bank-hash},
     * {@code sha1-zero-padded}); only banks that appear in {@code expected} are tried with other
     * modes, like go-attestation's workarounds tried only for a failing PCR. All modes are replayed
     * side by side, so the source is read once. The returned state carries the chosen modes; a bank
     * no mode matches keeps the base's mode and gets a {@link ReplayFailure.PcrMismatch} per PCR.
     */
    public ModeSelection replaySelectingModes(PcrState base, RecordSource source, SortedMap<PcrBank, Digest> expected)
            throws IOException {
        List<ReplayFailure> missing = new ArrayList<>();
        Set<HashAlgorithm> expectedBanks = java.util.EnumSet.noneOf(HashAlgorithm.class);
        for (PcrBank k : expected.keySet()) expectedBanks.add(k.algorithm());
        for (HashAlgorithm b : expectedBanks) {
            if (!base.banks().contains(b)) missing.add(new ReplayFailure.BankNotReplayed(b));
        }
        if (!missing.isEmpty()) {
            ReplayResult nothing = new ReplayResult(base, 0, 0, missing, missing.size(), false);
            return new ModeSelection(nothing, Map.of(), missing);
        }
        List<Lane.Spec> alternates = new ArrayList<>();
        for (HashAlgorithm b : expectedBanks) {
            // SHA-1 under zero padding is the SHA-1 digest itself: nothing else to try.
            if (b == HashAlgorithm.SHA1) continue;
            for (ExtendMode m : ExtendMode.values()) {
                if (m != base.extendMode(b)) alternates.add(new Lane.Spec(b, m));
            }
        }
        Run run = new Run(base, alternates, source, ReplayObserver.NONE);
        run.execute();

        Map<HashAlgorithm, ExtendMode> matched = new EnumMap<>(HashAlgorithm.class);
        Lane[] chosen = run.primary.clone();
        List<ReplayFailure> mismatches = new ArrayList<>();
        for (HashAlgorithm b : expectedBanks) {
            List<Lane> candidates = new ArrayList<>();
            candidates.add(run.primary[b.ordinal()]);
            for (Lane l : run.lanes) if (l.bank == b && l != run.primary[b.ordinal()]) candidates.add(l);
            Optional<Lane> hit = candidates.stream().filter(l -> l.matches(expected)).findFirst();
            if (hit.isPresent()) {
                chosen[b.ordinal()] = hit.get();
                matched.put(b, hit.get().mode);
            } else {
                Lane l = run.primary[b.ordinal()];
                for (var e : expected.entrySet()) {
                    if (e.getKey().algorithm() != b) continue;
                    Digest replayed = l.value(e.getKey().index());
                    if (!replayed.equals(e.getValue())) {
                        mismatches.add(new ReplayFailure.PcrMismatch(e.getKey().index(), b, e.getValue(), replayed,
                                run.nextIndex));
                    }
                }
            }
        }
        return new ModeSelection(run.result(chosen), matched, mismatches);
    }

    /**
     * The outcome of {@link #replaySelectingModes}.
     *
     * @param replay       the replay, its state using the matched modes
     * @param matchedModes the mode that reproduced the expected values, per bank that had expected values
     * @param mismatches   {@link ReplayFailure.PcrMismatch} (under the base's mode) for banks no mode
     *                     matched, or {@link ReplayFailure.BankNotReplayed}; empty when all matched
     */
    public record ModeSelection(ReplayResult replay, Map<HashAlgorithm, ExtendMode> matchedModes,
                                List<ReplayFailure> mismatches) {
        public ModeSelection {
            Objects.requireNonNull(replay);
            matchedModes = Collections.unmodifiableMap(matchedModes.isEmpty()
                    ? new EnumMap<>(HashAlgorithm.class) : new EnumMap<>(matchedModes));
            mismatches = List.copyOf(mismatches);
        }

        /** Every expected value was reproduced (the replay itself may still have failures). */
        public boolean allMatched() { return mismatches.isEmpty(); }
    }

    // ---------------------------------------------------------------------------------------------

    /** PCR registers of one bank under one extend mode. */
    static final class Lane {
        record Spec(HashAlgorithm bank, ExtendMode mode) {}

        final HashAlgorithm bank;
        final ExtendMode mode;
        final int len;
        final byte[] regs;
        /** Bit i set: PCR i has an explicit value (from the base or extended). */
        int present;
        final MessageDigest md;
        final byte[] violationValue;
        /** Zero-padded SHA-1 template digest; bytes past 20 stay zero. */
        final byte[] padded;
        final boolean padsSha1;

        Lane(HashAlgorithm bank, ExtendMode mode, PcrState base) {
            this.bank = bank;
            this.mode = mode;
            this.len = bank.digestLength();
            this.regs = new byte[(PcrBank.MAX_PCR + 1) * len];
            this.md = bank.newDigest();
            this.padsSha1 = mode == ExtendMode.SHA1_ZERO_PADDED && bank != HashAlgorithm.SHA1;
            this.padded = new byte[len];
            this.violationValue = new byte[len];
            // B.8: all 0xFF of the bank size; the pre-5.8 path padded 20 bytes of 0xFF (B.10).
            int ff = mode == ExtendMode.SHA1_ZERO_PADDED ? Math.min(HashAlgorithm.SHA1.digestLength(), len) : len;
            java.util.Arrays.fill(violationValue, 0, ff, (byte) 0xFF);
            for (var e : base.values().entrySet()) {
                if (e.getKey().algorithm() != bank) continue;
                e.getValue().copyTo(regs, e.getKey().index() * len);
                present |= 1 << e.getKey().index();
            }
        }

        void extend(int pcr, byte[] value, int offset) {
            int at = pcr * len;
            md.update(regs, at, len);
            md.update(value, offset, len);
            try {
                md.digest(regs, at, len);
            } catch (java.security.DigestException e) {
                throw new IllegalStateException(e);
            }
            present |= 1 << pcr;
        }

        Digest value(int pcr) { return Digest.of(regs, pcr * len, len); }

        boolean matches(SortedMap<PcrBank, Digest> expected) {
            for (var e : expected.entrySet()) {
                if (e.getKey().algorithm() != bank) continue;
                if (!e.getValue().equalsBytes(regs, e.getKey().index() * len, len)) return false;
            }
            return true;
        }
    }

    /** One batch of consecutive records moving through read -> hash -> extend. */
    private static final class Batch {
        final MeasurementRecord[] records;
        int size;
        /** Template digests by HashAlgorithm ordinal, {@code len} bytes per record position. */
        final byte[][] digests = new byte[ALGS.length][];
        /** Position from which records are not extended because of {@link #stopFailure}; -1 if none. */
        int stopAt = -1;
        ReplayFailure stopFailure;
        final List<ReplayFailure.TemplateDigestMismatch> mismatches = new ArrayList<>(0);
        /** Set by the reader: what ended the source after the records of this batch. */
        ReplayFailure endFailure;
        boolean endOfSource;
        IOException ioError;
        Throwable unexpected;
        /** Set by the reader (only): no batch follows this one. */
        boolean sourceEnded;
        final CountDownLatch hashed = new CountDownLatch(1);

        Batch(int capacity) { records = new MeasurementRecord[capacity]; }

        boolean isLast() { return endOfSource || endFailure != null || ioError != null || unexpected != null || stopAt >= 0; }
    }

    /** The state of one replay call. */
    private final class Run implements PcrView {
        final PcrState base;
        final RecordSource source;
        final ReplayObserver observer;
        final Lane[] lanes;
        final Lane[] primary = new Lane[ALGS.length];
        final boolean[] hashBank = new boolean[ALGS.length];
        long nextIndex;
        long readIndex;
        long replayed;
        long violations;
        long failureCount;
        boolean reachedEnd;
        final List<ReplayFailure> failures = new ArrayList<>();
        volatile boolean stopped;

        Run(PcrState base, List<Lane.Spec> alternates, RecordSource source, ReplayObserver observer) {
            this.base = Objects.requireNonNull(base);
            this.source = Objects.requireNonNull(source);
            this.observer = observer;
            List<Lane> all = new ArrayList<>();
            for (HashAlgorithm b : base.banks()) {
                Lane l = new Lane(b, base.extendMode(b), base);
                primary[b.ordinal()] = l;
                all.add(l);
            }
            for (Lane.Spec s : alternates) all.add(new Lane(s.bank(), s.mode(), base));
            lanes = all.toArray(new Lane[0]);
            for (Lane l : lanes) {
                hashBank[l.bank.ordinal()] = true;
                if (l.padsSha1) hashBank[HashAlgorithm.SHA1.ordinal()] = true;
            }
            nextIndex = base.nextIndex();
            readIndex = base.nextIndex();
        }

        void execute() throws IOException {
            if (workers == 0) {
                MessageDigest[] mds = newDigests();
                byte[] scratch = new byte[64];
                while (true) {
                    Batch b = read();
                    hash(b, mds, scratch);
                    if (!extend(b) || b.isLast()) return;
                }
            }
            executeParallel();
        }

        private void executeParallel() throws IOException {
            AtomicInteger n = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
                Thread t = new Thread(r, "ima-replay-hash-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            ThreadLocal<MessageDigest[]> mds = ThreadLocal.withInitial(this::newDigests);
            ThreadLocal<byte[]> scratch = ThreadLocal.withInitial(() -> new byte[64]);
            ArrayBlockingQueue<Batch> ordered = new ArrayBlockingQueue<>(batchesInFlight);
            Thread reader = new Thread(() -> {
                while (!stopped) {
                    Batch b = read();
                    try {
                        pool.execute(() -> {
                            try {
                                hash(b, mds.get(), scratch.get());
                            } catch (Throwable t) {
                                b.unexpected = t;
                            } finally {
                                b.hashed.countDown();
                            }
                        });
                    } catch (RejectedExecutionException e) {
                        return; // stopped
                    }
                    try {
                        while (!ordered.offer(b, 100, TimeUnit.MILLISECONDS)) {
                            if (stopped) return;
                        }
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (b.sourceEnded) return;
                }
            }, "ima-replay-read");
            reader.setDaemon(true);
            reader.start();
            try {
                while (true) {
                    Batch b = ordered.take();
                    b.hashed.await();
                    if (!extend(b) || b.isLast()) return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("replay interrupted");
            } finally {
                stopped = true;
                pool.shutdownNow();
                reader.interrupt();
                try {
                    reader.join(READER_JOIN_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        MessageDigest[] newDigests() {
            MessageDigest[] mds = new MessageDigest[ALGS.length];
            for (HashAlgorithm a : ALGS) mds[a.ordinal()] = a.newDigest();
            return mds;
        }

        /** Reader stage: the next batch of records with contiguous indices. */
        Batch read() {
            Batch b = new Batch(batchSize);
            try {
                while (b.size < batchSize) {
                    Optional<MeasurementRecord> next = source.next();
                    if (next.isEmpty()) {
                        b.endOfSource = true;
                        break;
                    }
                    MeasurementRecord r = next.get();
                    if (r.index() != readIndex) {
                        b.endFailure = new ReplayFailure.IndexGap(readIndex, r.index(), r.offset());
                        break;
                    }
                    if (r.pcr() < 0 || r.pcr() > PcrBank.MAX_PCR) {
                        b.endFailure = new ReplayFailure.PcrOutOfRange(r.index(), r.offset(), r.pcr());
                        break;
                    }
                    b.records[b.size++] = r;
                    readIndex++;
                }
            } catch (MalformedLogException e) {
                b.endFailure = ReplayFailure.MalformedInput.of(e);
            } catch (IOException e) {
                b.ioError = e;
            } catch (RuntimeException | Error e) {
                // Handed to the extend stage, which rethrows it on the caller's thread.
                b.unexpected = e;
            }
            b.sourceEnded = b.endOfSource || b.endFailure != null || b.ioError != null || b.unexpected != null;
            return b;
        }

        /** Hash stage: template digests per needed bank and the stored-digest check (B.7, B.8). */
        void hash(Batch b, MessageDigest[] mds, byte[] scratch) {
            for (HashAlgorithm a : ALGS) {
                if (hashBank[a.ordinal()]) b.digests[a.ordinal()] = new byte[b.size * a.digestLength()];
            }
            for (int i = 0; i < b.size; i++) {
                MeasurementRecord r = b.records[i];
                Digest stored = r.templateDigest();
                HashAlgorithm fileBank = stored.length() < BY_LENGTH.length ? BY_LENGTH[stored.length()] : null;
                if (fileBank == null) {
                    b.stopAt = i;
                    b.stopFailure = new ReplayFailure.UnsupportedDigestLength(r.index(), r.offset(), stored.length());
                    return;
                }
                if (stored.isAllZero()) continue; // violation: nothing to hash or check (B.8)
                for (HashAlgorithm a : ALGS) {
                    if (!hashBank[a.ordinal()]) continue;
                    Optional<String> bad = TemplateHash.tryDigestInto(r, mds[a.ordinal()], b.digests[a.ordinal()], i * a.digestLength());
                    if (bad.isPresent()) {
                        b.stopAt = i;
                        b.stopFailure = new ReplayFailure.UnhashableTemplate(r.index(), r.offset(), r.templateName(), bad.get());
                        return;
                    }
                }
                byte[] computed;
                int at;
                if (hashBank[fileBank.ordinal()]) {
                    computed = b.digests[fileBank.ordinal()];
                    at = i * fileBank.digestLength();
                } else {
                    TemplateHash.tryDigestInto(r, mds[fileBank.ordinal()], scratch, 0);
                    computed = scratch;
                    at = 0;
                }
                if (!stored.equalsBytes(computed, at, fileBank.digestLength())) {
                    b.mismatches.add(new ReplayFailure.TemplateDigestMismatch(r.index(), r.offset(), fileBank, stored,
                            Digest.of(computed, at, fileBank.digestLength())));
                }
            }
        }

        /** Extend stage, in log order. Returns false when the replay must stop. */
        boolean extend(Batch b) throws IOException {
            if (b.unexpected instanceof RuntimeException e) throw e;
            if (b.unexpected instanceof Error e) throw e;
            if (b.unexpected != null) throw new IllegalStateException(b.unexpected);
            int n = b.stopAt >= 0 ? b.stopAt : b.size;
            int mismatch = 0;
            byte[] sha1 = b.digests[HashAlgorithm.SHA1.ordinal()];
            for (int i = 0; i < n; i++) {
                MeasurementRecord r = b.records[i];
                b.records[i] = null; // let the record go as soon as it is extended
                int pcr = r.pcr();
                boolean violation = r.isViolation();
                for (Lane l : lanes) {
                    if (violation) {
                        l.extend(pcr, l.violationValue, 0);
                    } else if (l.padsSha1) {
                        System.arraycopy(sha1, i * 20, l.padded, 0, Math.min(20, l.len));
                        l.extend(pcr, l.padded, 0);
                    } else {
                        l.extend(pcr, b.digests[l.bank.ordinal()], i * l.len);
                    }
                }
                nextIndex++;
                replayed++;
                if (violation) violations++;
                while (mismatch < b.mismatches.size() && b.mismatches.get(mismatch).recordIndex() == r.index()) {
                    fail(b.mismatches.get(mismatch++));
                }
                if (!observer.afterRecord(r, this)) return false;
            }
            if (b.stopFailure != null) {
                fail(b.stopFailure);
                return false;
            }
            if (b.endFailure != null) {
                fail(b.endFailure);
                return false;
            }
            if (b.ioError != null) throw b.ioError;
            if (b.endOfSource) reachedEnd = true;
            return !b.endOfSource;
        }

        void fail(ReplayFailure f) {
            if (failures.size() < MAX_REPORTED_FAILURES) failures.add(f);
            failureCount++;
        }

        ReplayResult result(Lane[] chosen) {
            return new ReplayResult(state(chosen), replayed, violations, failures, failureCount, reachedEnd);
        }

        PcrState state(Lane[] chosen) {
            SortedMap<PcrBank, Digest> values = new TreeMap<>();
            Map<HashAlgorithm, ExtendMode> modes = new EnumMap<>(HashAlgorithm.class);
            for (HashAlgorithm a : base.banks()) {
                Lane l = chosen[a.ordinal()];
                modes.put(a, l.mode);
                for (int p = 0; p <= PcrBank.MAX_PCR; p++) {
                    if ((l.present & (1 << p)) != 0) values.put(PcrBank.of(p, a), l.value(p));
                }
            }
            return new PcrState(nextIndex, base.banks(), values, modes);
        }

        // ---- PcrView over the base-mode lanes ----

        private Lane lane(HashAlgorithm bank) {
            Lane l = primary[bank.ordinal()];
            if (l == null) throw new IllegalArgumentException("bank " + bank + " not replayed");
            return l;
        }

        private static void checkPcr(int pcr) {
            if (pcr < 0 || pcr > PcrBank.MAX_PCR) throw new IllegalArgumentException("PCR out of range: " + pcr);
        }

        @Override
        public long nextIndex() { return nextIndex; }

        @Override
        public Set<HashAlgorithm> banks() { return base.banks(); }

        @Override
        public Digest value(int pcr, HashAlgorithm bank) {
            checkPcr(pcr);
            return lane(bank).value(pcr);
        }

        @Override
        public void updateDigest(MessageDigest md, int pcr, HashAlgorithm bank) {
            checkPcr(pcr);
            Lane l = lane(bank);
            md.update(l.regs, pcr * l.len, l.len);
        }

        @Override
        public boolean valueEquals(int pcr, HashAlgorithm bank, Digest expected) {
            checkPcr(pcr);
            Lane l = lane(bank);
            return expected.length() == l.len && expected.equalsBytes(l.regs, pcr * l.len, l.len);
        }

        @Override
        public PcrState snapshot() { return state(primary); }
    }
}

package org.imaarchiver.jobs.host.securityfs;

import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.imaarchiver.jobs.host.securityfs.RecordBatch.Kind;
import org.imaarchiver.jobs.host.securityfs.TrimOutcome.NotTrimmed;
import org.imaarchiver.jobs.host.securityfs.TrimOutcome.Trimmed;
import org.imaarchiver.replay.log.BinaryLogReader;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.LogReadOptions;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * The kernel side of one trim (kernel-interface.md D.2, A.8, A.9): read the measurement list, let the
 * job persist it, then delete what it stored.
 *
 * <p>The 7.2 kernel ties the writer slot to the task that opened it, and its close bookkeeping
 * compares the calling task too (D.3). So every open, read, write and close of one transaction runs
 * on this session's own single thread, whatever thread calls; callers block until it is done.
 *
 * <p>Writes are exactly one {@code write(2)} of the whole request on an fd opened
 * {@code READ, WRITE} without {@code O_CREAT|O_TRUNC} (D.3): a split write is a different request.
 */
public final class TrimSession implements AutoCloseable {
    private static final Set<OpenOption> READ_WRITE = Set.of(READ, WRITE);
    private static final Set<OpenOption> READ_ONLY = Set.of(READ);
    private static final String STAGE_ALL = "A\n";
    private static final String DELETE_STAGED = "D\n";

    private final SecurityfsLog log;
    private final SecurityfsFeatures features;
    private final Backoff backoff;
    private final ExecutorService trimThread;
    private volatile Thread worker;

    private TrimSession(SecurityfsLog log, SecurityfsFeatures features, Backoff backoff) {
        this.log = Objects.requireNonNull(log, "log");
        this.features = Objects.requireNonNull(features, "features");
        this.backoff = Objects.requireNonNull(backoff, "backoff");
        this.trimThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "ima-trim");
            t.setDaemon(true);
            worker = t;
            return t;
        });
    }

    /**
     * A session over {@code log} whose kernel offers {@code features} (from {@link SecurityfsLog#features()},
     * possibly {@link SecurityfsFeatures#withFlushHtable()}).
     */
    public static TrimSession open(SecurityfsLog log, SecurityfsFeatures features, Backoff backoff) {
        return new TrimSession(log, features, backoff);
    }

    public SecurityfsFeatures features() { return features; }

    /**
     * Paul Moore's transaction (A.9, D.2 steps 3-8) under the writer lock: open
     * {@code binary_runtime_measurements_<bank>} read/write, read it to EOF through that fd while
     * the callback persists, write {@code "<N>\n"} on the same fd, close. Nobody can trim or read
     * between the read and the write; every other reader gets EBUSY for as long as the callback runs.
     *
     * <p>Without staging support the list is read through a read-only fd and nothing is written
     * ({@link TrimOutcome.ArchiveOnly}). With {@code ima_flush_htable} known nothing is opened
     * ({@link TrimOutcome.FlushHtable}): use {@link #stage} and {@link #deleteStaged}.
     *
     * @param trimmedSoFar absolute index of the kernel list's first record (from the archive chain head)
     */
    public TrimOutcome readPersistTrim(HashAlgorithm bank, long trimmedSoFar, TrimCallback callback)
            throws IOException, MalformedLogException, InterruptedException {
        checkArguments(bank, trimmedSoFar, callback);
        return onTrimThread(() -> {
            if (features.mode() == SecurityfsFeatures.Mode.ARCHIVE_ONLY) return archiveOnly(bank, trimmedSoFar, callback);
            // N would be EINVAL: do not take the writer lock for nothing (A.8)
            if (features.flushHtable()) return new NotTrimmed(new TrimOutcome.FlushHtable(), 0, 0);
            Path file = log.binaryFile(bank);
            Opened opened = openWithRetry(file, READ_WRITE);
            if (opened instanceof Refused r) return new NotTrimmed(r.reason(), 0, r.attempts());
            Open open = (Open) opened;
            try (FileChannel ch = open.channel()) {
                BinaryLogReader reader = reader(ch, file, bank, trimmedSoFar);
                TrimDecision decision = callback.persist(new RecordBatch(file, bank, trimmedSoFar, Kind.CURRENT_LIST, reader));
                long read = reader.recordsRead();
                Optional<NotTrimmed> refused = refuse(decision, read, open.attempts());
                if (refused.isPresent()) return refused.get();
                return writeCount(ch, file, ((TrimDecision.Trim) decision).n(), trimmedSoFar, read, open.attempts());
            }
        });
    }

    /**
     * Compare-then-trim (D.2 end), for a short writer lock: read through a read-only fd (shared
     * with other readers) while the callback persists, close it; then open read/write, re-read the
     * first N records and compare them byte for byte with {@code archived}; only if all N are
     * identical write {@code "<N>\n"} on that fd. {@code archived} is consulted under the writer
     * lock, so it should read a local durable copy, not a remote store.
     */
    public TrimOutcome compareThenTrim(HashAlgorithm bank, long trimmedSoFar, TrimCallback callback, ArchivedRecords archived)
            throws IOException, MalformedLogException, InterruptedException {
        checkArguments(bank, trimmedSoFar, callback);
        Objects.requireNonNull(archived, "archived");
        return onTrimThread(() -> {
            if (features.mode() == SecurityfsFeatures.Mode.ARCHIVE_ONLY) return archiveOnly(bank, trimmedSoFar, callback);
            if (features.flushHtable()) return new NotTrimmed(new TrimOutcome.FlushHtable(), 0, 0);
            Path file = log.binaryFile(bank);
            Opened reading = openWithRetry(file, READ_ONLY);
            if (reading instanceof Refused r) return new NotTrimmed(r.reason(), 0, 0);
            TrimDecision decision;
            long read;
            try (FileChannel ch = ((Open) reading).channel()) {
                BinaryLogReader reader = reader(ch, file, bank, trimmedSoFar);
                decision = callback.persist(new RecordBatch(file, bank, trimmedSoFar, Kind.CURRENT_LIST, reader));
                read = reader.recordsRead();
            }
            Optional<NotTrimmed> refused = refuse(decision, read, 0);
            if (refused.isPresent()) return refused.get();
            long n = ((TrimDecision.Trim) decision).n();
            Opened writing = openWithRetry(file, READ_WRITE);
            if (writing instanceof Refused r) return new NotTrimmed(r.reason(), read, r.attempts());
            Open open = (Open) writing;
            try (FileChannel ch = open.channel()) {
                Optional<Long> mismatch = firstDifference(reader(ch, file, bank, trimmedSoFar), trimmedSoFar, archived.rawFrom(trimmedSoFar), n);
                if (mismatch.isPresent()) {
                    return new NotTrimmed(new TrimOutcome.HeadMismatch(mismatch.get()), read, open.attempts());
                }
                return writeCount(ch, file, n, trimmedSoFar, read, open.attempts());
            }
        });
    }

    /**
     * First half of "staging with prompt" (A.8, D.2 variant for {@code ima_flush_htable}), split in
     * two short writer transactions: open {@code binary_runtime_measurements_<bank>_staged}
     * read/write, write {@code "A\n"}, read the staged batch through that fd into {@code reader}
     * (the nightly job reads nothing here and uses {@link #readStaged}, so the writer fd lives only
     * for {@code A}), close. The staged records stay in the kernel (the staged list survives the
     * close) until {@link #deleteStaged}. EEXIST on {@code A}
     * means an earlier run's batch is pending: it is read instead ({@link RecordBatch.Kind#STAGED_PENDING});
     * records appended since that {@code A} are in the current list, which this method does not read.
     */
    public StageOutcome stage(HashAlgorithm bank, long firstIndex, BatchReader reader)
            throws IOException, MalformedLogException, InterruptedException {
        checkArguments(bank, firstIndex);
        Objects.requireNonNull(reader, "reader");
        return onTrimThread(() -> {
            if (features.mode() == SecurityfsFeatures.Mode.ARCHIVE_ONLY) return new StageOutcome.NotStaged(new TrimOutcome.ArchiveOnly(), 0);
            Path file = log.stagedFile(bank);
            Opened opened = openWithRetry(file, READ_WRITE);
            if (opened instanceof Refused r) return new StageOutcome.NotStaged(r.reason(), r.attempts());
            Open open = (Open) opened;
            try (FileChannel ch = open.channel()) {
                Kind kind = Kind.STAGED;
                Optional<Errno> staged = request(ch, STAGE_ALL);
                if (staged.isPresent()) {
                    switch (staged.get()) {
                        case EEXIST: kind = Kind.STAGED_PENDING; break;
                        case ENOENT: return new StageOutcome.NotStaged(new TrimOutcome.NothingToTrim(), open.attempts());
                        case EACCES: return new StageOutcome.NotStaged(new TrimOutcome.ShuttingDown(), open.attempts());
                        default: throw unexpected(file, STAGE_ALL, staged.get());
                    }
                }
                BinaryLogReader records = reader(ch, file, bank, firstIndex);
                reader.read(new RecordBatch(file, bank, firstIndex, kind, records));
                // what the reader consumed: a reader that stops early (a torn read) makes deleteStaged refuse
                return new StageOutcome.Staged(kind, firstIndex, records.recordsRead(), open.attempts());
            }
        });
    }

    /**
     * Reads the staged list through a read-only fd (shared with other readers) and never writes:
     * the batch after {@link #stage}, and what a restarted job uses to tell whether a journaled
     * {@code D} happened (D.1 item 6).
     */
    public void readStaged(HashAlgorithm bank, long firstIndex, BatchReader reader)
            throws IOException, MalformedLogException, InterruptedException {
        checkArguments(bank, firstIndex);
        Objects.requireNonNull(reader, "reader");
        onTrimThread(() -> {
            Path file = log.stagedFile(bank);
            Opened opened = openWithRetry(file, READ_ONLY);
            if (opened instanceof Refused r) throw new IOException(file + ": cannot open for reading: " + r.reason());
            try (FileChannel ch = ((Open) opened).channel()) {
                reader.read(new RecordBatch(file, bank, firstIndex, Kind.STAGED, reader(ch, file, bank, firstIndex)));
            }
            return null;
        });
    }

    /**
     * Second half of "staging with prompt" (compare-then-delete, D.2 end applied to
     * {@code D}): open the {@code _staged} file read/write, re-read the staged batch and compare it
     * byte for byte with {@code archived} (exactly {@code expected} records, no more, no fewer),
     * then write {@code "D\n"} on that fd and close. {@code D} deletes the whole staged list, so the
     * caller must have stored every record of it durably (the quoted part in the archive, the rest
     * as excess).
     */
    public TrimOutcome deleteStaged(HashAlgorithm bank, long firstIndex, long expected, ArchivedRecords archived)
            throws IOException, MalformedLogException, InterruptedException {
        checkArguments(bank, firstIndex);
        Objects.requireNonNull(archived, "archived");
        if (expected < 1) throw new IllegalArgumentException("expected < 1: " + expected);
        return onTrimThread(() -> {
            if (features.mode() == SecurityfsFeatures.Mode.ARCHIVE_ONLY) return new NotTrimmed(new TrimOutcome.ArchiveOnly(), 0, 0);
            Path file = log.stagedFile(bank);
            Opened opened = openWithRetry(file, READ_WRITE);
            if (opened instanceof Refused r) return new NotTrimmed(r.reason(), 0, r.attempts());
            Open open = (Open) opened;
            try (FileChannel ch = open.channel()) {
                BinaryLogReader staged = reader(ch, file, bank, firstIndex);
                Optional<Long> mismatch = firstDifference(staged, firstIndex, archived.rawFrom(firstIndex), expected);
                if (mismatch.isEmpty() && staged.next().isPresent()) mismatch = Optional.of(firstIndex + expected); // more than stored
                if (mismatch.isPresent()) return new NotTrimmed(new TrimOutcome.HeadMismatch(mismatch.get()), staged.recordsRead(), open.attempts());
                Optional<Errno> deleted = request(ch, DELETE_STAGED);
                if (deleted.isEmpty()) return new Trimmed(expected, firstIndex, expected, open.attempts());
                switch (deleted.get()) {
                    case ENOENT: return new NotTrimmed(new TrimOutcome.ForeignTrim(expected), expected, open.attempts());
                    case ESTALE: return new NotTrimmed(new TrimOutcome.ShuttingDown(), expected, open.attempts());
                    default: throw unexpected(file, DELETE_STAGED, deleted.get());
                }
            }
        });
    }

    /** D.2 step 0: read through a read-only fd and never write. */
    private TrimOutcome archiveOnly(HashAlgorithm bank, long trimmedSoFar, TrimCallback callback)
            throws IOException, MalformedLogException, InterruptedException {
        Path file = log.binaryFile(bank);
        // Pre-7.2 kernels have no open-time locking, so EBUSY does not happen; ENFILE cannot either.
        Opened opened = openWithRetry(file, READ_ONLY);
        if (opened instanceof Refused r) return new NotTrimmed(r.reason(), 0, 0);
        try (FileChannel ch = ((Open) opened).channel()) {
            BinaryLogReader reader = reader(ch, file, bank, trimmedSoFar);
            callback.persist(new RecordBatch(file, bank, trimmedSoFar, Kind.CURRENT_LIST, reader));
            return new NotTrimmed(new TrimOutcome.ArchiveOnly(), reader.recordsRead(), 0);
        }
    }

    /** Abort, N = 0 and N beyond what was read never reach the kernel. */
    private static Optional<NotTrimmed> refuse(TrimDecision decision, long read, int attempts) {
        if (decision instanceof TrimDecision.Abort a) return Optional.of(new NotTrimmed(new TrimOutcome.Aborted(a.why()), read, attempts));
        long n = ((TrimDecision.Trim) decision).n();
        if (n == 0) return Optional.of(new NotTrimmed(new TrimOutcome.NothingToTrim(), read, attempts));
        if (n > read) {
            // fail closed: the job cannot have durably stored records it was never handed
            return Optional.of(new NotTrimmed(new TrimOutcome.Aborted("asked to trim " + n + " records but only "
                    + read + " were read"), read, attempts));
        }
        return Optional.empty();
    }

    /** D.2 step 7: one write of {@code "<N>\n"} and the A.8 errno table. */
    private static TrimOutcome writeCount(FileChannel ch, Path file, long n, long trimmedSoFar, long read, int attempts) throws IOException {
        Optional<Errno> result = request(ch, n + "\n");
        if (result.isEmpty()) return new Trimmed(n, trimmedSoFar, read, attempts);
        switch (result.get()) {
            case ENOENT: return new NotTrimmed(new TrimOutcome.ForeignTrim(n), read, attempts);
            case ESTALE: return new NotTrimmed(new TrimOutcome.ShuttingDown(), read, attempts);
            case EINVAL: return new NotTrimmed(new TrimOutcome.FlushHtable(), read, attempts); // n > 0 here
            default: throw unexpected(file, n + "\n", result.get());
        }
    }

    /**
     * One request in one {@code write(2)} (A.8 write grammar, D.3). Empty on success; the errno of
     * the A.8 table otherwise; any other failure is thrown.
     */
    private static Optional<Errno> request(FileChannel ch, String request) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
        try {
            int written = ch.write(buf);
            if (written != request.length()) {
                throw new IOException("short write of a kernel request: " + written + " of " + request.length() + " bytes");
            }
            return Optional.empty();
        } catch (IOException e) {
            Optional<Errno> errno = Errno.of(e);
            if (errno.isEmpty()) throw e;
            return errno;
        }
    }

    private static IOException unexpected(Path file, String request, Errno errno) {
        return new IOException(file + ": request '" + request.strip() + "' failed with " + errno
                + ", which kernel-interface.md A.8 does not document for it");
    }

    /**
     * Compares the first {@code n} records read under the writer lock with the archived ones.
     * Returns the absolute index of the first difference (or of the first missing record).
     */
    private static Optional<Long> firstDifference(BinaryLogReader head, long firstIndex, Iterator<Bytes> archived, long n)
            throws IOException, MalformedLogException {
        for (long i = 0; i < n; i++) {
            Optional<MeasurementRecord> kernel = head.next();
            if (kernel.isEmpty()) return Optional.of(firstIndex + i); // fewer than N records now
            if (!archived.hasNext() || !archived.next().equals(kernel.get().raw())) return Optional.of(kernel.get().index());
        }
        return Optional.empty();
    }

    private static BinaryLogReader reader(FileChannel ch, Path file, HashAlgorithm bank, long firstIndex) {
        // B.1: a seq_file of size 0; the reader pulls read(2) until it returns -1 (D.3)
        return BinaryLogReader.open(ch, LogReadOptions.of(file.toString()).withBank(bank).withFirstIndex(firstIndex));
    }

    /** An open attempt: the fd, or a typed refusal. */
    private sealed interface Opened permits Open, Refused {}

    private record Open(FileChannel channel, int attempts) implements Opened {}

    private record Refused(TrimOutcome.Reason reason, int attempts) implements Opened {}

    /** Opens without O_CREAT/O_TRUNC; EBUSY (and a reader overflow, ENFILE) retried with backoff. */
    private Opened openWithRetry(Path file, Set<OpenOption> options) throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                return new Open(FileChannel.open(file, options), attempt);
            } catch (IOException e) {
                Optional<Errno> errno = Errno.of(e);
                if (errno.isPresent() && errno.get() == Errno.EPERM) return new Refused(new TrimOutcome.NotPermitted(), attempt);
                boolean busy = errno.isPresent() && (errno.get() == Errno.EBUSY || errno.get() == Errno.ENFILE);
                if (!busy) throw e;
                if (attempt >= backoff.maxAttempts()) return new Refused(new TrimOutcome.Busy(attempt), attempt);
                Thread.sleep(backoff.delayAfter(attempt).toMillis());
            }
        }
    }

    private static void checkArguments(HashAlgorithm bank, long trimmedSoFar, TrimCallback callback) {
        Objects.requireNonNull(callback, "callback");
        checkArguments(bank, trimmedSoFar);
    }

    private static void checkArguments(HashAlgorithm bank, long trimmedSoFar) {
        Objects.requireNonNull(bank, "bank");
        if (trimmedSoFar < 0) throw new IllegalArgumentException("trimmedSoFar < 0: " + trimmedSoFar);
    }

    @FunctionalInterface
    private interface Work<T> {
        T run() throws IOException, MalformedLogException, InterruptedException;
    }

    /** Runs the whole transaction on the trim thread (D.3) and rethrows its failure as thrown there. */
    private <T> T onTrimThread(Work<T> work) throws IOException, MalformedLogException, InterruptedException {
        if (Thread.currentThread() == worker) {
            throw new IllegalStateException("a trim callback must not start another trim on the same session");
        }
        Callable<T> task = work::run;
        Future<T> future = trimThread.submit(task);
        try {
            return future.get();
        } catch (InterruptedException e) {
            // Interrupting the trim thread closes its fd (FileChannel is interruptible): either the
            // request reached the kernel or it did not; the trim journal tells which (D.2 step 6).
            future.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) throw io;
            if (cause instanceof MalformedLogException m) throw m;
            if (cause instanceof InterruptedException ie) throw ie;
            if (cause instanceof RuntimeException re) throw re;
            if (cause instanceof Error err) throw err;
            throw new IllegalStateException(cause);
        }
    }

    /** The session's trim thread, once started (for tests that watch it back off). */
    Optional<Thread> trimThread() { return Optional.ofNullable(worker); }

    /** Stops the trim thread after the transaction in progress, if any. */
    @Override
    public void close() throws InterruptedException {
        trimThread.shutdown();
        if (!trimThread.awaitTermination(1, TimeUnit.MINUTES)) trimThread.shutdownNow();
    }
}

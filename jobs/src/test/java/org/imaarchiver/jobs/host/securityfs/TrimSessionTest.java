package org.imaarchiver.jobs.host.securityfs;

import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.imaarchiver.jobs.host.imafs.ImafsEmulator;
import org.imaarchiver.jobs.host.securityfs.RecordBatch.Kind;
import org.imaarchiver.jobs.host.securityfs.TrimOutcome.NotTrimmed;
import org.imaarchiver.jobs.host.securityfs.TrimOutcome.Trimmed;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The D.2 transaction through real system calls against the emulated 7.2 securityfs. */
class TrimSessionTest {
    private static final HashAlgorithm BANK = HashAlgorithm.SHA256;
    private static final Backoff QUICK = new Backoff(3, Duration.ofMillis(5), Duration.ofMillis(10));

    @TempDir
    Path dir;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) toClose.get(i).close();
    }

    private ImafsEmulator emulator(String... options) throws Exception {
        ImafsEmulator emu = ImafsEmulator.start(dir, options);
        toClose.add(emu);
        return emu;
    }

    private TrimSession session(ImafsEmulator emu, Backoff backoff) throws Exception {
        SecurityfsLog log = SecurityfsLog.at(emu.mountPoint(), Kernel.cmdline(dir, "ro"));
        return session(log, log.features(), backoff);
    }

    private TrimSession session(SecurityfsLog log, SecurityfsFeatures features, Backoff backoff) {
        TrimSession s = TrimSession.open(log, features, backoff);
        toClose.add(s);
        return s;
    }

    private static String request(FileChannel ch, String req) throws java.io.IOException {
        ch.write(ByteBuffer.wrap(req.getBytes(StandardCharsets.US_ASCII)));
        return req;
    }

    /** The nightly job's {@code stage}: {@code A} only, the batch is read later through a read-only fd. */
    private static final BatchReader READ_NOTHING = batch -> { };

    /** The archive's copy of {@code records}, the first of which has absolute index {@code first}. */
    private static ArchivedRecords archiveOf(List<MeasurementRecord> records, long first) {
        return start -> records.subList((int) (start - first), records.size()).stream().map(MeasurementRecord::raw).iterator();
    }

    private static String staged(ImafsEmulator emu) throws Exception {
        return emu.ok("count").field("staged").orElseThrow();
    }

    @Test
    void fullTrimKeepsAbsoluteIndices() throws Exception {
        ImafsEmulator emu = emulator();
        List<Digest> stored = Kernel.measure(emu, "a", 50);
        TrimSession s = session(emu, Backoff.DEFAULT);

        Kernel.Collecting first = Kernel.Collecting.trimming(30);
        TrimOutcome out = s.readPersistTrim(BANK, 0, first);
        assertThat(out).isEqualTo(new Trimmed(30, 0, 50, 1));
        assertThat(first.records).extracting(MeasurementRecord::index).containsExactlyElementsOf(range(0, 50));
        assertThat(first.records).extracting(MeasurementRecord::templateDigest).containsExactlyElementsOf(stored);
        assertThat(emu.currentCount()).isEqualTo(20);

        // the next run starts at trimmedSoFar = 30: the kernel's first record is record 30
        Kernel.Collecting second = Kernel.Collecting.trimming(5);
        TrimOutcome next = s.readPersistTrim(BANK, ((Trimmed) out).nextFirstIndex(), second);
        assertThat(second.records).hasSize(20);
        assertThat(second.records.get(0).index()).isEqualTo(30);
        assertThat(second.records.get(0).templateDigest()).isEqualTo(stored.get(30));
        assertThat(second.records.get(0).raw()).isEqualTo(first.records.get(30).raw());
        assertThat(next).isEqualTo(new Trimmed(5, 30, 20, 1));
        assertThat(((Trimmed) next).nextFirstIndex()).isEqualTo(35);
        assertThat(emu.currentCount()).isEqualTo(15);

        Kernel.Collecting third = new Kernel.Collecting(r -> TrimDecision.abort("look only"));
        assertThat(s.readPersistTrim(BANK, 35, third)).isEqualTo(new NotTrimmed(new TrimOutcome.Aborted("look only"), 15, 1));
        assertThat(third.records.get(0).index()).isEqualTo(35);
        assertThat(third.records.get(0).templateDigest()).isEqualTo(stored.get(35));
        assertThat(emu.currentCount()).isEqualTo(15);
    }

    @Test
    void decisionsThatMustNotReachTheKernel() throws Exception {
        ImafsEmulator emu = emulator();
        Kernel.measure(emu, "d", 4);
        TrimSession s = session(emu, Backoff.DEFAULT);
        assertThat(s.readPersistTrim(BANK, 0, Kernel.Collecting.trimming(0)))
                .isEqualTo(new NotTrimmed(new TrimOutcome.NothingToTrim(), 4, 1));
        TrimOutcome tooMany = s.readPersistTrim(BANK, 0, Kernel.Collecting.trimming(5));
        assertThat(((NotTrimmed) tooMany).reason()).isInstanceOf(TrimOutcome.Aborted.class);
        // a callback that reads only two records cannot have stored three
        TrimOutcome partial = s.readPersistTrim(BANK, 0, batch -> {
            batch.next();
            batch.next();
            return TrimDecision.trim(3);
        });
        assertThat(((NotTrimmed) partial).reason()).isInstanceOf(TrimOutcome.Aborted.class);
        assertThat(emu.currentCount()).isEqualTo(4);
    }

    @Test
    void compareThenTrimChecksTheHeadUnderTheWriterLock() throws Exception {
        ImafsEmulator emu = emulator();
        Kernel.measure(emu, "c", 10);
        TrimSession s = session(emu, Backoff.DEFAULT);
        List<Bytes> archive = new ArrayList<>();
        TrimCallback persist = batch -> {
            for (var r = batch.next(); r.isPresent(); r = batch.next()) archive.add(r.get().raw());
            return TrimDecision.trim(6);
        };
        ArchivedRecords fromArchive = start -> archive.subList((int) (start - 100), archive.size()).iterator();

        TrimOutcome out = s.compareThenTrim(BANK, 100, persist, fromArchive);
        assertThat(out).isEqualTo(new Trimmed(6, 100, 10, 1));
        assertThat(emu.currentCount()).isEqualTo(4);
    }

    @Test
    void compareThenTrimRefusesWhenTheArchiveDiffers() throws Exception {
        ImafsEmulator emu = emulator();
        Kernel.measure(emu, "m", 10);
        TrimSession s = session(emu, Backoff.DEFAULT);
        List<Bytes> archive = new ArrayList<>();
        TrimCallback persist = batch -> {
            for (var r = batch.next(); r.isPresent(); r = batch.next()) archive.add(r.get().raw());
            return TrimDecision.trim(6);
        };
        ArchivedRecords corrupted = start -> {
            List<Bytes> copy = new ArrayList<>(archive);
            byte[] third = copy.get(2).toArray();
            third[third.length - 1] ^= 1;
            copy.set(2, Bytes.wrap(third));
            return copy.iterator();
        };
        assertThat(s.compareThenTrim(BANK, 7, persist, corrupted))
                .isEqualTo(new NotTrimmed(new TrimOutcome.HeadMismatch(9), 10, 1));
        // an archive that holds fewer records than N is a mismatch too
        archive.clear();
        ArchivedRecords shortArchive = start -> archive.subList(0, 4).iterator();
        assertThat(s.compareThenTrim(BANK, 0, persist, shortArchive))
                .isEqualTo(new NotTrimmed(new TrimOutcome.HeadMismatch(4), 10, 1));
        assertThat(emu.currentCount()).isEqualTo(10);
    }

    @Test
    void busyWhileAnotherReaderHoldsAFileThenSuccessAfterItCloses() throws Exception {
        ImafsEmulator emu = emulator();
        Kernel.measure(emu, "b", 3);
        FileChannel agent = FileChannel.open(emu.file("ascii_runtime_measurements_sha1"), READ);
        TrimSession quick = session(emu, QUICK);
        assertThat(quick.readPersistTrim(BANK, 0, Kernel.Collecting.all()))
                .isEqualTo(new NotTrimmed(new TrimOutcome.Busy(3), 0, 3));
        assertThat(emu.currentCount()).isEqualTo(3);

        TrimSession patient = session(emu, new Backoff(1000, Duration.ofMillis(5), Duration.ofMillis(20)));
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try {
            Future<TrimOutcome> running = caller.submit(() -> patient.readPersistTrim(BANK, 0, Kernel.Collecting.all()));
            // the agent closes once the session has met EBUSY and is backing off
            awaitBackingOff(patient);
            agent.close();
            TrimOutcome out = running.get(30, TimeUnit.SECONDS);
            assertThat(out).isInstanceOf(Trimmed.class);
            assertThat(((Trimmed) out).n()).isEqualTo(3);
            assertThat(out.openAttempts()).isGreaterThan(1);
        } finally {
            caller.shutdownNow();
            agent.close();
        }
        assertThat(emu.currentCount()).isZero();
    }

    private static void awaitBackingOff(TrimSession s) throws InterruptedException {
        for (int i = 0; i < 10_000; i++) {
            Optional<Thread> t = s.trimThread();
            if (t.isPresent() && t.get().getState() == Thread.State.TIMED_WAITING) return;
            Thread.sleep(1);
        }
        throw new AssertionError("the trim thread never backed off");
    }

    @Test
    void foreignTrimBetweenReadAndWrite() throws Exception {
        ImafsEmulator emu = emulator();
        Kernel.measure(emu, "f", 10);
        TrimSession s = session(emu, Backoff.DEFAULT);
        // a second actor trims 5 through its own fd; only the writer's task may open one while the
        // writer holds the lock (A.8), so it runs inside the callback, on the trim thread
        TrimOutcome out = s.readPersistTrim(BANK, 0, batch -> {
            while (batch.next().isPresent()) { /* persist */ }
            try (FileChannel other = FileChannel.open(emu.file("binary_runtime_measurements_sha1"), READ, WRITE)) {
                request(other, "5\n");
            }
            return TrimDecision.trim(10);
        });
        assertThat(out).isEqualTo(new NotTrimmed(new TrimOutcome.ForeignTrim(10), 10, 1));
        assertThat(emu.currentCount()).isEqualTo(5); // ENOENT deletes nothing
    }

    @Test
    void suspendedMeasurementIsShuttingDown() throws Exception {
        ImafsEmulator emu = emulator();
        Kernel.measure(emu, "s", 4);
        TrimSession s = session(emu, Backoff.DEFAULT);
        emu.ok("suspend");
        assertThat(s.readPersistTrim(BANK, 0, Kernel.Collecting.trimming(2)))
                .isEqualTo(new NotTrimmed(new TrimOutcome.ShuttingDown(), 4, 1));
        assertThat(s.stage(BANK, 0, READ_NOTHING)) // A gives EACCES
                .isEqualTo(new StageOutcome.NotStaged(new TrimOutcome.ShuttingDown(), 1));
        assertThat(emu.currentCount()).isEqualTo(4);
        assertThat(staged(emu)).isEqualTo("0");
    }

    @Test
    void suspendedBetweenStageAndDeleteIsShuttingDown() throws Exception {
        ImafsEmulator emu = emulator();
        Kernel.measure(emu, "e", 4);
        TrimSession s = session(emu, Backoff.DEFAULT);
        assertThat(s.stage(BANK, 0, READ_NOTHING)).isEqualTo(new StageOutcome.Staged(Kind.STAGED, 0, 0, 1));
        Kernel.Collecting batch = Kernel.Collecting.all();
        s.readStaged(BANK, 0, batch);
        emu.ok("suspend");
        // D gives ESTALE: the staged records go to the next kernel with a kexec (D.1 item 7)
        assertThat(s.deleteStaged(BANK, 0, 4, archiveOf(batch.records, 0)))
                .isEqualTo(new NotTrimmed(new TrimOutcome.ShuttingDown(), 4, 1));
        assertThat(staged(emu)).isEqualTo("4");
        emu.ok("resume");
        assertThat(s.deleteStaged(BANK, 0, 4, archiveOf(batch.records, 0))).isEqualTo(new Trimmed(4, 0, 4, 1));
        assertThat(staged(emu)).isEqualTo("0");
    }

    @Test
    void flushHtableRefusesNThenStageAndDeleteStagedTrim() throws Exception {
        ImafsEmulator emu = emulator("--flush-htable");
        List<Digest> stored = Kernel.measure(emu, "h", 6);
        // the command line does not show it (e.g. read inside a container): the kernel says EINVAL
        SecurityfsLog log = SecurityfsLog.at(emu.mountPoint(), Kernel.cmdline(dir, "ro"));
        SecurityfsFeatures features = log.features();
        assertThat(features.mode()).isEqualTo(SecurityfsFeatures.Mode.TRIM_BY_COUNT);
        TrimSession byCount = session(log, features, Backoff.DEFAULT);
        assertThat(byCount.readPersistTrim(BANK, 0, Kernel.Collecting.trimming(2)))
                .isEqualTo(new NotTrimmed(new TrimOutcome.FlushHtable(), 6, 1));
        assertThat(emu.currentCount()).isEqualTo(6);

        TrimSession staging = session(log, features.withFlushHtable(), Backoff.DEFAULT);
        // known flush_htable: the original file is not even opened (no writer lock for nothing)
        Kernel.Collecting unused = Kernel.Collecting.trimming(2);
        assertThat(staging.readPersistTrim(BANK, 0, unused)).isEqualTo(new NotTrimmed(new TrimOutcome.FlushHtable(), 0, 0));
        assertThat(unused.threads).isEmpty();
        // A, and the batch read through the writer fd
        Kernel.Collecting batch = Kernel.Collecting.all();
        assertThat(staging.stage(BANK, 40, batch)).isEqualTo(new StageOutcome.Staged(Kind.STAGED, 40, 6, 1));
        assertThat(batch.kinds).containsExactly(Kind.STAGED);
        assertThat(batch.records).extracting(MeasurementRecord::templateDigest).containsExactlyElementsOf(stored);
        assertThat(batch.records).extracting(MeasurementRecord::index).containsExactlyElementsOf(range(40, 46));
        assertThat(emu.currentCount()).isZero();
        assertThat(staged(emu)).isEqualTo("6");
        // the staged list survives the writer's close: the same batch through a read-only fd
        Kernel.Collecting again = Kernel.Collecting.all();
        staging.readStaged(BANK, 40, again);
        assertThat(again.records).extracting(MeasurementRecord::raw)
                .containsExactlyElementsOf(batch.records.stream().map(MeasurementRecord::raw).toList());
        assertThat(again.records.get(0).index()).isEqualTo(40);
        assertThat(staging.deleteStaged(BANK, 40, 6, archiveOf(batch.records, 40))).isEqualTo(new Trimmed(6, 40, 6, 1));
        assertThat(staged(emu)).isEqualTo("0");
        // an empty list: nothing to stage (A gives ENOENT); nothing staged, so the compare before D finds no record 46
        assertThat(staging.stage(BANK, 46, READ_NOTHING))
                .isEqualTo(new StageOutcome.NotStaged(new TrimOutcome.NothingToTrim(), 1));
        assertThat(staging.deleteStaged(BANK, 46, 1, archiveOf(batch.records, 40)))
                .isEqualTo(new NotTrimmed(new TrimOutcome.HeadMismatch(46), 0, 1));
    }

    @Test
    void pendingStagedBatchFromACrashedRunIsRecoveredFirst() throws Exception {
        ImafsEmulator emu = emulator("--flush-htable");
        List<Digest> staged = Kernel.measure(emu, "p", 5);
        // a crashed run: A written, the fd closed without D
        try (FileChannel crashed = FileChannel.open(emu.file("binary_runtime_measurements_sha256_staged"), READ, WRITE)) {
            request(crashed, "A\n");
        }
        List<Digest> later = Kernel.measure(emu, "q", 3);
        SecurityfsLog log = SecurityfsLog.at(emu.mountPoint(), Kernel.cmdline(dir, "ima_flush_htable"));
        TrimSession s = session(log, log.features(), Backoff.DEFAULT);

        // A gives EEXIST: the pending batch is the one to read, not the 3 records measured since
        Kernel.Collecting atStage = Kernel.Collecting.all();
        assertThat(s.stage(BANK, 0, atStage)).isEqualTo(new StageOutcome.Staged(Kind.STAGED_PENDING, 0, 5, 1));
        assertThat(atStage.kinds).containsExactly(Kind.STAGED_PENDING);
        Kernel.Collecting pending = Kernel.Collecting.all();
        s.readStaged(BANK, 0, pending);
        assertThat(pending.records).extracting(MeasurementRecord::templateDigest).containsExactlyElementsOf(staged);
        assertThat(emu.currentCount()).isEqualTo(3);

        // only part of the batch stored: D would delete everything, so nothing happens
        assertThat(((NotTrimmed) s.deleteStaged(BANK, 0, 1, archiveOf(pending.records, 0))).reason())
                .isEqualTo(new TrimOutcome.HeadMismatch(1));
        assertThat(staged(emu)).isEqualTo("5");

        assertThat(s.deleteStaged(BANK, 0, 5, archiveOf(pending.records, 0))).isEqualTo(new Trimmed(5, 0, 5, 1));
        assertThat(staged(emu)).isEqualTo("0");
        assertThat(emu.currentCount()).isEqualTo(3);

        // the next run stages the rest, at absolute index 5
        assertThat(s.stage(BANK, 5, READ_NOTHING)).isEqualTo(new StageOutcome.Staged(Kind.STAGED, 5, 0, 1));
        Kernel.Collecting rest = Kernel.Collecting.all();
        s.readStaged(BANK, 5, rest);
        assertThat(rest.records).extracting(MeasurementRecord::templateDigest).containsExactlyElementsOf(later);
        assertThat(rest.records.get(0).index()).isEqualTo(5);
        assertThat(s.deleteStaged(BANK, 5, 3, archiveOf(rest.records, 5))).isEqualTo(new Trimmed(3, 5, 3, 1));
        assertThat(emu.currentCount()).isZero();
    }

    @Test
    void withoutCapSysAdminTheWriteOpenIsNotPermitted() throws Exception {
        ImafsEmulator emu = emulator();
        Kernel.measure(emu, "n", 2);
        TrimSession s = session(emu, Backoff.DEFAULT);
        emu.ok("caps none");
        assertThat(s.readPersistTrim(BANK, 0, Kernel.Collecting.all()))
                .isEqualTo(new NotTrimmed(new TrimOutcome.NotPermitted(), 0, 1));
        assertThat(s.stage(BANK, 0, READ_NOTHING))
                .isEqualTo(new StageOutcome.NotStaged(new TrimOutcome.NotPermitted(), 1));
        assertThat(staged(emu)).isEqualTo("0");
        // compare-then-trim reads (read-only opens are allowed) and is refused at the write open
        Kernel.Collecting read = Kernel.Collecting.all();
        assertThat(s.compareThenTrim(BANK, 0, read, start -> List.<Bytes>of().iterator()))
                .isEqualTo(new NotTrimmed(new TrimOutcome.NotPermitted(), 2, 1));
        assertThat(read.records).hasSize(2);
        assertThat(emu.currentCount()).isEqualTo(2);

        // a batch staged while the capability was there: readable, but D is refused at the write open
        emu.ok("caps real");
        assertThat(s.stage(BANK, 0, READ_NOTHING)).isInstanceOf(StageOutcome.Staged.class);
        emu.ok("caps none");
        Kernel.Collecting batch = Kernel.Collecting.all();
        s.readStaged(BANK, 0, batch);
        assertThat(batch.records).hasSize(2);
        assertThat(s.deleteStaged(BANK, 0, 2, archiveOf(batch.records, 0)))
                .isEqualTo(new NotTrimmed(new TrimOutcome.NotPermitted(), 0, 1));
        assertThat(staged(emu)).isEqualTo("2");
    }

    @Test
    void withoutStagingTheSessionReadsAndNeverWrites() throws Exception {
        ImafsEmulator emu = emulator("--no-staging");
        List<Digest> stored = Kernel.measure(emu, "o", 7);
        TrimSession s = session(emu, Backoff.DEFAULT);
        assertThat(s.features().mode()).isEqualTo(SecurityfsFeatures.Mode.ARCHIVE_ONLY);
        for (TrimOutcome out : List.of(
                s.readPersistTrim(BANK, 3, Kernel.Collecting.all()),
                s.compareThenTrim(BANK, 3, Kernel.Collecting.all(), start -> List.<Bytes>of().iterator()))) {
            assertThat(out).isEqualTo(new NotTrimmed(new TrimOutcome.ArchiveOnly(), 7, 0));
        }
        // there is no _staged file to open: neither half of staging touches the kernel
        Kernel.Collecting unused = Kernel.Collecting.all();
        assertThat(s.stage(BANK, 3, unused)).isEqualTo(new StageOutcome.NotStaged(new TrimOutcome.ArchiveOnly(), 0));
        assertThat(unused.threads).isEmpty();
        assertThat(s.deleteStaged(BANK, 3, 7, start -> List.<Bytes>of().iterator()))
                .isEqualTo(new NotTrimmed(new TrimOutcome.ArchiveOnly(), 0, 0));
        Kernel.Collecting c = Kernel.Collecting.all();
        s.readPersistTrim(BANK, 3, c);
        assertThat(c.records).extracting(MeasurementRecord::templateDigest).containsExactlyElementsOf(stored);
        assertThat(c.records.get(0).index()).isEqualTo(3);
        assertThat(emu.currentCount()).isEqualTo(7);
    }

    @Test
    void callersOnAnyThreadGetOneTrimThread() throws Exception {
        ImafsEmulator emu = emulator();
        Kernel.measure(emu, "t", 6);
        TrimSession s = session(emu, Backoff.DEFAULT);
        ExecutorService a = Executors.newSingleThreadExecutor();
        ExecutorService b = Executors.newSingleThreadExecutor();
        try {
            Kernel.Collecting first = Kernel.Collecting.trimming(2);
            Kernel.Collecting second = Kernel.Collecting.trimming(2);
            Thread callerA = a.submit(Thread::currentThread).get();
            TrimOutcome outA = a.submit(() -> s.readPersistTrim(BANK, 0, first)).get(30, TimeUnit.SECONDS);
            TrimOutcome outB = b.submit(() -> s.readPersistTrim(BANK, 2, second)).get(30, TimeUnit.SECONDS);
            assertThat(outA).isEqualTo(new Trimmed(2, 0, 6, 1));
            assertThat(outB).isEqualTo(new Trimmed(2, 2, 4, 1));
            assertThat(first.threads.get(0)).isSameAs(second.threads.get(0)).isNotSameAs(callerA);
            // the writer's task may open more files read/write while it holds the slot (A.8)
            TrimOutcome nested = s.readPersistTrim(BANK, 4, batch -> {
                try (FileChannel staged = FileChannel.open(emu.file("binary_runtime_measurements_sha1_staged"), READ, WRITE)) {
                    assertThat(staged.read(ByteBuffer.allocate(16))).isEqualTo(-1); // nothing staged
                }
                return TrimDecision.abort("only looking");
            });
            assertThat(((NotTrimmed) nested).reason()).isEqualTo(new TrimOutcome.Aborted("only looking"));
            // a callback must not start a second transaction on its own session
            assertThatThrownBy(() -> s.readPersistTrim(BANK, 4, batch -> {
                try {
                    return s.readPersistTrim(BANK, 4, Kernel.Collecting.all()) instanceof Trimmed
                            ? TrimDecision.trim(0) : TrimDecision.abort("x");
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            })).isInstanceOf(IllegalStateException.class);
            assertThat(emu.ok("count").field("users")).contains("0"); // every fd closed, on the trim thread
            assertThat(emu.currentCount()).isEqualTo(2);
        } finally {
            a.shutdownNow();
            b.shutdownNow();
        }
    }

    private static List<Long> range(long from, long to) {
        List<Long> r = new ArrayList<>();
        for (long i = from; i < to; i++) r.add(i);
        return r;
    }
}

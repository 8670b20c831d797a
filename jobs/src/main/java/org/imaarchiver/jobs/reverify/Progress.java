package org.imaarchiver.jobs.reverify;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Objects;
import org.imaarchiver.jobs.batch.HostProgress;

/**
 * Progress of a run on stderr ({@link HostProgress}, shared with the compact job): on a terminal one
 * line rewritten in place every second ({@code verify: hosts 12/60 (1 failed), segments 40,
 * 1234 records/s, ETA 0:00:31}); otherwise a plain line every 10 s. Local mode counts hosts as its
 * worker threads finish them; a distributed manager sets the counts from the job repository
 * ({@link RemotePartitionHandler}).
 */
final class Progress implements AutoCloseable {
    private final HostProgress p;

    private Progress(HostProgress p) {
        this.p = Objects.requireNonNull(p, "p");
    }

    static Progress of(VerifyJobRequest.ProgressMode mode, PrintStream err) {
        return of(mode, err, Duration.ofSeconds(10));
    }

    /** @param plainEvery the interval of plain lines (tests make it short) */
    static Progress of(VerifyJobRequest.ProgressMode mode, PrintStream err, Duration plainEvery) {
        HostProgress.Mode m = switch (mode) {
            case NONE -> HostProgress.Mode.NONE;
            case LOG -> HostProgress.Mode.LOG;
            case AUTO -> HostProgress.Mode.AUTO;
        };
        return new Progress(HostProgress.of(m, "verify", "segments", err, plainEvery));
    }

    void total(long n) { p.total(n); }

    void hostDone(boolean ok, long segs, long recs) { p.hostDone(ok, segs, recs); }

    /** Work inside a host that is not done yet (a part of a long chain). */
    void add(long segs, long recs) { p.add(segs, recs); }

    /** Distributed mode: this run's counts, polled from the job repository. */
    void set(long hostsDone, long failedHosts, long segs, long recs) { p.set(hostsDone, failedHosts, segs, recs); }

    /** A message line (e.g. "waiting for workers"), printed even with progress off. */
    void note(String message) { p.note(message); }

    long hostsDone() { return p.hostsDone(); }

    /** The current line. */
    String line() { return p.line(); }

    @Override
    public void close() { p.close(); }
}

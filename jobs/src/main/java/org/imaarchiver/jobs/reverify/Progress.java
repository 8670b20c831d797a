package org.imaarchiver.jobs.reverify;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
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
    /** Split hosts already counted done (at most one per partition of the run). */
    private final ConcurrentHashMap<String, Boolean> splitHostsDone = new ConcurrentHashMap<>();

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

    /** Stored parts of a split host, read after a part's row is stored. */
    @FunctionalInterface
    interface PartTallies {
        ResultTable.PartTally of(String host) throws IOException;
    }

    /**
     * A part of a long chain is done (its row stored): its segments and records count now; the host
     * counts once all {@code parts} parts are stored (whichever finishes last, parts run in parallel,
     * and parts stored by an earlier attempt of the run count too), failed if any part failed.
     */
    void partDone(String host, int parts, long segs, long recs, PartTallies tallies) {
        p.add(segs, recs);
        if (!p.enabled()) return;
        // compute is atomic per host: two last parts finishing together count the host once.
        splitHostsDone.compute(host, (h, done) -> {
            if (done != null) return done;
            ResultTable.PartTally t;
            try {
                t = tallies.of(h);
            } catch (IOException e) {
                return null; // progress only: the report reads the rows again
            }
            if (t.stored() < parts) return null;
            p.hostDone(t.allOk(), 0, 0);
            return Boolean.TRUE;
        });
    }

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

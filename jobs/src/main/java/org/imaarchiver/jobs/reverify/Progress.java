package org.imaarchiver.jobs.reverify;

import java.io.PrintStream;
import java.util.Objects;
import org.imaarchiver.jobs.batch.HostProgress;

/**
 * Progress of a run on stderr ({@link HostProgress}, shared with the compact job): on a terminal one
 * line rewritten in place every second ({@code verify: hosts 12/60 (1 failed), segments 40,
 * 1234 records/s, ETA 0:00:31}); otherwise a plain line every 10 s.
 */
final class Progress implements AutoCloseable {
    private final HostProgress p;

    private Progress(HostProgress p) {
        this.p = Objects.requireNonNull(p, "p");
    }

    static Progress of(VerifyJobRequest.ProgressMode mode, PrintStream err) {
        HostProgress.Mode m = switch (mode) {
            case NONE -> HostProgress.Mode.NONE;
            case LOG -> HostProgress.Mode.LOG;
            case AUTO -> HostProgress.Mode.AUTO;
        };
        return new Progress(HostProgress.of(m, "verify", "segments", err));
    }

    void total(long n) { p.total(n); }

    void hostDone(boolean ok, long segs, long recs) { p.hostDone(ok, segs, recs); }

    /** Work inside a host that is not done yet (a part of a long chain). */
    void add(long segs, long recs) { p.add(segs, recs); }

    long hostsDone() { return p.hostsDone(); }

    /** The current line. */
    String line() { return p.line(); }

    @Override
    public void close() { p.close(); }
}

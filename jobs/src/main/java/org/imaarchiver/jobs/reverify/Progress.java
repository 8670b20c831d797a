package org.imaarchiver.jobs.reverify;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Progress of a run on stderr: on a terminal one line rewritten in place every second (hosts
 * done/total, segments, records/s, ETA); otherwise a plain line every {@code logEvery}.
 */
final class Progress implements AutoCloseable {
    private final AtomicLong total = new AtomicLong(-1);
    private final AtomicLong hosts = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong segments = new AtomicLong();
    private final AtomicLong records = new AtomicLong();
    private final long startNanos = System.nanoTime();
    private final PrintStream out;
    private final boolean terminal;
    private final ScheduledExecutorService timer;

    private Progress(PrintStream out, boolean terminal, Duration every, boolean enabled) {
        this.out = Objects.requireNonNull(out, "out");
        this.terminal = terminal;
        if (enabled) {
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "verify-progress");
                t.setDaemon(true);
                return t;
            });
            timer.scheduleAtFixedRate(this::print, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        } else {
            timer = null;
        }
    }

    static Progress of(VerifyJobRequest.ProgressMode mode, PrintStream err) {
        boolean tty = System.console() != null;
        return switch (mode) {
            case NONE -> new Progress(err, false, Duration.ofSeconds(10), false);
            case LOG -> new Progress(err, false, Duration.ofSeconds(10), true);
            case AUTO -> new Progress(err, tty, tty ? Duration.ofSeconds(1) : Duration.ofSeconds(10), true);
        };
    }

    void total(long n) { total.set(n); }

    void hostDone(boolean ok, long segs, long recs) {
        hosts.incrementAndGet();
        if (!ok) failed.incrementAndGet();
        segments.addAndGet(segs);
        records.addAndGet(recs);
    }

    long hostsDone() { return hosts.get(); }

    /** The current line, e.g. {@code hosts 12/60 (1 failed), segments 40, 1234 records/s, ETA 0:00:31}. */
    String line() {
        double secs = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
        long done = hosts.get();
        long tot = total.get();
        StringBuilder sb = new StringBuilder("verify: hosts ").append(done).append('/').append(tot < 0 ? "?" : Long.toString(tot));
        if (failed.get() > 0) sb.append(" (").append(failed.get()).append(" failed)");
        sb.append(", segments ").append(segments.get()).append(", ").append(Math.round(records.get() / secs)).append(" records/s");
        if (tot > 0 && done > 0 && done < tot) {
            long eta = Math.round(secs / done * (tot - done));
            sb.append(String.format(", ETA %d:%02d:%02d", eta / 3600, (eta / 60) % 60, eta % 60));
        }
        return sb.toString();
    }

    private void print() {
        if (terminal) out.print("\r" + line() + "\u001b[K");
        else out.println(line());
        out.flush();
    }

    @Override
    public void close() {
        if (timer == null) return;
        timer.shutdownNow();
        if (terminal) {
            out.print("\r" + line() + "\u001b[K\n");
            out.flush();
        }
    }
}

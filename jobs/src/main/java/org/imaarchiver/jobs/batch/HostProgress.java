package org.imaarchiver.jobs.batch;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Progress of a per-host bulk run on stderr, in the verify job's form: on a terminal one line
 * rewritten in place every second, otherwise a plain line every 10 s, e.g.
 * {@code compact: hosts 12/60 (1 failed), groups 40, 1234 records/s, ETA 0:00:31}.
 */
public final class HostProgress implements AutoCloseable {
    /** How progress is shown. */
    public enum Mode {
        /** A rewritten line on a terminal, plain lines otherwise. */
        AUTO,
        /** Plain lines every 10 seconds. */
        LOG,
        /** Nothing. */
        NONE
    }

    private final String label;
    private final String unit;
    private final AtomicLong total = new AtomicLong(-1);
    private final AtomicLong hosts = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong units = new AtomicLong();
    private final AtomicLong records = new AtomicLong();
    private final long startNanos = System.nanoTime();
    private final PrintStream out;
    private final boolean terminal;
    private final ScheduledExecutorService timer;
    /** The counts of the last plain line printed; empty until one is. */
    private String lastPlainCounts = "";
    private boolean closed;

    private HostProgress(String label, String unit, PrintStream out, boolean terminal, Duration every, boolean enabled) {
        this.label = Objects.requireNonNull(label, "label");
        this.unit = Objects.requireNonNull(unit, "unit");
        this.out = Objects.requireNonNull(out, "out");
        this.terminal = terminal;
        if (enabled) {
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, label + "-progress");
                t.setDaemon(true);
                return t;
            });
            timer.scheduleAtFixedRate(this::print, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        } else {
            timer = null;
        }
    }

    /**
     * @param label the line's prefix, e.g. "compact"
     * @param unit  what the per-host count counts, e.g. "groups"
     */
    public static HostProgress of(Mode mode, String label, String unit, PrintStream err) {
        return of(mode, label, unit, err, Duration.ofSeconds(10));
    }

    /** @param plainEvery the interval of plain lines (10 s for users; tests make it short) */
    public static HostProgress of(Mode mode, String label, String unit, PrintStream err, Duration plainEvery) {
        boolean tty = System.console() != null;
        return switch (mode) {
            case NONE -> new HostProgress(label, unit, err, false, plainEvery, false);
            case LOG -> new HostProgress(label, unit, err, false, plainEvery, true);
            case AUTO -> new HostProgress(label, unit, err, tty, tty ? Duration.ofSeconds(1) : plainEvery, true);
        };
    }

    public void total(long n) { total.set(n); }

    public void hostDone(boolean ok, long count, long recs) {
        hosts.incrementAndGet();
        if (!ok) failed.incrementAndGet();
        units.addAndGet(count);
        records.addAndGet(recs);
    }

    /** Work inside a host that is not done yet (a long host shows progress before it ends). */
    public void add(long count, long recs) {
        units.addAndGet(count);
        records.addAndGet(recs);
    }

    /**
     * Sets the counts of this run at once: for a manager whose hosts are done by other processes and
     * which learns the counts by polling (distributed mode).
     */
    public void set(long hostsDone, long failedHosts, long count, long recs) {
        hosts.set(hostsDone);
        failed.set(failedHosts);
        units.set(count);
        records.set(recs);
    }

    public long hostsDone() { return hosts.get(); }

    /** False when nothing is shown ({@link Mode#NONE}): callers may skip work done only for the display. */
    public boolean enabled() { return timer != null; }

    /**
     * Prints a message line (always, whatever the mode: it is not progress but something the user
     * must see), clearing a live line on a terminal first.
     */
    public synchronized void note(String message) {
        if (terminal && timer != null) out.print("\r\u001b[K");
        out.println(message);
        out.flush();
    }

    /** What a line reports, without the rate (which changes with time alone). */
    private String counts() {
        return hosts.get() + "/" + total.get() + "/" + failed.get() + "/" + units.get() + "/" + records.get();
    }

    /** The current line. */
    public String line() {
        double secs = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
        long done = hosts.get();
        long tot = total.get();
        StringBuilder sb = new StringBuilder(label).append(": hosts ").append(done).append('/').append(tot < 0 ? "?" : Long.toString(tot));
        if (failed.get() > 0) sb.append(" (").append(failed.get()).append(" failed)");
        sb.append(", ").append(unit).append(' ').append(units.get()).append(", ").append(Math.round(records.get() / secs))
                .append(" records/s");
        if (tot > 0 && done > 0 && done < tot) {
            long eta = Math.round(secs / done * (tot - done));
            sb.append(String.format(", ETA %d:%02d:%02d", eta / 3600, (eta / 60) % 60, eta % 60));
        }
        return sb.toString();
    }

    private synchronized void print() {
        if (closed) return; // a tick already taken off the timer's queue when close() ran
        if (terminal) {
            out.print("\r" + line() + "\u001b[K");
        } else {
            lastPlainCounts = counts();
            out.println(line());
        }
        out.flush();
    }

    /**
     * Stops the display. On a terminal the live line is completed; in a log whose last progress line
     * is out of date, a final line gives the counts at the end (a run shorter than one interval
     * prints no progress at all, as before).
     */
    @Override
    public synchronized void close() {
        if (timer == null || closed) return;
        closed = true;
        timer.shutdownNow();
        if (terminal) {
            out.print("\r" + line() + "\u001b[K\n");
            out.flush();
        } else if (!lastPlainCounts.isEmpty() && !lastPlainCounts.equals(counts())) {
            lastPlainCounts = counts();
            out.println(line());
            out.flush();
        }
    }
}

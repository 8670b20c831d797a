package org.imaarchiver.jobs.batch;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A function applied to a list on a few threads, the results in the list's order: for the
 * manager's per-host planning (window test, chain listing), one or two store round trips per host,
 * which on S3 are tens of milliseconds each: 1,024 hosts one after the other would keep every
 * worker waiting for a minute before the first partition starts.
 */
public final class OrderedParallel {
    /** Threads of a planning pass: store requests in flight, not CPU work. */
    public static final int PLANNING_THREADS = 16;

    private OrderedParallel() {}

    /**
     * {@code f} of every item, in order. The first failure in list order is rethrown as it was
     * (a RuntimeException or Error; a checked exception cannot occur in a Function) and the items not
     * yet started are not started.
     */
    public static <T, R> List<R> map(List<T> items, Function<? super T, ? extends R> f, int threads) {
        Objects.requireNonNull(items, "items");
        Objects.requireNonNull(f, "f");
        if (threads < 1) throw new IllegalArgumentException("threads < 1: " + threads);
        int n = Math.min(threads, items.size());
        if (n <= 1) {
            List<R> out = new ArrayList<>(items.size());
            for (T t : items) out.add(f.apply(t));
            return out;
        }
        AtomicInteger id = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(n, r -> {
            Thread t = new Thread(r, "planning-" + id.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<R>> futures = new ArrayList<>(items.size());
            for (T t : items) futures.add(pool.submit(() -> f.apply(t)));
            List<R> out = new ArrayList<>(items.size());
            for (Future<R> fu : futures) out.add(fu.get());
            return out;
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) throw r;
            if (c instanceof Error err) throw err;
            throw new IllegalStateException(c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while planning the partitions", e);
        } finally {
            pool.shutdownNow();
        }
    }
}

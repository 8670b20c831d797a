package org.imaarchiver.jobs.reverify;

import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.store.StoreOptions;

/**
 * Distributed-mode processes for {@link DistributedVerifyTest}, each in its own JVM.
 * <ul>
 *   <li>{@code manager STORE TRUST STATE OUT JDBC BROKER KEYDIR}: runs {@code reverifyJob} with remote
 *       partitions and prints {@code status=<STATUS> resumed=<bool>}; exit 0 when it completed;
 *   <li>{@code worker BROKER JDBC TRUST WORKDIR LOG STALL_AFTER SLOW_MS}: a {@link VerifyWorker}
 *       (one partition at a time) that appends "start h"/"done h" to LOG, sleeps SLOW_MS before each
 *       host and stalls forever before its host number STALL_AFTER + 1 (0: never), so the test can
 *       kill it mid-partition.
 * </ul>
 */
public final class DistributedProbe {
    public static void main(String[] args) throws Exception {
        if (args[0].equals("manager")) {
            VerifyJobRequest r = VerifyJobRequest.of(args[1], Path.of(args[2]), Path.of(args[3]), Path.of(args[4]))
                    .withParallel(2, 1).withProgress(VerifyJobRequest.ProgressMode.NONE)
                    .withReceiptKey(KeyMaterial.readPem(Path.of(args[7])))
                    .withClock(Clock.fixed(ReverifyJobTest.NOW, ZoneOffset.UTC))
                    .withDistribution(new VerifyJobRequest.Distribution(Optional.of(args[6]),
                            Optional.of(new VerifyJobRequest.JdbcTarget(args[5], Optional.of(PostgresServer.USER), Optional.empty())), 0));
            VerifyJobResult result = new VerifyJobRunner().run(r);
            System.out.println("status=" + result.status() + " resumed=" + result.resumed());
            System.exit(result.completed() ? 0 : 1);
        }
        Path log = Path.of(args[5]);
        int stallAfter = Integer.parseInt(args[6]);
        long slowMs = Long.parseLong(args[7]);
        AtomicInteger started = new AtomicInteger();
        HostVerification.HostListener listener = new HostVerification.HostListener() {
            @Override
            public void beforeHost(String host) {
                if (stallAfter > 0 && started.incrementAndGet() > stallAfter) {
                    ReverifyCrashProbe.append(log, "stall " + host);
                    sleep(Long.MAX_VALUE);
                }
                ReverifyCrashProbe.append(log, "start " + host);
                if (slowMs > 0) sleep(slowMs);
            }

            @Override
            public void afterHost(String host, HostVerification.HostOutcome outcome) { ReverifyCrashProbe.append(log, "done " + host); }
        };
        VerifyWorker w = VerifyWorker.start(new VerifyWorker.Settings(args[1], new VerifyJobRequest.JdbcTarget(args[2],
                Optional.of(PostgresServer.USER), Optional.empty()), Path.of(args[3]), StoreOptions.defaults(), 1, 1, Path.of(args[4])), listener);
        ReverifyCrashProbe.append(log, "ready");
        w.awaitClose();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

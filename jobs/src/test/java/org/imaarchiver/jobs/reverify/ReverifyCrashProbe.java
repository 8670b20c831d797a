package org.imaarchiver.jobs.reverify;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A verify run in its own JVM that stalls forever before its host number {@code stallAfter + 1}, so
 * the test can SIGKILL it with some partitions completed. Logs "start h" / "done h" lines.
 * Args: store trustDir stateDir outDir logFile stallAfter [maxPartitions].
 */
public final class ReverifyCrashProbe {
    public static void main(String[] args) throws Exception {
        Path log = Path.of(args[4]);
        int stallAfter = Integer.parseInt(args[5]);
        AtomicInteger started = new AtomicInteger();
        HostVerification.HostListener listener = new HostVerification.HostListener() {
            @Override
            public void beforeHost(String host) {
                if (started.incrementAndGet() > stallAfter) {
                    append(log, "stall " + host);
                    try {
                        Thread.sleep(Long.MAX_VALUE);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                append(log, "start " + host);
            }

            @Override
            public void afterHost(String host, HostVerification.HostOutcome outcome) { append(log, "done " + host); }
        };
        VerifyJobRequest request = VerifyJobRequest.of(args[0], Path.of(args[1]), Path.of(args[2]), Path.of(args[3]))
                .withParallel(1, 1).withProgress(VerifyJobRequest.ProgressMode.NONE);
        VerifyJobRunner runner = new VerifyJobRunner(listener, System.err);
        if (args.length > 6) runner = runner.withMaxPartitions(Integer.parseInt(args[6]));
        runner.run(request);
    }

    static synchronized void append(Path log, String line) {
        try {
            Files.writeString(log, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

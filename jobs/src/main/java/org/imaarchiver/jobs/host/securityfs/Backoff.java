package org.imaarchiver.jobs.host.securityfs;

import java.time.Duration;
import java.util.Objects;

/**
 * Bounded exponential backoff for EBUSY at open (kernel-interface.md D.1 item 3: an attestation agent
 * holding a reader fd blocks the writer open, and vice versa).
 *
 * @param maxAttempts  opens tried in all, at least 1
 * @param initialDelay the wait after the first EBUSY
 * @param maxDelay     the cap on one wait (the delay doubles up to it)
 */
public record Backoff(int maxAttempts, Duration initialDelay, Duration maxDelay) {
    /** About 6 s in all: 8 attempts, 50 ms doubling to 2 s. */
    public static final Backoff DEFAULT = new Backoff(8, Duration.ofMillis(50), Duration.ofSeconds(2));

    public Backoff {
        Objects.requireNonNull(initialDelay, "initialDelay");
        Objects.requireNonNull(maxDelay, "maxDelay");
        if (maxAttempts < 1) throw new IllegalArgumentException("maxAttempts < 1: " + maxAttempts);
        if (initialDelay.isNegative() || maxDelay.compareTo(initialDelay) < 0) {
            throw new IllegalArgumentException("need 0 <= initialDelay <= maxDelay");
        }
    }

    /** The wait after failed attempt {@code attempt} (1-based). */
    public Duration delayAfter(int attempt) {
        Duration d = initialDelay;
        for (int i = 1; i < attempt && d.compareTo(maxDelay) < 0; i++) d = d.multipliedBy(2);
        return d.compareTo(maxDelay) > 0 ? maxDelay : d;
    }
}

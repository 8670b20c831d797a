package org.imaarchiver.jobs.compact;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import org.imaarchiver.archive.compact.RetentionPolicy;
import org.imaarchiver.archive.store.ArchiveStore;

/** The {@code --retention} choice, turned into the library's {@link RetentionPolicy} for one store. */
public sealed interface Retention {
    /** Stable text for identities and reports: {@code none}, {@code keep-all}, or the duration (ISO-8601). */
    String id();

    RetentionPolicy policy(ArchiveStore store, Clock clock);

    /** Replaced parts are deleted after the switch. */
    record None() implements Retention {
        @Override public String id() { return "none"; }

        @Override public RetentionPolicy policy(ArchiveStore store, Clock clock) { return RetentionPolicy.none(); }
    }

    /** Replaced parts are never deleted (S3 Object Lock: a delete only adds a delete marker). */
    record KeepAll() implements Retention {
        @Override public String id() { return "keep-all"; }

        @Override public RetentionPolicy policy(ArchiveStore store, Clock clock) { return RetentionPolicy.keepAll(); }
    }

    /** Replaced parts are deleted once their objects are older than {@code period} (by the store's lastModified). */
    record For(Duration period) implements Retention {
        public For {
            Objects.requireNonNull(period, "period");
            if (period.isNegative()) throw new IllegalArgumentException("negative retention period");
        }

        @Override public String id() { return period.toString(); }

        @Override public RetentionPolicy policy(ArchiveStore store, Clock clock) { return RetentionPolicy.retainFor(store, period, clock); }
    }
}

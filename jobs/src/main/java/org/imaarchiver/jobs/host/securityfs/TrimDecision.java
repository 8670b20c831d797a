package org.imaarchiver.jobs.host.securityfs;

import java.util.Objects;

/** What the archiving callback answers after it has seen (and persisted) the records. */
public sealed interface TrimDecision {
    /**
     * The first {@code n} records handed over are durably stored (fsynced and acknowledged by the
     * archive, D.1 item 5): the kernel may delete them. For a staged batch, n must be all of it.
     */
    record Trim(long n) implements TrimDecision {
        public Trim {
            if (n < 0) throw new IllegalArgumentException("n < 0: " + n);
        }
    }

    /** Do not touch the kernel. */
    record Abort(String why) implements TrimDecision {
        public Abort {
            Objects.requireNonNull(why, "why");
        }
    }

    static TrimDecision trim(long n) { return new Trim(n); }

    static TrimDecision abort(String why) { return new Abort(why); }
}

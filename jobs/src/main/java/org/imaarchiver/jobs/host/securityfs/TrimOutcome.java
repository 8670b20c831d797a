package org.imaarchiver.jobs.host.securityfs;

import java.util.Objects;

/**
 * How a trim session ended (kernel-interface.md D.2 step 7, A.8 errno table). Either the kernel deleted
 * exactly {@code n} records, or it deleted none and the reason says why. Failures the table does
 * not name (I/O errors, a malformed list) are exceptions, not outcomes.
 */
public sealed interface TrimOutcome {
    /** Records handed to the callback. */
    long recordsRead();

    /** Opens of the writer fd tried (1 = no EBUSY); 0 when no writer fd was opened. */
    int openAttempts();

    /**
     * The kernel deleted the first {@code n} records: the list now starts at absolute index
     * {@code firstIndex + n}, the caller's new {@code trimmedSoFar}.
     */
    record Trimmed(long n, long firstIndex, long recordsRead, int openAttempts) implements TrimOutcome {
        public long nextFirstIndex() { return firstIndex + n; }
    }

    /** Nothing was deleted. */
    record NotTrimmed(Reason reason, long recordsRead, int openAttempts) implements TrimOutcome {
        public NotTrimmed {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** Why nothing was deleted. */
    sealed interface Reason {}

    /** EBUSY at open on every attempt: another reader or writer holds a measurement file (D.1 item 3). */
    record Busy(int attempts) implements Reason {}

    /**
     * ENOENT on {@code N\n} (fewer than N records) or on {@code D\n} (nothing staged): someone else
     * trimmed meanwhile. A deployment bug (D.1 item 1); re-synchronise with the archive.
     */
    record ForeignTrim(long requested) implements Reason {}

    /**
     * ESTALE on N or D, EACCES on A: measurement is suspended for a reboot or kexec (A.8). The
     * records are carried to the next kernel (or lost with a reboot): do not mark them deleted (D.1 item 7).
     */
    record ShuttingDown() implements Reason {}

    /** EINVAL on a valid {@code N\n}: {@code ima_flush_htable} is set; trim by staging with prompt (A.8). */
    record FlushHtable() implements Reason {}

    /** EPERM at the write open: the process lacks CAP_SYS_ADMIN (A.8). */
    record NotPermitted() implements Reason {}

    /** The kernel has no staging support; the records were read but the kernel was not written (D.2 step 0). */
    record ArchiveOnly() implements Reason {}

    /**
     * Compare-then-trim: under the writer lock the kernel's head differs from the archived records,
     * first at {@code absoluteIndex} (D.2 end); or the kernel now holds fewer than N records.
     */
    record HeadMismatch(long absoluteIndex) implements Reason {}

    /** The callback declined to trim (it could not make the records durable). */
    record Aborted(String why) implements Reason {
        public Aborted {
            Objects.requireNonNull(why, "why");
        }
    }

    /** The callback asked for N = 0, or A found the current list empty: nothing to delete. */
    record NothingToTrim() implements Reason {}
}

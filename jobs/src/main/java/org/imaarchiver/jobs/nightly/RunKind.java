package org.imaarchiver.jobs.nightly;

/**
 * Why the job runs: the scheduled run, or the run at shutdown ({@code archive --at-shutdown}, from
 * {@code ima-archiver-shutdown.service}), whose segment closes the boot (docs/archive-format.md §6.1
 * {@code closesBoot}) and is written even when nothing new was measured, so that a verifier can tell a
 * boot that ended archived from one whose tail was lost at reboot.
 */
public enum RunKind {
    NIGHTLY,
    SHUTDOWN;

    /** The segment this run writes carries the closing mark. */
    public boolean closesBoot() { return this == SHUTDOWN; }
}

package org.imaarchiver.jobs.nightly;

/**
 * How one {@code archive} run ended, and its exit code (the cron wrapper's contract, documented in
 * docs/operations.md). Codes 0-3 follow the CLI's conventions ({@code org.imaarchiver.cli.ExitCode}).
 */
public enum RunOutcome {
    /** A segment (or the previous run's untrimmed records) was archived and the kernel list trimmed. */
    ARCHIVED_AND_TRIMMED(0, "archived_and_trimmed"),
    /** The quote attests exactly the archive head and nothing is left to trim. */
    NOTHING_TO_DO(10, "nothing_to_do"),
    /**
     * Archived (or nothing new), but the kernel was not trimmed: archive-only kernel, EBUSY after
     * every retry, shutdown/kexec in progress (ESTALE), flush_htable, no CAP_SYS_ADMIN.
     */
    ARCHIVED_NOT_TRIMMED(11, "archived_not_trimmed"),
    /**
     * The kernel's head disagrees with the archive and local state (foreign trimmer, lost or restored
     * state, restored VM, undecidable boot, changed AK): what could be proven was archived; trimming
     * is stopped until an operator clears the block (docs/operations.md).
     */
    TRIM_BLOCKED(12, "trim_blocked"),
    /** Another archiver holds the host lock. */
    LOCKED(13, "locked"),
    /** The evidence does not verify: quote signature/nonce, no quote point, replay failures. */
    VERIFICATION_FAILED(1, "verification_failed"),
    /**
     * Environment: no TPM, no securityfs, store unavailable, failing, timing out or not durable, an
     * object already under the next segment key (store-conflict), configuration. Never trims.
     */
    ENVIRONMENT_ERROR(3, "environment_error");

    private final int exitCode;
    private final String label;

    RunOutcome(int exitCode, String label) {
        this.exitCode = exitCode;
        this.label = label;
    }

    public int exitCode() { return exitCode; }

    /** The metrics label and log value. */
    public String label() { return label; }
}

package org.imaarchiver.cli;

/**
 * A failure the user can act on: printed as one line (no stack trace unless {@code --debug}) and
 * mapped to an exit code.
 */
public final class CliError extends Exception {
    private final int exitCode;

    private CliError(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /** Bad usage or malformed input (exit 2). */
    public static CliError usage(String message) { return new CliError(ExitCode.USAGE, message, null); }

    public static CliError usage(String message, Throwable cause) { return new CliError(ExitCode.USAGE, message, cause); }

    /** Environment problem: missing tool, TPM, unreadable file (exit 3). */
    public static CliError environment(String message) { return new CliError(ExitCode.ENVIRONMENT, message, null); }

    public static CliError environment(String message, Throwable cause) {
        return new CliError(ExitCode.ENVIRONMENT, message, cause);
    }

    public int exitCode() { return exitCode; }
}

package org.imaarchiver.cli;

/** The CLI's exit codes (the contract scripts rely on). */
public final class ExitCode {
    private ExitCode() {}

    /** Success; for check commands: the evidence verified. */
    public static final int OK = 0;
    /** The evidence does not verify (signature, nonce, digest, no matching prefix). */
    public static final int NOT_VERIFIED = 1;
    /** Bad usage or malformed input (a list, a quote, a state file). */
    public static final int USAGE = 2;
    /** Environment problem: a missing tool, file system error, no TPM. */
    public static final int ENVIRONMENT = 3;
    /** A bug in ima-archiver (printed with its stack trace). */
    public static final int INTERNAL = 70;
}

package org.imaarchiver.jobs.host.tpm;

/** The TPM executed the command's checks and answered with a non-success response code. */
public final class TpmException extends TpmFailure {
    private static final long serialVersionUID = 1L;
    private final TpmCommandCode command;
    private final TpmResponseCode responseCode;

    public TpmException(TpmCommandCode command, TpmResponseCode responseCode) {
        super(command + " failed: " + responseCode);
        this.command = command;
        this.responseCode = responseCode;
    }

    public TpmCommandCode command() { return command; }

    public TpmResponseCode responseCode() { return responseCode; }
}

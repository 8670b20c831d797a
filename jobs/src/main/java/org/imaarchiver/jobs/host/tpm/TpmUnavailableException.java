package org.imaarchiver.jobs.host.tpm;

/**
 * The TPM could not be reached (no device, connection refused, stream closed mid-response). An
 * environment problem, not a verdict about the TPM's state: the CLI maps it to exit code 3.
 */
public final class TpmUnavailableException extends TpmFailure {
    private static final long serialVersionUID = 1L;
    private final String endpoint;

    public TpmUnavailableException(String endpoint, String reason) {
        super(endpoint + ": " + reason);
        this.endpoint = endpoint;
    }

    public TpmUnavailableException(String endpoint, String reason, Throwable cause) {
        super(endpoint + ": " + reason, cause);
        this.endpoint = endpoint;
    }

    /** Device path or host:port. */
    public String endpoint() { return endpoint; }
}

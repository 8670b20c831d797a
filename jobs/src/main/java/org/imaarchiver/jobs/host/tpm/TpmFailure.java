package org.imaarchiver.jobs.host.tpm;

/**
 * Every failure of the TPM client. The three cases mean different things to a caller:
 * {@link TpmException} (the TPM answered with an error code), {@link TpmUnavailableException}
 * (no TPM reachable or the stream broke: an environment problem), {@link TpmProtocolException}
 * (the TPM answered with bytes we cannot accept: fail closed).
 */
public abstract sealed class TpmFailure extends Exception
        permits TpmException, TpmUnavailableException, TpmProtocolException {
    private static final long serialVersionUID = 1L;

    TpmFailure(String message) { super(message); }

    TpmFailure(String message, Throwable cause) { super(message, cause); }
}

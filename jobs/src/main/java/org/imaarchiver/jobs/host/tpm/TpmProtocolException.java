package org.imaarchiver.jobs.host.tpm;

/**
 * A response that does not parse as the command's response structure (truncated, trailing bytes,
 * wrong tag, a name that does not match the public area). Fails closed: nothing from it is used.
 */
public final class TpmProtocolException extends TpmFailure {
    private static final long serialVersionUID = 1L;
    private final TpmCommandCode command;
    private final int offset;

    public TpmProtocolException(TpmCommandCode command, int offset, String reason) {
        super(command + " response, byte " + offset + ": " + reason);
        this.command = command;
        this.offset = offset;
    }

    public TpmCommandCode command() { return command; }

    /** Byte offset in the response where parsing failed. */
    public int offset() { return offset; }
}

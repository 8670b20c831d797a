package org.imaarchiver.jobs.host.tpm;

import org.imaarchiver.replay.quote.TpmReader;

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

    /** How a {@link TpmReader} over {@code command}'s response reports a field it cannot accept. */
    static TpmReader.Errors<TpmProtocolException> reading(TpmCommandCode command) {
        return (kind, field, offset, detail) -> new TpmProtocolException(command, offset, kind + " in " + field + ": " + detail);
    }

    public TpmCommandCode command() { return command; }

    /** Byte offset in the response where parsing failed. */
    public int offset() { return offset; }
}

package org.imaarchiver.jobs.host.tpm;

/**
 * Carries one marshalled TPM 2.0 command to a TPM and returns its complete response (header
 * included). Implementations do no interpretation beyond framing by the header's size field;
 * one transport serves one command at a time.
 */
public interface TpmTransport extends AutoCloseable {
    /** Largest response we accept: TPM responses are bounded by MAX_COMMAND_SIZE (4 KiB on most TPMs). */
    int MAX_RESPONSE_SIZE = 64 * 1024;

    /** TPM header: tag u16, size u32, code u32 (TCG TPM 2.0 Part 1 §18). */
    int HEADER_SIZE = 10;

    /**
     * Sends {@code command} and returns the whole response.
     *
     * @throws TpmUnavailableException when the TPM cannot be reached or the stream breaks; the
     *     command may or may not have executed
     */
    byte[] transmit(byte[] command) throws TpmUnavailableException;

    /** A short description (device path or host:port) for error messages. */
    String endpoint();

    @Override
    void close();

    /** The size field of a response header, checked against the bounds every transport enforces. */
    static int responseSize(byte[] header, String endpoint) throws TpmUnavailableException {
        int size = ((header[2] & 0xff) << 24) | ((header[3] & 0xff) << 16) | ((header[4] & 0xff) << 8) | (header[5] & 0xff);
        if (size < HEADER_SIZE || size > MAX_RESPONSE_SIZE) {
            throw new TpmUnavailableException(endpoint, "response header announces " + Integer.toUnsignedString(size)
                    + " bytes (allowed " + HEADER_SIZE + ".." + MAX_RESPONSE_SIZE + "): not a TPM 2.0 response stream");
        }
        return size;
    }
}

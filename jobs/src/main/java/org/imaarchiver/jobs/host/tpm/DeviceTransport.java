package org.imaarchiver.jobs.host.tpm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A Linux TPM character device, normally {@code /dev/tpmrm0} (the kernel resource manager, which
 * swaps transient objects and sessions per open file, so our handles never collide with other
 * users'). Protocol: one write() of the whole command, then read() the response from the same file;
 * the kernel returns the full response to the first read, but we loop on the header size anyway.
 * {@code /dev/tpm0} works too but is exclusive and has no resource manager.
 */
public final class DeviceTransport implements TpmTransport {
    public static final Path DEFAULT_DEVICE = Path.of("/dev/tpmrm0");

    private final FileChannel channel;
    private final String endpoint;

    private DeviceTransport(FileChannel channel, String endpoint) {
        this.channel = channel;
        this.endpoint = endpoint;
    }

    public static DeviceTransport open(Path device) throws TpmUnavailableException {
        try {
            return new DeviceTransport(FileChannel.open(device, StandardOpenOption.READ, StandardOpenOption.WRITE), device.toString());
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            throw new TpmUnavailableException(device.toString(), "cannot open TPM device: " + e, e);
        }
    }

    @Override
    public byte[] transmit(byte[] command) throws TpmUnavailableException {
        try {
            ByteBuffer cmd = ByteBuffer.wrap(command);
            // The driver takes the command in one write(); a short write would be a driver refusal.
            int written = channel.write(cmd);
            if (written != command.length) {
                throw new TpmUnavailableException(endpoint, "device accepted " + written + " of " + command.length + " command bytes");
            }
            ByteBuffer buf = ByteBuffer.allocate(MAX_RESPONSE_SIZE);
            int size = -1;
            while (size < 0 || buf.position() < size) {
                int n = channel.read(buf);
                if (n < 0) throw new TpmUnavailableException(endpoint, "end of stream after " + buf.position() + " response bytes");
                if (size < 0 && buf.position() >= HEADER_SIZE) {
                    byte[] header = new byte[HEADER_SIZE];
                    buf.duplicate().flip().get(header);
                    size = TpmTransport.responseSize(header, endpoint);
                }
                if (n == 0 && buf.position() == 0) throw new TpmUnavailableException(endpoint, "device returned no response");
            }
            if (buf.position() != size) {
                throw new TpmUnavailableException(endpoint, "device returned " + buf.position() + " bytes for a " + size + "-byte response");
            }
            byte[] response = new byte[size];
            buf.flip().get(response);
            return response;
        } catch (IOException e) {
            throw new TpmUnavailableException(endpoint, "I/O error: " + e.getMessage(), e);
        }
    }

    @Override
    public String endpoint() { return endpoint; }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing a character device cannot lose data we still need
        }
    }
}

package org.imaarchiver.jobs.host.tpm;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/**
 * swtpm's TCP server port ({@code swtpm socket --server type=tcp,port=N}). The data port carries
 * the bare TPM command stream: command bytes in, response bytes out, no framing of its own (what
 * tpm2-tss's {@code swtpm:} TCTI sends). It is NOT the Microsoft simulator (mssim) protocol, which
 * wraps each command in TPM_SEND_COMMAND/locality/length words and talks platform commands to N+1
 * (tpm-tools.md §1). One connection carries many commands; the response is framed by its header's
 * size field.
 */
public final class SwtpmSocketTransport implements TpmTransport {
    /** RSA key generation in swtpm takes well under a second; a hung peer must not hang the job. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final String endpoint;

    private SwtpmSocketTransport(Socket socket, String endpoint) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.endpoint = endpoint;
    }

    public static SwtpmSocketTransport connect(String host, int port) throws TpmUnavailableException {
        return connect(host, port, DEFAULT_TIMEOUT);
    }

    public static SwtpmSocketTransport connect(String host, int port, Duration timeout) throws TpmUnavailableException {
        String endpoint = "swtpm tcp " + host + ":" + port;
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host, port), (int) Math.min(timeout.toMillis(), Integer.MAX_VALUE));
            s.setSoTimeout((int) Math.min(timeout.toMillis(), Integer.MAX_VALUE));
            return new SwtpmSocketTransport(s, endpoint);
        } catch (IOException e) {
            try {
                s.close();
            } catch (IOException ignored) {
                // the connect failure is the error worth reporting
            }
            throw new TpmUnavailableException(endpoint, "cannot connect: " + e.getMessage(), e);
        }
    }

    @Override
    public byte[] transmit(byte[] command) throws TpmUnavailableException {
        try {
            out.write(command);
            out.flush();
            byte[] header = in.readNBytes(HEADER_SIZE);
            if (header.length < HEADER_SIZE) throw new EOFException("connection closed after " + header.length + " response bytes");
            int size = TpmTransport.responseSize(header, endpoint);
            byte[] response = new byte[size];
            System.arraycopy(header, 0, response, 0, HEADER_SIZE);
            int n = in.readNBytes(response, HEADER_SIZE, size - HEADER_SIZE);
            if (n < size - HEADER_SIZE) throw new EOFException("connection closed after " + (HEADER_SIZE + n) + " of " + size + " response bytes");
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
            socket.close();
        } catch (IOException ignored) {
            // nothing useful to do when closing a socket fails
        }
    }
}

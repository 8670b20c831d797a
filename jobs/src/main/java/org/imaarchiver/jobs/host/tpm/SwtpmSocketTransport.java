package org.imaarchiver.jobs.host.tpm;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Optional;

/**
 * swtpm's TCP server port ({@code swtpm socket --server type=tcp,port=N}). The data port carries
 * the bare TPM command stream: command bytes in, response bytes out, no framing of its own (what
 * tpm2-tss's {@code swtpm:} TCTI sends). It is NOT the Microsoft simulator (mssim) protocol, which
 * wraps each command in TPM_SEND_COMMAND/locality/length words and talks platform commands to N+1
 * (kernel-interface.md T.1). The response is framed by its header's size field.
 *
 * <p>swtpm serves <b>one connection at a time</b>: while a connection is open, a second client
 * (tpm2-tools, another transport) blocks in connect/read until the first closes (seen with swtpm
 * 0.7.1). {@link Mode#PERSISTENT} keeps one connection (fastest, exclusive);
 * {@link Mode#PER_COMMAND} connects for each command and closes after the response, so peers can
 * interleave. Transient handles live in the TPM, not the connection, so they survive reconnects.
 */
public final class SwtpmSocketTransport implements TpmTransport {
    /** RSA key generation in swtpm takes well under a second; a hung peer must not hang the job. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    /** Connection lifetime. */
    public enum Mode { PERSISTENT, PER_COMMAND }

    private final String host;
    private final int port;
    private final Duration timeout;
    private final Mode mode;
    private final String endpoint;
    private Optional<Socket> socket;

    private SwtpmSocketTransport(String host, int port, Duration timeout, Mode mode, Optional<Socket> socket) {
        this.host = host;
        this.port = port;
        this.timeout = timeout;
        this.mode = mode;
        this.endpoint = "swtpm tcp " + host + ":" + port;
        this.socket = socket;
    }

    /** A persistent connection with the default timeout. */
    public static SwtpmSocketTransport connect(String host, int port) throws TpmUnavailableException {
        return connect(host, port, Mode.PERSISTENT, DEFAULT_TIMEOUT);
    }

    /**
     * Connects once to check the port answers; in PER_COMMAND mode that probe connection is closed
     * again straight away.
     */
    public static SwtpmSocketTransport connect(String host, int port, Mode mode, Duration timeout) throws TpmUnavailableException {
        String endpoint = "swtpm tcp " + host + ":" + port;
        Socket s = open(host, port, timeout, endpoint);
        if (mode == Mode.PER_COMMAND) {
            closeQuietly(s);
            return new SwtpmSocketTransport(host, port, timeout, mode, Optional.empty());
        }
        return new SwtpmSocketTransport(host, port, timeout, mode, Optional.of(s));
    }

    private static Socket open(String host, int port, Duration timeout, String endpoint) throws TpmUnavailableException {
        Socket s = new Socket();
        int millis = (int) Math.min(timeout.toMillis(), Integer.MAX_VALUE);
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host, port), millis);
            s.setSoTimeout(millis);
            return s;
        } catch (IOException e) {
            closeQuietly(s);
            throw new TpmUnavailableException(endpoint, "cannot connect: " + e.getMessage(), e);
        }
    }

    @Override
    public byte[] transmit(byte[] command) throws TpmUnavailableException {
        Socket s = socket.isPresent() ? socket.get() : open(host, port, timeout, endpoint);
        try {
            return exchange(s, command);
        } catch (IOException e) {
            // A broken persistent stream cannot be resynchronised: drop it so close() is trivial.
            closeQuietly(s);
            socket = Optional.empty();
            throw new TpmUnavailableException(endpoint, "I/O error: " + e.getMessage(), e);
        } finally {
            if (mode == Mode.PER_COMMAND) closeQuietly(s);
        }
    }

    private byte[] exchange(Socket s, byte[] command) throws IOException, TpmUnavailableException {
        if (s.isClosed()) throw new EOFException("connection already closed");
        OutputStream out = s.getOutputStream();
        InputStream in = s.getInputStream();
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
    }

    public Mode mode() { return mode; }

    @Override
    public String endpoint() { return endpoint; }

    @Override
    public void close() {
        socket.ifPresent(SwtpmSocketTransport::closeQuietly);
        socket = Optional.empty();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing useful to do when closing a socket fails
        }
    }
}

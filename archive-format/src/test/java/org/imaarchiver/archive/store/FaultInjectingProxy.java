package org.imaarchiver.archive.store;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A tiny HTTP/1.1 proxy on 127.0.0.1 that sits in front of s3proxy and misbehaves on request:
 * answers 5xx itself, forwards but loses the response (the write happened, the client never
 * hears), or swallows the request. One request per connection ("Connection: close"), bodies by
 * Content-Length only, every wait bounded. Test code only; public for the jobs module's nightly
 * store-fault tests (through the test-jar).
 */
public final class FaultInjectingProxy implements AutoCloseable {
    public enum Action {
        FORWARD,
        /** Answer 500 without forwarding. */
        RESPOND_500,
        /** Answer 503 without forwarding. */
        RESPOND_503,
        /** Forward, let the upstream finish, then never answer the client. */
        FORWARD_AND_DROP_RESPONSE,
        /** Read the request and never forward or answer it. */
        SWALLOW
    }

    /** What the proxy saw: method, request target and what it did. */
    public record Seen(String method, String target, Action action) {}

    @FunctionalInterface
    public interface Plan {
        Action decide(String method, String target);
    }

    private static final int MAX_HEAD = 64 * 1024;
    /** Longest time a dropped or swallowed exchange is held open. */
    private static final int HOLD_MILLIS = 15_000;

    private final ServerSocket server;
    private final int upstreamPort;
    private final Thread acceptor;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    final List<Seen> seen = new CopyOnWriteArrayList<>();
    private volatile Plan plan = (m, t) -> Action.FORWARD;

    public FaultInjectingProxy(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::acceptLoop, "fault-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() { return server.getLocalPort(); }

    public void plan(Plan p) { plan = p; }

    public List<Seen> seen(String method) {
        return seen.stream().filter(s -> s.method().equals(method)).toList();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                open.add(client);
                Thread t = new Thread(() -> handle(client), "fault-proxy-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void handle(Socket client) {
        try (client) {
            client.setSoTimeout(HOLD_MILLIS);
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            List<String> head = readHead(in);
            if (head.isEmpty()) return;
            String[] requestLine = head.get(0).split(" ");
            String method = requestLine[0];
            String target = requestLine.length > 1 ? requestLine[1] : "";
            long length = 0;
            boolean expectContinue = false;
            List<String> forwardHeaders = new ArrayList<>();
            for (String h : head.subList(1, head.size())) {
                String name = h.substring(0, Math.max(0, h.indexOf(':'))).trim().toLowerCase(Locale.ROOT);
                String value = h.substring(h.indexOf(':') + 1).trim();
                if (name.equals("content-length")) length = Long.parseLong(value);
                if (name.equals("transfer-encoding")) throw new IOException("chunked requests are not supported by this test proxy");
                if (name.equals("expect") && value.equalsIgnoreCase("100-continue")) {
                    expectContinue = true;
                    continue; // answered here
                }
                if (name.equals("connection")) continue;
                forwardHeaders.add(h);
            }
            forwardHeaders.add("Connection: close");
            if (expectContinue) {
                out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            byte[] body = in.readNBytes(Math.toIntExact(length));
            Action action = plan.decide(method, target);
            seen.add(new Seen(method, target, action));
            switch (action) {
                case FORWARD -> out.write(forward(head.get(0), forwardHeaders, body));
                case RESPOND_500 -> out.write(error(500, "Internal Server Error", "InternalError"));
                case RESPOND_503 -> out.write(error(503, "Service Unavailable", "ServiceUnavailable"));
                case FORWARD_AND_DROP_RESPONSE -> {
                    forward(head.get(0), forwardHeaders, body);
                    holdUntilClientGivesUp(in);
                }
                case SWALLOW -> holdUntilClientGivesUp(in);
            }
            out.flush();
        } catch (IOException e) {
            // the client went away or the test ended: nothing to do
        } finally {
            open.remove(client);
        }
    }

    private static void holdUntilClientGivesUp(InputStream in) throws IOException {
        try {
            while (in.read() >= 0) {
                // discard until the client closes its side
            }
        } catch (SocketTimeoutException e) {
            // bounded: give up after HOLD_MILLIS
        }
    }

    private byte[] forward(String requestLine, List<String> headers, byte[] body) throws IOException {
        try (Socket up = new Socket(InetAddress.getLoopbackAddress(), upstreamPort)) {
            up.setSoTimeout(HOLD_MILLIS);
            OutputStream o = up.getOutputStream();
            StringBuilder sb = new StringBuilder(requestLine).append("\r\n");
            for (String h : headers) sb.append(h).append("\r\n");
            sb.append("\r\n");
            o.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
            o.write(body);
            o.flush();
            byte[] response = up.getInputStream().readAllBytes(); // upstream closes: Connection: close
            return withConnectionClose(response);
        }
    }

    /** Makes sure the client does not try to reuse the connection we are about to close. */
    private static byte[] withConnectionClose(byte[] response) {
        String s = new String(response, StandardCharsets.ISO_8859_1);
        int end = s.indexOf("\r\n\r\n");
        if (end < 0) return response;
        StringBuilder head = new StringBuilder();
        for (String line : s.substring(0, end).split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("connection:")) continue;
            head.append(line).append("\r\n");
        }
        head.append("Connection: close\r\n\r\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(response, end + 4, response.length - end - 4);
        return out.toByteArray();
    }

    private static byte[] error(int status, String text, String code) {
        String body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code
                + "</Code><Message>injected by the test proxy</Message></Error>";
        String r = "HTTP/1.1 " + status + " " + text + "\r\nContent-Type: application/xml\r\nContent-Length: "
                + body.length() + "\r\nConnection: close\r\n\r\n" + body;
        return r.getBytes(StandardCharsets.US_ASCII);
    }

    private static List<String> readHead(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int state = 0; // counts the bytes of "\r\n\r\n" matched so far
        while (state < 4) {
            int b = in.read();
            if (b < 0) return List.of();
            buf.write(b);
            if (buf.size() > MAX_HEAD) throw new IOException("request head too large");
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1
                    : (b == '\r' ? 1 : 0);
        }
        String s = buf.toString(StandardCharsets.ISO_8859_1);
        List<String> lines = new ArrayList<>(List.of(s.substring(0, s.length() - 4).split("\r\n")));
        return lines;
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}

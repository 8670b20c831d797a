package org.imaarchiver.archive.sign;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import org.imaarchiver.replay.bytes.Bytes;

/** RFC 3161 over HTTP (RFC 3161 §3.4): POST {@code application/timestamp-query}, expect {@code application/timestamp-reply}. */
public final class HttpTimestampAuthority implements TimestampAuthority {
    /** A TimeStampResp is a few KiB; anything huge is not one. */
    private static final int MAX_RESPONSE = 1 << 20;

    private final URI url;
    private final Duration timeout;
    private final HttpClient client;

    public HttpTimestampAuthority(URI url, Duration timeout) {
        this.url = Objects.requireNonNull(url, "url");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.client = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    @Override
    public Bytes exchange(Bytes timeStampRequest) throws IOException {
        HttpRequest req = HttpRequest.newBuilder(url).timeout(timeout)
                .header("Content-Type", "application/timestamp-query")
                .POST(HttpRequest.BodyPublishers.ofByteArray(timeStampRequest.toArray())).build();
        HttpResponse<byte[]> resp;
        try {
            resp = client.send(req, HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for TSA " + url, e);
        }
        if (resp.statusCode() != 200) throw new IOException("TSA " + url + " answered HTTP " + resp.statusCode());
        String ct = resp.headers().firstValue("Content-Type").orElse("");
        if (!ct.startsWith("application/timestamp-reply")) throw new IOException("TSA " + url + " answered Content-Type " + ct);
        if (resp.body().length > MAX_RESPONSE) throw new IOException("TSA " + url + " answered " + resp.body().length + " bytes");
        return Bytes.wrap(resp.body());
    }
}

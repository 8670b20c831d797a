package org.imaarchiver.jobs.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code ima-archiver.*} properties (defaults in {@code application.yaml}, every one documented
 * in docs/operations.md). Environment variables ({@code IMA_ARCHIVER_STATE_DIR}) and
 * {@code --ima-archiver.x=y} options override them (Spring Boot's relaxed binding). Secrets
 * (S3 keys) are never printed: {@link #toString()} masks them.
 */
@ConfigurationProperties("ima-archiver")
public record ArchiverSettings(
        String hostId,
        Path securityfsRoot,
        Path procCmdline,
        String tpm,
        String templateBank,
        List<String> banks,
        List<Integer> pcrs,
        Ak ak,
        Store store,
        Signing signing,
        String tsaUrl,
        Path stateDir,
        Path lockPath,
        Path journalPath,
        Path metricsPath,
        Backoff backoff) {

    /** The attestation key: a deterministic primary ({@code primary}) or a persisted key ({@code persistent}). */
    public record Ak(String mode, String handle, String template, String hierarchy) {
        public boolean persistent() { return "persistent".equalsIgnoreCase(mode); }
        public int handleValue() { return Integer.parseUnsignedInt(handle.replaceFirst("^0[xX]", ""), 16); }
        public boolean ecc() { return template != null && template.toLowerCase(Locale.ROOT).startsWith("ecc"); }
    }

    public record Store(String uri, String s3Endpoint, String region, Boolean pathStyle, String accessKeyId,
                        String secretAccessKey) {
        @Override
        public String toString() {
            return "Store[uri=" + uri + ", s3Endpoint=" + s3Endpoint + ", region=" + region + ", pathStyle=" + pathStyle
                    + ", accessKeyId=" + (blank(accessKeyId) ? "" : "***") + ", secretAccessKey=" + (blank(secretAccessKey) ? "" : "***") + "]";
        }
    }

    /** {@code keyDir} holds {@code signing-key.pem} and {@code signing-cert.pem} (KeyMaterial). */
    public record Signing(Path keyDir) {
        @Override
        public String toString() { return "Signing[keyDir=***]"; }
    }

    public record Backoff(int attempts, Duration initial, Duration max) {}

    /** The host id, or the machine's host name when none is configured. */
    public String effectiveHostId() {
        if (!blank(hostId)) return hostId;
        try {
            String name = InetAddress.getLocalHost().getHostName();
            int dot = name.indexOf('.');
            return dot > 0 ? name.substring(0, dot) : name;
        } catch (UnknownHostException e) {
            return Optional.ofNullable(System.getenv("HOSTNAME")).orElse("localhost");
        }
    }

    public Path workDir() { return stateDir.resolve("work"); }

    public Path hostStatePath() { return stateDir.resolve("host-state.json"); }

    static boolean blank(String s) { return s == null || s.isBlank(); }

    public Optional<String> tsa() { return blank(tsaUrl) ? Optional.empty() : Optional.of(tsaUrl); }
}

package org.imaarchiver.e2e.archive;

import org.imaarchiver.archive.store.S3ProxyServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.imaarchiver.e2e.archive.ArchiveCli.NONCE_200;
import static org.imaarchiver.e2e.archive.ArchiveCli.NONCE_362;
import static org.imaarchiver.e2e.archive.ArchiveCli.packArgs;
import static org.imaarchiver.e2e.archive.ArchiveCli.run;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.imaarchiver.replay.json.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * pack and verify against S3 (s3proxy in-process). Credentials reach the CLI as the SDK's
 * {@code aws.accessKeyId}/{@code aws.secretAccessKey} system properties (a process cannot set its own
 * environment); the endpoint through {@code --s3-endpoint}.
 */
class ArchiveS3Test {
    @TempDir Path dir;
    private S3ProxyServer s3;
    private String wasKey;
    private String wasSecret;

    @BeforeEach
    void start() throws Exception {
        s3 = S3ProxyServer.start();
        s3.createBucket("archive");
        wasKey = System.getProperty("aws.accessKeyId");
        wasSecret = System.getProperty("aws.secretAccessKey");
        System.setProperty("aws.accessKeyId", S3ProxyServer.ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", S3ProxyServer.SECRET_KEY);
    }

    @AfterEach
    void stop() throws Exception {
        ArchiveCommandsTest.restore("aws.accessKeyId", wasKey);
        ArchiveCommandsTest.restore("aws.secretAccessKey", wasSecret);
        if (s3 != null) s3.close();
    }

    /**
     * The first {@code n} records of a little-endian legacy list (kernel-interface.md B.3: PCR, 20-byte
     * digest, name length, name, then for every template but {@code ima} a data length and the data).
     */
    private static byte[] firstRecords(byte[] list, int n) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(list).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.position(b.position() + 4 + 20);
            byte[] name = new byte[b.getInt()];
            b.get(name);
            if (new String(name, java.nio.charset.StandardCharsets.US_ASCII).equals("ima")) b.position(b.position() + 20);
            int length = b.getInt(); // ima: the file name's, else the template data's
            b.position(b.position() + length);
        }
        return java.util.Arrays.copyOf(list, b.position());
    }

    @Test
    void packAndVerifyOnS3() throws Exception {
        Path keys = dir.resolve("keys");
        assertThat(run("keygen", "--out", keys.toString()).code()).isZero();
        String store = "s3://archive/fleet/prod";
        String endpoint = s3.endpoint().toString();

        ArchiveCli.Result p0 = run(packArgs(200, NONCE_200, keys, store, "--s3-endpoint", endpoint));
        assertThat(p0.code()).as(p0.toString()).isZero();
        assertThat(p0.json().get("quotePoint")).isEqualTo(200L);
        ArchiveCli.Result p1 = run(packArgs(362, NONCE_362, keys, store, "--s3-endpoint", endpoint));
        assertThat(p1.code()).as(p1.toString()).isZero();
        assertThat(p1.json().get("quotePoint")).isEqualTo(362L);
        ArchiveCli.Result again = run(packArgs(362, NONCE_362, keys, store, "--s3-endpoint", endpoint));
        assertThat(again.code()).as(again.toString()).isZero();
        assertThat(again.json().get("records")).isEqualTo(0L);

        Path trust = ArchiveCli.trustDir(dir.resolve("trust"), keys, true);
        ArchiveCli.Result v = run("verify", store, "--s3-endpoint", endpoint, "--trust", trust.toString(), "--json", "-",
                "--state", dir.resolve("verify-state").toString());
        assertThat(v.code()).as(v.toString()).isZero();
        Map<String, Object> h = Json.asObject(Json.asArray(v.json().get("hosts"), "hosts").get(0), "host");
        assertThat(h.get("segments")).isEqualTo(2L);
        assertThat(h.get("records")).isEqualTo(362L);

        // export from S3: the archived boot is the real kernel's list up to the last quote, byte for byte
        Path exported = dir.resolve("export.bin");
        ArchiveCli.Result e = run("export", store, "--s3-endpoint", endpoint, "--trust", trust.toString(), "--host", ArchiveCli.HOST,
                "--out", exported.toString());
        assertThat(e.code()).as(e.toString()).isZero();
        assertThat(Files.readAllBytes(exported)).isEqualTo(firstRecords(Files.readAllBytes(ArchiveCli.log()), 362));

        ArchiveCli.Result bad = run("verify", store, "--s3-endpoint", endpoint,
                "--trust", ArchiveCli.trustDir(dir.resolve("no-ak"), keys, false).toString(),
                "--state", dir.resolve("verify-state").toString());
        assertThat(bad.code()).as(bad.toString()).isEqualTo(1);

        ArchiveCli.Result inspect = run("inspect", (String) p1.json().get("segment"), "--store", store,
                "--s3-endpoint", endpoint, "--records");
        assertThat(inspect.code()).as(inspect.toString()).isZero();
        List<String> lines = inspect.out().lines().toList();
        List<String> all = run("inspect", ArchiveCli.log().toString()).out().lines().toList();
        assertThat(lines.subList(lines.size() - 162, lines.size())).isEqualTo(all.subList(200, 362));
    }
}

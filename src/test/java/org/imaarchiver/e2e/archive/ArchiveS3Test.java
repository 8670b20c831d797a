package org.imaarchiver.e2e.archive;

import org.imaarchiver.archive.store.S3ProxyServer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.imaarchiver.e2e.archive.ArchiveCli.NONCE_200;
import static org.imaarchiver.e2e.archive.ArchiveCli.NONCE_362;
import static org.imaarchiver.e2e.archive.ArchiveCli.packArgs;
import static org.imaarchiver.e2e.archive.ArchiveCli.run;

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

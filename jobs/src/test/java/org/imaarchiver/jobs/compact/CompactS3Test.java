package org.imaarchiver.jobs.compact;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.imaarchiver.archive.chain.ChainListing;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.ArchiveStores;
import org.imaarchiver.archive.store.S3Credentials;
import org.imaarchiver.archive.store.S3ProxyServer;
import org.imaarchiver.archive.store.StoreOptions;
import org.imaarchiver.cli.ExitCode;
import org.imaarchiver.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code compact s3://bucket/prefix --s3-endpoint URL} against an in-process s3proxy: the archive is
 * uploaded, compacted on S3 (staging, create-only commit, deletes through the S3 store), then
 * downloaded and checked like the local one: same verdicts, same rows, one segment per boot, no
 * superseded or staged objects left. Credentials reach the CLI as the SDK's system properties.
 */
class CompactS3Test {
    static final String BUCKET = "archive";

    @TempDir Path dir;

    @Test
    void compactsAnArchiveOnS3() throws Exception {
        CompactArchive archive = CompactArchive.build(dir.resolve("build"));
        Map<String, CompactArchive.Verdict> golden = archive.verify(archive.golden, dir.resolve("verify0"));
        String was = System.getProperty("aws.accessKeyId");
        String wasSecret = System.getProperty("aws.secretAccessKey");
        try (S3ProxyServer s3 = S3ProxyServer.start()) {
            s3.createBucket(BUCKET);
            System.setProperty("aws.accessKeyId", S3ProxyServer.ACCESS_KEY);
            System.setProperty("aws.secretAccessKey", S3ProxyServer.SECRET_KEY);
            String uri = "s3://" + BUCKET + "/fleet";
            try (ArchiveStore store = direct(s3, uri); Stream<Path> files = Files.walk(archive.golden)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    store.createNew(archive.golden.relativize(f).toString(), f);
                }
            }

            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int code = Main.run(new String[] {"compact", uri, "--s3-endpoint", s3.endpoint().toString(), "--trust",
                    archive.trust.toString(), "--key", archive.compactorKeys.toString(), "--host", CompactArchive.MULTI, "--host",
                    CompactArchive.EVEN, "--min-age", "0", "--state", dir.resolve("state").toString(), "--progress", "none"},
                    new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
            assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isEqualTo(ExitCode.OK);

            Path local = dir.resolve("downloaded");
            try (ArchiveStore store = direct(s3, uri); Stream<String> keys = store.list("hosts/")) {
                for (String k : keys.toList()) {
                    Path t = local.resolve(k);
                    Files.createDirectories(t.getParent());
                    store.download(k, t);
                }
            }
            assertThat(archive.verify(local, dir.resolve("verify1"))).isEqualTo(golden);
            for (String h : List.of(CompactArchive.MULTI, CompactArchive.EVEN)) {
                assertThat(CompactArchive.rows(local, h)).as(h).isEqualTo(CompactArchive.rows(archive.golden, h));
                ChainListing l = CompactArchive.listing(local, h);
                assertThat(l.superseded()).isEmpty();
                assertThat(l.staged()).isEmpty();
            }
            assertThat(CompactArchive.chainSegments(local, CompactArchive.MULTI)).isEqualTo(2);
            assertThat(CompactArchive.chainSegments(local, CompactArchive.EVEN)).isEqualTo(1);
        } finally {
            restore("aws.accessKeyId", was);
            restore("aws.secretAccessKey", wasSecret);
        }
    }

    private static ArchiveStore direct(S3ProxyServer s3, String uri) throws Exception {
        return ArchiveStores.open(uri, StoreOptions.builder().s3Endpoint(s3.endpoint()).region("us-east-1").pathStyle(true)
                .credentials(S3Credentials.of(S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)).environment(Map.of()).build());
    }

    private static void restore(String property, String value) {
        if (value == null) System.clearProperty(property);
        else System.setProperty(property, value);
    }
}

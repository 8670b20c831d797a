package org.imaarchiver.e2e.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.imaarchiver.e2e.archive.ArchiveCli.HOST;
import static org.imaarchiver.e2e.archive.ArchiveCli.NONCE_200;
import static org.imaarchiver.e2e.archive.ArchiveCli.NONCE_362;
import static org.imaarchiver.e2e.archive.ArchiveCli.packArgs;
import static org.imaarchiver.e2e.archive.ArchiveCli.run;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.imaarchiver.replay.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * keygen → pack → verify over the shared test data (kgoldman+ibmtss/sha1.log and the two swtpm quotes
 * taken after records 200 and 362) into a local store, and the exit-code contract of each failure.
 * Expected quote points are the README's (the quotes were taken after 200 and 362 records).
 */
class ArchiveCommandsTest {
    @TempDir Path dir;

    /** The verify job's state (repository, lock) for this test: never the user's ~/.cache. */
    private String state() { return dir.resolve("verify-state").toString(); }

    private Path keygen() {
        Path keys = dir.resolve("keys");
        ArchiveCli.Result r = run("keygen", "--out", keys.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        return keys;
    }

    @Test
    void keygenWritesOwnerOnlyKeyAndRefusesToOverwrite() throws Exception {
        Path keys = keygen();
        assertThat(Files.getPosixFilePermissions(keys.resolve("signing-key.pem")))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        assertThat(keys.resolve("signing-cert.pem")).isRegularFile();
        byte[] before = Files.readAllBytes(keys.resolve("signing-key.pem"));

        ArchiveCli.Result again = run("keygen", "--out", keys.toString());
        assertThat(again.code()).as(again.toString()).isEqualTo(2);
        assertThat(again.err().strip().lines()).hasSize(1);
        assertThat(Files.readAllBytes(keys.resolve("signing-key.pem"))).isEqualTo(before);

        ArchiveCli.Result forced = run("keygen", "--out", keys.toString(), "--force", "--type", "ed25519", "--cn", "test", "--days", "2");
        assertThat(forced.code()).as(forced.toString()).isZero();
        assertThat(Files.readAllBytes(keys.resolve("signing-key.pem"))).isNotEqualTo(before);

        assertThat(run("keygen", "--out", dir.resolve("k2").toString(), "--type", "rsa").code()).isEqualTo(2);
    }

    @Test
    void packTwoQuotesThenNothingNewThenVerify() throws Exception {
        Path keys = keygen();
        String store = dir.resolve("archive").toString();

        ArchiveCli.Result p0 = run(packArgs(200, NONCE_200, keys, store));
        assertThat(p0.code()).as(p0.toString()).isZero();
        Map<String, Object> j0 = p0.json();
        assertThat(j0).containsKeys("segment", "sequence", "records", "quotePoint");
        assertThat(j0.get("sequence")).isEqualTo(0L);
        assertThat(j0.get("records")).isEqualTo(200L);
        assertThat(j0.get("quotePoint")).isEqualTo(200L);
        assertThat(dir.resolve("archive").resolve((String) j0.get("segment"))).isRegularFile();

        ArchiveCli.Result p1 = run(packArgs(362, NONCE_362, keys, store));
        assertThat(p1.code()).as(p1.toString()).isZero();
        Map<String, Object> j1 = p1.json();
        assertThat(j1.get("sequence")).isEqualTo(1L);
        assertThat(j1.get("records")).isEqualTo(162L);
        assertThat(j1.get("quotePoint")).isEqualTo(362L);

        // the same evidence again: the chain already ends at the quote point
        ArchiveCli.Result again = run(packArgs(362, NONCE_362, keys, store));
        assertThat(again.code()).as(again.toString()).isZero();
        assertThat(again.json().get("quotePoint")).isEqualTo(362L);
        assertThat(again.json().get("records")).isEqualTo(0L);
        assertThat(again.json().get("segment")).isSameAs(Json.NULL);
        // human form says so
        List<String> human = packArgs(362, NONCE_362, keys, store);
        human.remove("--json");
        ArchiveCli.Result againHuman = run(human);
        assertThat(againHuman.code()).isZero();
        assertThat(againHuman.out()).contains("nothing new to pack");

        Path trust = ArchiveCli.trustDir(dir.resolve("trust"), keys, true);
        Path report = dir.resolve("report.json");
        ArchiveCli.Result v = run("verify", store, "--trust", trust.toString(), "--json", report.toString(), "--parallel", "2",
                "--state", state());
        assertThat(v.code()).as(v.toString()).isZero();
        Map<String, Object> rep = Json.asObject(Json.parse(Files.readString(report)), "report");
        assertThat(rep).containsOnlyKeys("hosts");
        List<Object> hosts = Json.asArray(rep.get("hosts"), "hosts");
        assertThat(hosts).hasSize(1);
        Map<String, Object> h = Json.asObject(hosts.get(0), "host");
        assertThat(h).containsKeys("host", "status", "segments", "records", "failures");
        assertThat(h.get("host")).isEqualTo(HOST);
        assertThat(h.get("status")).isEqualTo("ok");
        assertThat(h.get("segments")).isEqualTo(2L);
        assertThat(h.get("records")).isEqualTo(362L);
        assertThat(Json.asArray(h.get("failures"), "failures")).isEmpty();
        assertThat(v.out()).contains(HOST);

        // --json - : the report on stdout, parseable
        ArchiveCli.Result vs = run("verify", store, "--trust", trust.toString(), "--json", "-", "--host", HOST, "--state", state());
        assertThat(vs.code()).as(vs.toString()).isZero();
        assertThat(vs.json()).containsOnlyKeys("hosts");

        // the AK removed from the trust directory: the quotes are no longer trusted
        Path noAk = ArchiveCli.trustDir(dir.resolve("trust-no-ak"), keys, false);
        Path report2 = dir.resolve("report2.json");
        ArchiveCli.Result bad = run("verify", store, "--trust", noAk.toString(), "--json", report2.toString(), "--state", state());
        assertThat(bad.code()).as(bad.toString()).isEqualTo(1);
        Map<String, Object> h2 = Json.asObject(Json.asArray(Json.asObject(Json.parse(Files.readString(report2)), "r")
                .get("hosts"), "hosts").get(0), "host");
        assertThat(h2.get("status")).isEqualTo("failed");
        List<Object> failures = Json.asArray(h2.get("failures"), "failures");
        assertThat(failures).isNotEmpty();
        for (Object f : failures) {
            Map<String, Object> fo = Json.asObject(f, "failure");
            assertThat(fo).containsKeys("kind", "segment", "record", "detail");
        }
        assertThat(failures.stream().map(f -> (Object) ((Map<?, ?>) f).get("kind")).toList()).contains("untrusted-ak");
    }

    @Test
    void badNonceDoesNotVerify() throws Exception {
        Path keys = keygen();
        String store = dir.resolve("archive").toString();
        ArchiveCli.Result r = run(packArgs(200, NONCE_362, keys, store));
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        // nothing was stored
        assertThat(run("verify", store, "--trust", ArchiveCli.trustDir(dir.resolve("t"), keys, true).toString(),
                "--host", HOST, "--state", state()).code()).isEqualTo(1);
    }

    @Test
    void quoteOfAnotherListHasNoQuotePoint() throws Exception {
        Path keys = keygen();
        String store = dir.resolve("archive").toString();
        // the list cut before record 200 cannot reach the quoted PCR value
        Path cut = dir.resolve("cut.log");
        byte[] all = Files.readAllBytes(ArchiveCli.log());
        Files.write(cut, java.util.Arrays.copyOf(all, all.length / 3));
        List<String> a = packArgs(200, NONCE_200, keys, store);
        a.set(a.indexOf("--log") + 1, cut.toString());
        ArchiveCli.Result r = run(a);
        assertThat(r.code()).as(r.toString()).isIn(1, 2);  // 2 if the cut tears a record
    }

    @Test
    void missingFileIsUsageErrorNamingIt() throws Exception {
        Path keys = keygen();
        String store = dir.resolve("archive").toString();
        List<String> a = packArgs(200, NONCE_200, keys, store);
        Path missing = dir.resolve("no-such-quote.msg");
        a.set(a.indexOf("--quote") + 1, missing.toString());
        ArchiveCli.Result r = run(a);
        assertThat(r.code()).as(r.toString()).isEqualTo(2);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).contains(missing.toString()).doesNotContain("Exception");

        assertThat(run("verify", store, "--trust", dir.resolve("no-trust").toString(), "--state", state()).code()).isEqualTo(2);
        // a reader does not create a missing local archive
        Path trust = ArchiveCli.trustDir(dir.resolve("t"), keys, true);
        assertThat(run("verify", dir.resolve("typo").toString(), "--trust", trust.toString(), "--state", state()).code()).isEqualTo(2);
        assertThat(dir.resolve("typo")).doesNotExist();
        // an empty archive verified nothing
        Files.createDirectories(dir.resolve("empty"));
        assertThat(run("verify", dir.resolve("empty").toString(), "--trust", trust.toString(), "--state", state()).code()).isEqualTo(1);
        assertThat(run("inspect", dir.resolve("nope.parquet").toString()).code()).isEqualTo(2);
        List<String> evil = packArgs(200, NONCE_200, keys, store);
        evil.set(evil.indexOf("--host") + 1, "../evil");
        ArchiveCli.Result badHost = run(evil);
        assertThat(badHost.code()).isEqualTo(2);
    }

    @Test
    void unreachableS3EndpointIsExit3() throws Exception {
        Path keys = keygen();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();  // closed again: connections are refused
        }
        String was = System.getProperty("aws.accessKeyId");
        String wasSecret = System.getProperty("aws.secretAccessKey");
        System.setProperty("aws.accessKeyId", "test");
        System.setProperty("aws.secretAccessKey", "test-secret");
        try {
            ArchiveCli.Result r = run(packArgs(200, NONCE_200, keys, "s3://archive/fleet", "--s3-endpoint",
                    "http://127.0.0.1:" + port));
            assertThat(r.code()).as(r.toString()).isEqualTo(3);
            assertThat(r.err().strip().lines()).hasSize(1);
            ArchiveCli.Result v = run("verify", "s3://archive/fleet", "--s3-endpoint", "http://127.0.0.1:" + port,
                    "--trust", ArchiveCli.trustDir(dir.resolve("t"), keys, true).toString(), "--state", state());
            assertThat(v.code()).as(v.toString()).isEqualTo(3);
        } finally {
            restore("aws.accessKeyId", was);
            restore("aws.secretAccessKey", wasSecret);
        }
    }

    @Test
    void everyArchiveCommandHasHelp() {
        for (String c : Set.of("keygen", "pack", "verify", "export", "bench-verify")) {
            ArchiveCli.Result r = run(c, "--help");
            assertThat(r.code()).as(c).isZero();
            assertThat(r.out()).as(c).contains("Usage:");
        }
    }

    static void restore(String key, String value) {
        if (value == null) System.clearProperty(key);
        else System.setProperty(key, value);
    }
}

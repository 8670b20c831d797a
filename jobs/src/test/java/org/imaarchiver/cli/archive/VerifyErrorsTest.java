package org.imaarchiver.cli.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.imaarchiver.archive.store.S3ProxyServer;
import org.imaarchiver.cli.ExitCode;
import org.imaarchiver.jobs.reverify.TestArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code verify} says when it cannot do its work, through the command line: one line, the
 * exit code of the README's list, naming what is wrong once (issue 13 items 1, 5, 8).
 */
class VerifyErrorsTest {
    @TempDir Path dir;

    private List<String> verify(String uri, Path trust, String... extra) {
        List<String> args = new ArrayList<>(List.of("verify", uri, "--trust", trust.toString(), "--state", dir.resolve("state").toString(),
                "--progress", "none"));
        args.addAll(List.of(extra));
        return args;
    }

    /** An enrolled host whose history was deleted fails the run, also without --host (exit 1, one finding line). */
    @Test
    void anEnrolledHostWithoutSegmentsFailsTheRun() throws Exception {
        TestArchive a = new TestArchive(dir.resolve("store"));
        a.host("alpha", 31, 10).segment(10);
        a.host("beta", 32, 10).segment(10);
        Path trust = a.trustDir(dir.resolve("trust"), List.of("alpha", "beta"));
        VerifyCommandTest.Result before = VerifyCommandTest.run(verify(a.root.toString(), trust));
        assertThat(before.code()).as(before.toString()).isEqualTo(ExitCode.OK);
        try (var s = Files.walk(a.root.resolve("hosts/beta"))) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
        VerifyCommandTest.Result r = VerifyCommandTest.run(verify(a.root.toString(), trust));
        assertThat(r.code()).as(r.toString()).isEqualTo(ExitCode.NOT_VERIFIED);
        assertThat(r.out()).contains("beta: FAILED, 0 segments, 0 records\n  missing-chain: the host is enrolled in the trust directory")
                .contains("alpha: ok");
    }

    @Test
    void cadenceOptionValuesAreUsageErrors() throws Exception {
        TestArchive a = new TestArchive(dir.resolve("store"));
        a.host("alpha", 31, 10).segment(10);
        Path trust = a.trustDir(dir.resolve("trust"), List.of("alpha"));
        for (String bad : List.of("0", "soon", "P-2D")) {
            VerifyCommandTest.Result r = VerifyCommandTest.run(verify(a.root.toString(), trust, "--expect-within", bad));
            assertThat(r.code()).as(r.toString()).isEqualTo(ExitCode.USAGE);
            assertThat(r.err().strip().lines()).as(r.toString()).singleElement().asString().startsWith("ima-archiver verify: --expect-within: ");
        }
        VerifyCommandTest.Result ok = VerifyCommandTest.run(verify(a.root.toString(), trust, "--expect-within", "off"));
        assertThat(ok.code()).as(ok.toString()).isEqualTo(ExitCode.OK);
    }

    /** A trust file that cannot be read: exit 2 naming it (§11), not "skipped" and then every segment untrusted-ak. */
    @Test
    void anUnreadableTrustFileIsAUsageErrorNamingIt() throws Exception {
        TestArchive a = new TestArchive(dir.resolve("store"));
        a.host("alpha", 31, 10).segment(10);
        Path trust = a.trustDir(dir.resolve("trust"), List.of("alpha"));
        Path ak = trust.resolve("hosts/alpha/ak.pem");
        Files.delete(ak);
        Files.createSymbolicLink(ak, dir.resolve("moved-away.pem"));
        VerifyCommandTest.Result r = VerifyCommandTest.run(verify(a.root.toString(), trust));
        assertThat(r.code()).as(r.toString()).isEqualTo(ExitCode.USAGE);
        assertThat(r.err().strip()).isEqualTo("ima-archiver verify: --trust " + trust + ": " + ak + ": a dangling symbolic link, not a regular file");
        Files.delete(ak);
        Files.createDirectories(ak);
        r = VerifyCommandTest.run(verify(a.root.toString(), trust));
        assertThat(r.code()).as(r.toString()).isEqualTo(ExitCode.USAGE);
        assertThat(r.err().strip()).isEqualTo("ima-archiver verify: --trust " + trust + ": " + ak + ": a directory, not a regular file");
    }

    @Test
    void aStateFileIsNamedOnce() throws Exception {
        TestArchive a = new TestArchive(dir.resolve("store"));
        a.host("alpha", 31, 10).segment(10);
        Path trust = a.trustDir(dir.resolve("trust"), List.of("alpha"));
        Path file = Files.writeString(dir.resolve("state-file"), "");
        List<String> args = verify(a.root.toString(), trust);
        args.set(args.indexOf("--state") + 1, file.toString());
        VerifyCommandTest.Result r = VerifyCommandTest.run(args);
        assertThat(r.code()).as(r.toString()).isEqualTo(ExitCode.USAGE);
        assertThat(r.err().strip()).isEqualTo("ima-archiver verify: --state " + file + ": not a directory");
    }

    /**
     * An S3 store with nothing listening, or one refusing the credentials: exit 3 before the job
     * starts, one line naming the URI, the endpoint and the cause (as pack does: StoreAccess).
     */
    @Test
    void anUnreachableOrRefusingS3StoreNamesTheEndpointAndTheCause() throws Exception {
        Path trust = Files.createDirectories(dir.resolve("trust"));
        String wasKey = System.getProperty("aws.accessKeyId");
        String wasSecret = System.getProperty("aws.secretAccessKey");
        try (S3ProxyServer s3 = S3ProxyServer.start()) {
            s3.createBucket("archive");
            System.setProperty("aws.accessKeyId", "not-" + S3ProxyServer.ACCESS_KEY);
            System.setProperty("aws.secretAccessKey", S3ProxyServer.SECRET_KEY);
            String endpoint = s3.endpoint().toString();
            VerifyCommandTest.Result refused = VerifyCommandTest.run(verify("s3://archive/fleet", trust, "--s3-endpoint", endpoint));
            assertThat(refused.code()).as(refused.toString()).isEqualTo(ExitCode.ENVIRONMENT);
            assertThat(refused.err().strip().lines()).as(refused.toString()).singleElement().asString()
                    .startsWith("ima-archiver verify: URI s3://archive/fleet (S3 endpoint " + endpoint + "): store unreachable: ")
                    .contains("access denied (HTTP 403");

            int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
            String nobody = "http://127.0.0.1:" + port;
            VerifyCommandTest.Result unreachable = VerifyCommandTest.run(verify("s3://archive/fleet", trust, "--s3-endpoint", nobody));
            assertThat(unreachable.code()).as(unreachable.toString()).isEqualTo(ExitCode.ENVIRONMENT);
            assertThat(unreachable.err().strip().lines()).as(unreachable.toString()).singleElement().asString()
                    .startsWith("ima-archiver verify: URI s3://archive/fleet (S3 endpoint " + nobody + "): store unreachable: ")
                    .contains("Connection refused");
        } finally {
            restore("aws.accessKeyId", wasKey);
            restore("aws.secretAccessKey", wasSecret);
        }
        assertThat(dir.resolve("state")).doesNotExist(); // refused before the job started
    }

    private static void restore(String property, String value) {
        if (value == null) System.clearProperty(property);
        else System.setProperty(property, value);
    }
}

package org.imaarchiver.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.imaarchiver.replay.testsupport.CapturedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every small input is read whole only up to its kind's limit (docs/operations.md "Input limits"):
 * {@code /dev/zero} (endless, size 0) and a 3 GB sparse file in place of a quote, key, PCR file,
 * replay state or trust-directory key give exit 2 in one line naming the file, not an
 * OutOfMemoryError (issue 13 item 3).
 */
class InputBoundsTest {
    private static final Path ZERO = Path.of("/dev/zero");

    @TempDir Path dir;

    private static String file(String name) {
        return CapturedData.file(CapturedData.DEBIAN_6_1, name).toString();
    }

    /** A sparse file of 3 GB: no disk used, but more than any heap a test runs with. */
    private Path huge(Path p) throws Exception {
        Files.createDirectories(p.getParent());
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(3L << 30);
        }
        return p;
    }

    private static void assertRefused(Cli.Result r, Object file) {
        assertThat(r.code()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).as(r.toString()).contains(file.toString(), "more than", "bytes, the limit for");
        assertThat(r.err().strip().lines()).as("one line, no stack trace: " + r).hasSize(1);
    }

    @Test
    void replayBaseFromAnEndlessDevice() {
        assertRefused(Cli.run("replay", "--base", ZERO.toString(), file("binary_runtime_measurements")), ZERO);
    }

    @Test
    void checkQuoteInputsFromAnEndlessDevice() {
        String log = file("binary_runtime_measurements");
        String quote = file("quote-rsa.msg");
        String sig = file("quote-rsa.sig");
        String ak = file("ak-rsa.pub.pem");
        for (List<String> args : List.of(
                List.of("check-quote", "--log", log, "--quote", ZERO.toString(), "--signature", sig, "--ak", ak),
                List.of("check-quote", "--log", log, "--quote", quote, "--signature", ZERO.toString(), "--ak", ak),
                List.of("check-quote", "--log", log, "--quote", quote, "--signature", sig, "--ak", ZERO.toString()),
                List.of("check-quote", "--pcrs", ZERO.toString(), "--quote", quote, "--signature", sig, "--ak", ak))) {
            assertRefused(Cli.run(args), ZERO);
        }
    }

    @Test
    void aHugeSparseKeyInTheTrustDirectory() throws Exception {
        Path archive = Files.createDirectories(dir.resolve("archive"));
        Path ak = huge(dir.resolve("trust/hosts/h1/ak.pem"));
        assertRefused(Cli.run("verify", archive.toString(), "--trust", dir.resolve("trust").toString(), "--state", dir.resolve("state").toString()), ak);
    }

    @Test
    void aHugeSparseSignerCertificateInTheTrustDirectory() throws Exception {
        Path archive = Files.createDirectories(dir.resolve("archive"));
        Path cert = huge(dir.resolve("trust/signers/archiver.pem"));
        assertRefused(Cli.run("verify", archive.toString(), "--trust", dir.resolve("trust").toString(), "--state", dir.resolve("state").toString()), cert);
    }

    @Test
    void packWithAHugeSparseSigningKey() throws Exception {
        Path keys = dir.resolve("keys");
        assertThat(Cli.run("keygen", "--out", keys.toString()).code()).isZero();
        Path key = huge(dir.resolve("big/key.pem"));
        Cli.Result r = Cli.run("pack", "--log", file("binary_runtime_measurements"), "--quote", file("quote-rsa.msg"),
                "--signature", file("quote-rsa.sig"), "--ak", file("ak-rsa.pub.pem"), "--host", "h1",
                "--key", key.toString(), "--cert", keys.resolve("signing-cert.pem").toString(),
                "--store", dir.resolve("store").toString());
        assertRefused(r, key);
    }
}

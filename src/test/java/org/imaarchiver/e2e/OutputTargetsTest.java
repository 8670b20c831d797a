package org.imaarchiver.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files the archiver names inside a directory are replaced only when they are regular files; a link,
 * FIFO or device in their place is refused, exit 2 in one line naming it, and left as it was (issue
 * 13 item 2; docs/operations.md "Output files"). A file the user names on its own is written through
 * instead ({@code --json /dev/null}), which {@code ReportFileTest} covers.
 */
class OutputTargetsTest {
    private static final Path NULL = Path.of("/dev/null");

    @TempDir Path dir;
    private CapturedArchive a;

    @BeforeEach
    void archive() throws Exception {
        a = CapturedArchive.create(dir);
    }

    private Cli.Result verify(Path out, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("--out", out.toString()));
        args.addAll(List.of(more));
        return a.verify(args.toArray(String[]::new));
    }

    private static Path fifo(Path p) throws Exception {
        Files.createDirectories(p.getParent());
        Process mk = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
        assertThat(mk.waitFor()).isZero();
        return p;
    }

    private static void assertRefused(Cli.Result r, Path target) {
        assertThat(r.code()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).as(r.toString()).contains(target.toString(), "not a regular file");
        assertThat(r.err().strip().lines()).as("one line: " + r).hasSize(1);
    }

    @Test
    void theArchiveVerifiesIntoAPlainOutputDirectory() {
        Cli.Result r = verify(dir.resolve("out"));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(dir.resolve("out/report.json")).isRegularFile();
    }

    @Test
    void verifyOutRefusesALinkToADeviceInPlaceOfTheReport() throws Exception {
        Path out = Files.createDirectories(dir.resolve("out"));
        Path link = Files.createSymbolicLink(out.resolve("report.json"), NULL);
        assertRefused(verify(out), link);
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.readSymbolicLink(link)).isEqualTo(NULL);
    }

    @Test
    void verifyOutRefusesAFifoInPlaceOfTheHtmlReport() throws Exception {
        Path out = dir.resolve("out");
        Path html = fifo(out.resolve("report.html"));
        assertRefused(verify(out), html);
        assertThat(Files.isRegularFile(html, LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(Files.exists(html, LinkOption.NOFOLLOW_LINKS)).isTrue();
    }

    @Test
    void verifyReceiptIsNotWrittenOverAFifo() throws Exception {
        Path out = dir.resolve("out");
        Path receipt = fifo(out.resolve("receipts/h1.receipt.json"));
        Cli.Result r = verify(out, "--receipt-key", a.keys().toString());
        assertThat(r.code()).as(r.toString()).isNotZero();
        assertThat(r.err() + r.out()).as(r.toString()).contains(receipt.toString(), "not a regular file");
        assertThat(Files.exists(receipt, LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(Files.isRegularFile(receipt, LinkOption.NOFOLLOW_LINKS)).as("still the FIFO").isFalse();
    }

    @Test
    void keygenForceDoesNotReplaceALinkToADevice() throws Exception {
        Path out = Files.createDirectories(dir.resolve("k2"));
        Path link = Files.createSymbolicLink(out.resolve("signing-key.pem"), NULL);
        assertRefused(Cli.run("keygen", "--out", out.toString(), "--force"), link);
        assertThat(Files.readSymbolicLink(link)).isEqualTo(NULL);
        assertThat(out.resolve("signing-cert.pem")).doesNotExist();
    }
}

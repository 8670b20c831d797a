package org.imaarchiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Report targets: a regular file is replaced whole, anything else that exists is written into and
 * stays what it was (a FIFO stands in for {@code /dev/null}: the same kind of target, safe to test).
 */
class ReportFileTest {
    @TempDir Path dir;

    @Test
    void aRegularFileIsReplacedWholeAndNoScratchFileStays() throws Exception {
        Path target = dir.resolve("report.json");
        Files.writeString(target, "an older, longer report that must not leave a tail");
        Path source = Files.writeString(dir.resolve("source"), "{\"hosts\":[]}\n");

        new ReportFile(target).copyFrom(source);

        assertThat(Files.readString(target)).isEqualTo("{\"hosts\":[]}\n");
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("report.json", "source");
        }
    }

    @Test
    void aNewPathIsCreated() throws Exception {
        Path target = dir.resolve("new.json");
        new ReportFile(target).write("{}\n");
        assertThat(Files.readString(target)).isEqualTo("{}\n");
    }

    @Test
    void aFifoIsWrittenThroughAndStaysAFifo() throws Exception {
        Path fifo = mkfifo(dir.resolve("pipe"));
        Path source = Files.writeString(dir.resolve("source"), "{\"hosts\":[\"a\"]}\n");
        CompletableFuture<String> reader = readAsync(fifo);

        new ReportFile(fifo).copyFrom(source);

        assertThat(reader.get(30, TimeUnit.SECONDS)).isEqualTo("{\"hosts\":[\"a\"]}\n");
        assertThat(Files.readAttributes(fifo, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther()).isTrue();
    }

    @Test
    void aLinkToAFifoIsWrittenThroughAndStaysALink() throws Exception {
        Path fifo = mkfifo(dir.resolve("pipe"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), fifo);
        CompletableFuture<String> reader = readAsync(fifo);

        new ReportFile(link).write("plan\n");

        assertThat(reader.get(30, TimeUnit.SECONDS)).isEqualTo("plan\n");
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.readAttributes(fifo, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther()).isTrue();
    }

    @Test
    void aDirectoryIsAUsageError() {
        assertThatThrownBy(() -> ReportFile.of("--json", dir.toString()))
                .isInstanceOfSatisfying(CliError.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(ExitCode.USAGE);
                    assertThat(e.getMessage()).isEqualTo("--json " + dir + ": is a directory");
                });
    }

    private static Path mkfifo(Path p) throws IOException, InterruptedException {
        Process mk = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
        assertThat(mk.waitFor()).isZero();
        return p;
    }

    private static CompletableFuture<String> readAsync(Path fifo) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return new String(Files.readAllBytes(fifo), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }
}

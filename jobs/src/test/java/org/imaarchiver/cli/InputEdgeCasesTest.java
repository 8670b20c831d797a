package org.imaarchiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The debatable inputs of issue 13 item 9, as decided in docs/replay.md and the README: a CRLF copy of
 * an ASCII list is malformed (exit 2, naming the line), an empty list has "no records", a missing
 * input file is a usage error (exit 2).
 */
class InputEdgeCasesTest {
    static final Path CAPTURED = Path.of(System.getProperty("imaarchiver.projectRoot"), "testdata", "qemu-debian-6.1");

    @TempDir Path dir;

    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aCrlfCopyOfTheCapturedAsciiListIsMalformedAtItsFirstLine() throws Exception {
        String lf = Files.readString(CAPTURED.resolve("ascii_runtime_measurements"), StandardCharsets.ISO_8859_1);
        assertThat(run("replay", CAPTURED.resolve("ascii_runtime_measurements").toString()).code()).isEqualTo(ExitCode.OK);
        Path crlf = dir.resolve("ascii-crlf");
        Files.writeString(crlf, lf.replace("\n", "\r\n"), StandardCharsets.ISO_8859_1);
        Result r = run("replay", crlf.toString());
        assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.USAGE);
        assertThat(r.err().strip().lines()).singleElement().asString().contains(crlf.toString()).contains("line 1: line ends in CR LF");
    }

    @Test
    void anEmptyListHasNoRecords() throws Exception {
        Path empty = Files.createFile(dir.resolve("empty"));
        Result r = run("replay", empty.toString());
        assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.OK);
        assertThat(r.out().lines().findFirst().orElseThrow()).isEqualTo("entries 0 (no records), violations 0");
    }

    /** README: exit 2 covers a named input that does not exist; 3 is the environment (TPM, tool, store, output). */
    @Test
    void aMissingInputFileIsAUsageError() {
        Result r = run("replay", dir.resolve("no-such-list").toString());
        assertThat(r.code()).isEqualTo(ExitCode.USAGE);
        assertThat(r.err().strip()).isEqualTo("ima-archiver replay: LOG: no such file: " + dir.resolve("no-such-list"));
    }
}

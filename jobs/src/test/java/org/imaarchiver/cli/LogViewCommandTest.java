package org.imaarchiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code log-view}'s usage errors: one line, exit 2, before anything is started or mounted. */
class LogViewCommandTest {
    @TempDir
    Path dir;

    @Test
    void aMountPointThatIsNoDirectoryIsOneLineAndExit2() {
        Path missing = dir.resolve("no-such-dir");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"log-view", "--mount", missing.toString()}, new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(ExitCode.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("ima-archiver log-view: --mount " + missing + ": not a directory"
                + System.lineSeparator());
    }

    @Test
    void aNegativeGroupIsExit2() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"log-view", "--mount", dir.toString(), "--group", "-4"}, new PrintStream(new ByteArrayOutputStream(),
                true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(ExitCode.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("ima-archiver log-view: --group -4: not a group id");
    }
}

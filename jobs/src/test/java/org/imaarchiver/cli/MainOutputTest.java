package org.imaarchiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Output that cannot be written (a full disk, a closed pipe) is an environment error, not a silent exit 0. */
class MainOutputTest {
    /** Standard output on a full device: every write fails, as on {@code > /dev/full}. */
    static final class FullDevice extends OutputStream {
        @Override public void write(int b) throws IOException { throw new IOException("No space left on device"); }
        @Override public void write(byte[] b, int off, int len) throws IOException { throw new IOException("No space left on device"); }
    }

    @Test
    void aReportThatCannotBeWrittenIsExit3() {
        Path list = Path.of(System.getProperty("imaarchiver.projectRoot"), "testdata", "qemu-debian-6.1", "binary_runtime_measurements");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"replay", list.toString(), "--json"}, new PrintStream(new FullDevice(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(ExitCode.ENVIRONMENT);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("cannot write to standard output");
    }

    @Test
    void helpIntoAFullDeviceIsExit3AndIntoAWorkingStreamExit0() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertThat(Main.run(new String[] {"--help"}, new PrintStream(new FullDevice(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8))).isEqualTo(ExitCode.ENVIRONMENT);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(Main.run(new String[] {"--help"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))).isEqualTo(ExitCode.OK);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("Usage: ima-archiver");
    }
}

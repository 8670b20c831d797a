package org.imaarchiver.jobs.host.imafs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start, --help, and a clean unmount on SIGTERM and on `quit`. */
class ImafsLifecycleTest {
    @TempDir
    Path dir;

    @Test
    void sigtermUnmountsEvenWithAnOpenReader() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir)) {
            FileChannel reader = FileChannel.open(emu.file("binary_runtime_measurements_sha1"), StandardOpenOption.READ);
            try {
                assertThat(emu.terminate()).isZero();
                assertThat(emu.mounted()).isFalse();
                assertThat(emu.controlSocket()).doesNotExist();
            } finally {
                try {
                    reader.close();
                } catch (java.io.IOException connectionGone) {
                    // ENOTCONN: the daemon behind this fd has exited, as intended
                }
            }
        }
    }

    @Test
    void quitUnmounts() throws Exception {
        ImafsEmulator emu = ImafsEmulator.start(dir);
        emu.close();
        assertThat(emu.mounted()).isFalse();
        assertThat(emu.controlSocket()).doesNotExist();
    }

    @Test
    void helpDescribesTheOptions() throws Exception {
        Process p = new ProcessBuilder(ImafsEmulator.binary().toString(), "--help").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        assertThat(out).contains("--banks", "--staging", "--no-staging", "--flush-htable", "--control", "--tpm");
    }

    @Test
    void anUnknownBankIsRefusedAtStart() throws Exception {
        Process p = new ProcessBuilder(ImafsEmulator.binary().toString(), "--banks", "md5", Files.createDirectories(dir.resolve("m")).toString())
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(2);
    }
}

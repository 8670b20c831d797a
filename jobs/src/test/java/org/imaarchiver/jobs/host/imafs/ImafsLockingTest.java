package org.imaarchiver.jobs.host.imafs;

import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The 7.2 open/close locking (kernel-interface.md A.8): one users counter across all measurement files,
 * readers XOR one writer, the writer's own thread may open more files read/write.
 */
class ImafsLockingTest {
    @TempDir
    Path dir;

    private ImafsEmulator emu;
    private ExecutorService otherThread;

    @BeforeEach
    void start() throws Exception {
        emu = ImafsEmulator.start(dir, "--max-readers", "3");
        emu.measure(10, "ima-ng", ImafsEmulator.imaNg("sha256", new byte[32], "boot_aggregate"));
        otherThread = Executors.newSingleThreadExecutor();
    }

    @AfterEach
    void stop() throws Exception {
        otherThread.shutdownNow();
        otherThread.awaitTermination(5, TimeUnit.SECONDS);
        if (emu != null) emu.close();
    }

    private Path f(String name) { return emu.file(name); }

    private FileChannel rw(String name) throws Exception { return FileChannel.open(f(name), READ, WRITE); }

    private FileChannel ro(String name) throws Exception { return FileChannel.open(f(name), READ); }

    /** The errno of the call run on another thread (another kernel task). */
    private String onOtherThread(Callable<?> call) throws Exception {
        return otherThread.submit(() -> Errno.of(call)).get(10, TimeUnit.SECONDS);
    }

    @Test
    void readersShareAndExcludeWriters() throws Exception {
        try (FileChannel r1 = ro("binary_runtime_measurements_sha1");
             FileChannel r2 = ro("ascii_runtime_measurements_sha256_staged")) {
            assertThat(Errno.of(() -> rw("binary_runtime_measurements_sha256"))).isEqualTo("EBUSY");
            assertThat(Errno.of(() -> rw("binary_runtime_measurements_sha1_staged"))).isEqualTo("EBUSY");
            assertThat(Errno.of(() -> FileChannel.open(f("binary_runtime_measurements_sha1"), WRITE))).isEqualTo("EBUSY");
            assertThat(emu.ok("count").field("users")).contains("2");
        }
        assertThat(Errno.of(() -> rw("binary_runtime_measurements_sha256"))).isEqualTo("none");
    }

    @Test
    void writerExcludesReadersIncludingItsOwnThread() throws Exception {
        try (FileChannel w = rw("binary_runtime_measurements_sha256")) {
            assertThat(Errno.of(() -> ro("binary_runtime_measurements_sha1"))).isEqualTo("EBUSY");
            assertThat(Errno.of(() -> ro("binary_runtime_measurements_sha256"))).isEqualTo("EBUSY");
            assertThat(onOtherThread(() -> ro("ascii_runtime_measurements_sha1"))).isEqualTo("EBUSY");
            assertThat(onOtherThread(() -> rw("binary_runtime_measurements_sha256"))).isEqualTo("EBUSY");
            // the writer reads through its own read/write fd
            assertThat(ServedList.readToEof(w)).isNotEmpty();
            // the counters are not measurement files: not locked
            assertThat(Files.readString(f("runtime_measurements_count"))).isEqualTo("1\n");
        }
        assertThat(onOtherThread(() -> ro("binary_runtime_measurements_sha1"))).isEqualTo("none");
    }

    @Test
    void sameThreadMayOpenMoreFilesReadWriteCountedUntilTheLastClose() throws Exception {
        FileChannel first = rw("binary_runtime_measurements_sha256");
        FileChannel second = rw("binary_runtime_measurements_sha256_staged");
        FileChannel third = rw("ascii_runtime_measurements_sha1");
        assertThat(emu.ok("count").field("users")).contains("-1");
        first.close();
        second.close();
        // one counted open is still held
        assertThat(onOtherThread(() -> rw("binary_runtime_measurements_sha1"))).isEqualTo("EBUSY");
        assertThat(onOtherThread(() -> ro("binary_runtime_measurements_sha1"))).isEqualTo("EBUSY");
        third.close();
        assertThat(onOtherThread(() -> rw("binary_runtime_measurements_sha1"))).isEqualTo("none");
        assertThat(emu.ok("count").field("users")).contains("0");
    }

    @Test
    void closeReleasesAtOnceForTheNextOpener() throws Exception {
        for (int i = 0; i < 30; i++) {
            rw("binary_runtime_measurements_sha1").close();
            assertThat(onOtherThread(() -> rw("binary_runtime_measurements_sha256"))).isEqualTo("none");
            ro("binary_runtime_measurements_sha1").close();
        }
    }

    @Test
    void readerOverflowIsEnfile() throws Exception {
        try (FileChannel a = ro("binary_runtime_measurements_sha1");
             FileChannel b = ro("binary_runtime_measurements_sha1");
             FileChannel c = ro("binary_runtime_measurements_sha1")) {
            assertThat(Errno.of(() -> ro("ascii_runtime_measurements_sha1"))).isEqualTo("ENFILE");
        }
    }

    @Test
    void writeOpenNeedsCapSysAdmin() throws Exception {
        emu.ok("caps none");
        assertThat(Errno.of(() -> rw("binary_runtime_measurements_sha256"))).isEqualTo("EPERM");
        assertThat(Errno.of(() -> FileChannel.open(f("binary_runtime_measurements_sha1_staged"), WRITE))).isEqualTo("EPERM");
        assertThat(Errno.of(() -> ro("binary_runtime_measurements_sha256"))).isEqualTo("none");
        emu.ok("caps real");
        assertThat(Errno.of(() -> rw("binary_runtime_measurements_sha256"))).isEqualTo("none");
    }
}

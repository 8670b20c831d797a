package org.imaarchiver.jobs.host.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** D.1 item 1: one archiver per host. */
class HostLockTest {
    @TempDir
    Path dir;

    private static final long SELF = ProcessHandle.current().pid();

    @Test
    void secondAttemptInTheSameProcessIsRefusedWithoutDroppingTheLock() throws Exception {
        Path file = dir.resolve("run/ima-archiver/lock");
        HostLock.Attempt first = HostLock.tryAcquire(file);
        assertThat(first).isInstanceOf(HostLock.Acquired.class);
        try (HostLock lock = ((HostLock.Acquired) first).lock()) {
            assertThat(HostLock.tryAcquire(file)).isEqualTo(new HostLock.HeldByAnother(file, Optional.of(SELF)));
            // the refused attempt did not release the POSIX lock: another process still sees it held
            assertThat(probe(file)).isEqualTo("HELD " + SELF);
        }
        HostLock.Attempt again = HostLock.tryAcquire(file);
        assertThat(again).isInstanceOf(HostLock.Acquired.class);
        ((HostLock.Acquired) again).lock().close();
    }

    @Test
    void anotherProcessHoldingItIsReportedWithItsPid() throws Exception {
        Path file = dir.resolve("lock");
        Process holder = javaProbe(file);
        try (BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))) {
            String line = out.readLine();
            assertThat(line).isEqualTo("ACQUIRED " + holder.pid());
            assertThat(HostLock.tryAcquire(file)).isEqualTo(new HostLock.HeldByAnother(file, Optional.of(holder.pid())));
            holder.getOutputStream().close(); // the probe releases and exits
            assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            holder.destroyForcibly();
        }
        HostLock.Attempt mine = HostLock.tryAcquire(file);
        assertThat(mine).isInstanceOf(HostLock.Acquired.class);
        ((HostLock.Acquired) mine).lock().close();
    }

    /** Runs the probe in a fresh JVM and returns its one line (it exits at once when refused). */
    private static String probe(Path file) throws Exception {
        Process p = javaProbe(file);
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line = out.readLine();
            p.getOutputStream().close();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            return line;
        } finally {
            p.destroyForcibly();
        }
    }

    private static Process javaProbe(Path file) throws Exception {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        return new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                HostLockProbe.class.getName(), file.toString()))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }
}

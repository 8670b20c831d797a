package org.imaarchiver.jobs.logview;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.imaarchiver.replay.testsupport.Tools;
import org.junit.jupiter.api.Assumptions;

/** A log view daemon in a child JVM (so that a test can SIGKILL it), mounted at {@code mount}. */
public final class ViewProcess implements AutoCloseable {
    private final Process process;
    private final Path mount;
    private final Path log;

    private ViewProcess(Process process, Path mount, Path log) {
        this.process = process;
        this.mount = mount;
        this.log = log;
    }

    /**
     * Starts the daemon and waits until its mount is live. Without libfuse 2 (which jnr-fuse loads)
     * the test is skipped, and fails under CI.
     */
    public static ViewProcess start(Path kernelRoot, Path stateDir, Path mount) throws IOException, InterruptedException {
        requireLibfuse2();
        Files.createDirectories(mount);
        Path log = Files.createTempFile(mount.getParent(), "view-", ".log");
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
                "-XX:TieredStopAtLevel=1", ViewChild.class.getName(), kernelRoot.toString(), stateDir.toString(), mount.toAbsolutePath().toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        ViewProcess v = new ViewProcess(p, mount, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!LogViewDaemon.mounted(mount) || !Files.exists(mount.resolve(ListFiles.COUNT))) {
            if (!p.isAlive()) throw new IOException("log view exited " + p.exitValue() + ": " + Files.readString(log));
            if (System.nanoTime() > deadline) {
                v.kill();
                throw new IOException("log view did not mount in 60 s: " + Files.readString(log));
            }
            Thread.sleep(50);
        }
        return v;
    }

    private static void requireLibfuse2() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("/sbin/ldconfig", "-p").redirectErrorStream(true).start();
        String libs = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        p.waitFor();
        if (libs.contains("libfuse.so.2")) return;
        String why = "libfuse.so.2 not found: install the Debian package libfuse2 (scripts/install-deps does)";
        if (Tools.inCi()) throw new AssertionError(why);
        Assumptions.assumeTrue(false, why);
    }

    public Path mount() { return mount; }

    public Path file(String name) { return mount.resolve(name); }

    public String log() throws IOException { return Files.readString(log); }

    /** SIGKILL: the mount stays behind, disconnected. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM: the daemon unmounts itself. */
    @Override
    public void close() throws IOException {
        try {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
            }
            if (LogViewDaemon.mounted(mount)) new ProcessBuilder("fusermount3", "-u", "-z", mount.toString()).inheritIO().start().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

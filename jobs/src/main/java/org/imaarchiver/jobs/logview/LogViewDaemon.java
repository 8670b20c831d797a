package org.imaarchiver.jobs.logview;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Serves the log view at a mount point until unmounted or terminated (SIGTERM unmounts). A mount
 * left behind by a killed daemon ("Transport endpoint is not connected") is detached first, so a
 * restart serves the same bytes at the same place.
 */
public final class LogViewDaemon {
    static final String FSNAME = "ima-log-view";
    /** A trim holds the list for a short compare and write (D.2 step 7): wait up to 5 s before EBUSY. */
    static final LogView.BusyWait BUSY_WAIT = new LogView.BusyWait(50, Duration.ofMillis(100));

    private LogViewDaemon() {}

    /** Mounts and blocks until the view is unmounted. */
    public static void serve(Path kernelRoot, Path stateDir, Path mount, int gid, boolean allowOther, PrintStream log)
            throws IOException, InterruptedException {
        detachStale(mount);
        LogView view = new LogView(kernelRoot, stateDir, BUSY_WAIT);
        LogViewFilesystem fs = new LogViewFilesystem(view, gid, log);
        Thread unmountAtExit = new Thread(() -> {
            fs.umount();
            fs.shutdown();
        }, "log-view-unmount");
        Runtime.getRuntime().addShutdownHook(unmountAtExit);
        log.println("log-view: serving " + kernelRoot + " with the kept records of " + new KeptRecords(stateDir).root() + " at " + mount);
        try {
            fs.mount(mount, true, false, LogViewFilesystem.mountOptions(allowOther));
        } finally {
            fs.shutdown();
        }
    }

    /**
     * Mounts the view in the background (for the demo); closing the result unmounts it. Fails when
     * the mount is not live within 30 s.
     */
    public static AutoCloseable mountInBackground(Path kernelRoot, Path stateDir, Path mount, PrintStream log)
            throws IOException, InterruptedException {
        detachStale(mount);
        LogViewFilesystem fs = new LogViewFilesystem(new LogView(kernelRoot, stateDir, BUSY_WAIT), 0, log);
        fs.mount(mount, false, false, LogViewFilesystem.mountOptions(false));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!mounted(mount)) {
            if (System.nanoTime() > deadline) {
                fs.umount();
                fs.shutdown();
                throw new IOException("the log view did not mount at " + mount + " within 30 s");
            }
            Thread.sleep(20);
        }
        return () -> {
            fs.umount();
            fs.shutdown();
        };
    }

    /** Whether {@code mount} is a log view mount (per /proc/self/mountinfo). */
    public static boolean mounted(Path mount) throws IOException {
        String target = mount.toAbsolutePath().normalize().toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            if (f.length > 4 && f[4].equals(target) && line.contains(FSNAME)) return true;
        }
        return false;
    }

    private static void detachStale(Path mount) throws IOException, InterruptedException {
        if (!mounted(mount)) return;
        try {
            Files.readAttributes(mount, "basic:size");
            throw new IOException(mount + " is already served by a running log view");
        } catch (IOException stale) {
            if (stale.getMessage() != null && stale.getMessage().contains("already served")) throw stale;
        }
        for (String tool : List.of("fusermount3", "fusermount")) {
            try {
                Process p = new ProcessBuilder(tool, "-u", "-z", mount.toString()).redirectErrorStream(true).start();
                p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
                if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) return;
            } catch (IOException notThere) {
                // try the next tool
            }
        }
        throw new IOException("cannot detach the stale mount at " + mount + " (fusermount3 -u -z failed)");
    }
}

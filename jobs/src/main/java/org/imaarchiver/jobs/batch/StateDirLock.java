package org.imaarchiver.jobs.batch;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An OS file lock on {@code <stateDir>/<name>} that keeps two runs on one state directory apart.
 * While it is held, a job execution found STARTED in that directory's repository belongs to a dead
 * run and may be recovered ({@link ResumableLaunch}). Released by the OS when the process dies.
 */
public final class StateDirLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private StateDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * @param what names the run in the error, e.g. "compact"
     * @throws IOException when another process holds the lock, or the directory is unusable
     */
    public static StateDirLock acquire(Path stateDir, String name, String what) throws IOException {
        return acquire(stateDir, name, what, java.util.Optional.empty());
    }

    /**
     * Like {@link #acquire(Path, String, String)}, but when another process holds the lock this says
     * so on {@code waitNotice} and waits for it: a second command (cron next to an operator) should
     * queue rather than fail.
     */
    public static StateDirLock acquireWaiting(Path stateDir, String name, String what, java.io.PrintStream waitNotice)
            throws IOException {
        return acquire(stateDir, name, what, java.util.Optional.of(waitNotice));
    }

    private static StateDirLock acquire(Path stateDir, String name, String what, java.util.Optional<java.io.PrintStream> waitNotice)
            throws IOException {
        Files.createDirectories(stateDir);
        FileChannel ch = FileChannel.open(stateDir.resolve(name), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        if (l == null && waitNotice.isPresent()) {
            waitNotice.get().println(what + ": waiting for another " + what + " run using the state directory " + stateDir
                    + " (or use another --state)");
            waitNotice.get().flush();
            try {
                l = ch.lock();
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        }
        if (l == null) {
            ch.close();
            throw new IOException("another " + what + " run is using the state directory " + stateDir);
        }
        return new StateDirLock(ch, l);
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}

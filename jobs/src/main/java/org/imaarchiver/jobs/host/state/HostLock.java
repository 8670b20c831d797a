package org.imaarchiver.jobs.host.state;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One archiver per host (kernel-interface.md D.1 item 1, D.2 step 1): an exclusive, non-blocking lock on a
 * lock file, with the holder's pid written into it for the refusal message.
 *
 * <p>{@link FileChannel#tryLock()} takes a POSIX record lock ({@code fcntl}), which belongs to the
 * process and is dropped when the process closes ANY fd of that file. So a second attempt inside
 * the holding JVM is answered from an in-process registry without opening the file, and the lock
 * file is never deleted (an unlinked file would let a second process lock a different inode).
 * Paths are compared after normalisation: two different links to one lock file in one JVM defeat
 * the registry. The lock does not exclude {@code flock(1)}, which uses {@code flock(2)}.
 */
public final class HostLock implements AutoCloseable {
    /** tmpfs: gone at reboot, like the processes it guards. */
    public static final Path DEFAULT_PATH = Path.of("/run/ima-archiver/lock");
    /** A pid is at most 7 digits on Linux (pid_max <= 2^22); anything longer is not ours. */
    private static final int MAX_PID_TEXT = 32;

    private static final Set<Path> HELD_IN_THIS_PROCESS = new HashSet<>();

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private HostLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /** The result of {@link #tryAcquire}. */
    public sealed interface Attempt {}

    /** This process now holds the lock; close it to release. */
    public record Acquired(HostLock lock) implements Attempt {}

    /**
     * Another archiver holds it (possibly this very process).
     *
     * @param holderPid the pid the holder wrote, when readable
     */
    public record HeldByAnother(Path file, Optional<Long> holderPid) implements Attempt {}

    /** Tries once, without waiting. Creates the lock file and its directory if needed. */
    public static Attempt tryAcquire(Path file) throws IOException {
        Path key = file.toAbsolutePath().normalize();
        synchronized (HELD_IN_THIS_PROCESS) {
            if (HELD_IN_THIS_PROCESS.contains(key)) {
                return new HeldByAnother(key, Optional.of(ProcessHandle.current().pid()));
            }
            Path dir = key.getParent();
            if (dir != null) Files.createDirectories(dir);
            FileChannel ch = FileChannel.open(key, CREATE, READ, WRITE); // no O_TRUNC: the holder's pid stays
            try {
                FileLock lock = ch.tryLock();
                if (lock == null) {
                    Optional<Long> pid = readPid(ch);
                    ch.close(); // this process holds no lock on the file, so closing drops nothing
                    return new HeldByAnother(key, pid);
                }
                writePid(ch);
                HELD_IN_THIS_PROCESS.add(key);
                return new Acquired(new HostLock(key, ch, lock));
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        }
    }

    public Path file() { return file; }

    private static Optional<Long> readPid(FileChannel ch) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(MAX_PID_TEXT);
        while (buf.hasRemaining() && ch.read(buf, buf.position()) > 0) { /* fill */ }
        String text = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).strip();
        if (!text.matches("[0-9]{1,10}")) return Optional.empty();
        return Optional.of(Long.parseLong(text));
    }

    private static void writePid(FileChannel ch) throws IOException {
        ch.truncate(0);
        ByteBuffer buf = ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII));
        long pos = 0;
        while (buf.hasRemaining()) pos += ch.write(buf, pos);
        ch.force(false);
    }

    /** Releases the lock (the pid text stays; the next holder overwrites it). */
    @Override
    public void close() throws IOException {
        synchronized (HELD_IN_THIS_PROCESS) {
            if (!HELD_IN_THIS_PROCESS.remove(file)) return;
            try {
                if (lock.isValid()) lock.release();
            } finally {
                channel.close();
            }
        }
    }

    @Override
    public String toString() { return "HostLock[" + file + "]"; }

    static boolean heldInThisProcess(Path file) {
        synchronized (HELD_IN_THIS_PROCESS) {
            return HELD_IN_THIS_PROCESS.contains(Objects.requireNonNull(file).toAbsolutePath().normalize());
        }
    }
}

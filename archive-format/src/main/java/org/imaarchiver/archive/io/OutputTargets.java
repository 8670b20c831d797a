package org.imaarchiver.archive.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * What the archiver may do to what already exists where it writes a file (docs/operations.md "Output
 * files"). Two kinds of target, one rule each:
 *
 * <ul>
 *   <li>A file the user names on its own ({@code --json PATH}, {@code generate FILE}): if something
 *       that is not a regular file is there (a device such as {@code /dev/null} or {@code /dev/stdout},
 *       a FIFO, a terminal, or a link to one), it is written through, as the shell's {@code >} does,
 *       and never replaced: renaming over {@code /dev/null} as root would swap the system's null device
 *       for a regular file. See {@link #writesThrough}.
 *   <li>A file the archiver names inside a directory (reports in {@code verify --out}, receipts, keys
 *       of {@code keygen --out}, the results in the state directory): it is replaced only if it is a
 *       regular file or absent. Anything else there (device, FIFO, directory, symbolic link of any
 *       kind) is refused with {@link UnsafeOutputException}: those files belong together, something
 *       else in their place is a mistake, and a key or receipt must never go through a link to some
 *       other place. See {@link #requireReplaceable}.
 * </ul>
 */
public final class OutputTargets {
    private OutputTargets() {}

    /** A user-named file: something exists there that is not a regular file (links followed), so write into it. */
    public static boolean writesThrough(Path target) {
        return Files.exists(target) && !Files.isRegularFile(target);
    }

    /** An archiver-named file: absent or a regular file (not a link), else {@link UnsafeOutputException}. */
    public static void requireReplaceable(Path target) throws UnsafeOutputException {
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new UnsafeOutputException(target);
        }
    }

    /**
     * Removes a stale temporary file the archiver itself left at {@code tmp} (a crash mid-write) so the
     * caller can create it anew with {@code CREATE_NEW}, which never follows a link; anything that is not
     * a regular file there is {@link UnsafeOutputException}.
     */
    public static Path freshTemporary(Path tmp) throws IOException {
        requireReplaceable(tmp);
        Files.deleteIfExists(tmp);
        return tmp;
    }

    /**
     * Replaces the archiver-named file {@code target} ({@link #requireReplaceable}) with {@code content}:
     * written to a fresh temporary file beside it, synced, then moved into place, so a reader sees the
     * old content or the new, never a part.
     */
    public static void replaceAtomically(Path target, byte[] content) throws IOException {
        requireReplaceable(target);
        Path tmp = freshTemporary(target.resolveSibling(target.getFileName() + ".tmp"));
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(content);
            while (b.hasRemaining()) ch.write(b);
            ch.force(true);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}

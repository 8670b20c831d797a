package org.imaarchiver.jobs.host.state;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Crash-safe replacement of small state files: the old or the new content, never a mix. */
final class AtomicFiles {
    private AtomicFiles() {}

    /**
     * Writes a temporary file next to {@code target}, fsyncs it, renames it over {@code target}
     * atomically, and fsyncs the directory so the rename itself survives a crash.
     */
    static void write(Path target, byte[] content) throws IOException {
        Path dir = directoryOf(target);
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        Files.deleteIfExists(tmp);
        try (FileChannel ch = FileChannel.open(tmp, CREATE_NEW, WRITE)) {
            ByteBuffer buf = ByteBuffer.wrap(content);
            while (buf.hasRemaining()) ch.write(buf);
            ch.force(true);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        syncDirectory(dir);
    }

    /** Deletes {@code target} (if present) durably. */
    static void delete(Path target) throws IOException {
        if (Files.deleteIfExists(target)) syncDirectory(directoryOf(target));
    }

    private static Path directoryOf(Path target) {
        Path parent = target.toAbsolutePath().getParent();
        if (parent == null) throw new IllegalArgumentException("no directory: " + target);
        return parent;
    }

    /** fsync of a directory: Linux allows opening it read-only and forcing it. */
    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, READ)) {
            ch.force(true);
        }
    }
}

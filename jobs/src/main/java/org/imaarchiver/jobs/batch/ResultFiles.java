package org.imaarchiver.jobs.batch;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.imaarchiver.archive.io.OutputTargets;

/**
 * Files that appear complete or not at all: a crash mid-write leaves the old file (or none). Only a
 * regular file is ever replaced ({@link OutputTargets#requireReplaceable}).
 */
public final class ResultFiles {
    private ResultFiles() {}

    /**
     * Renames {@code tmp} over {@code target}, atomically where the filesystem can; {@link
     * org.imaarchiver.archive.io.UnsafeOutputException} if {@code target} is not a regular file.
     */
    public static void move(Path tmp, Path target) throws IOException {
        OutputTargets.requireReplaceable(target);
        try {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}

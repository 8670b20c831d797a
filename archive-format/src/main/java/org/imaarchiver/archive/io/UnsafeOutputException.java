package org.imaarchiver.archive.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Something that is not a regular file is where the archiver would replace one of its own files
 * ({@link OutputTargets#requireReplaceable}): refused, nothing written there (the CLI exits 2).
 */
public final class UnsafeOutputException extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient Path target;

    public UnsafeOutputException(Path target) {
        super(Objects.requireNonNull(target, "target") + ": exists and is not a regular file (a link, device, FIFO or"
                + " directory); not replaced: remove it or choose another directory");
        this.target = target;
    }

    public Path target() { return target; }
}

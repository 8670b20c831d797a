package org.imaarchiver.archive.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A file is longer than its kind allows ({@link InputLimit}): malformed input, not an environment
 * problem (the CLI exits 2). The message names the file and the limit.
 */
public final class InputTooLargeException extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient Path file;
    private final InputLimit limit;

    public InputTooLargeException(Path file, InputLimit limit) {
        super(Objects.requireNonNull(file, "file") + ": more than " + limit.bytes() + " bytes, the limit for "
                + Objects.requireNonNull(limit, "limit").what());
        this.file = file;
        this.limit = limit;
    }

    public Path file() { return file; }

    public InputLimit limit() { return limit; }
}

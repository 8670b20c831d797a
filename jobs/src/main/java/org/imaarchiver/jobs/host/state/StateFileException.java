package org.imaarchiver.jobs.host.state;

import java.io.IOException;
import java.nio.file.Path;

/** A state file exists but is not what this program writes: never guessed around. */
public final class StateFileException extends IOException {
    private final Path file;

    public StateFileException(Path file, String detail, Throwable cause) {
        super(file + ": " + detail, cause);
        this.file = file;
    }

    public Path file() { return file; }
}

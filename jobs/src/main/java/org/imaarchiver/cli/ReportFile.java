package org.imaarchiver.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import org.imaarchiver.archive.io.OutputTargets;
import org.imaarchiver.jobs.batch.ResultFiles;

/**
 * A file the user named for a report ({@code --json PATH}), written by {@link OutputTargets}' rule for
 * user-named files: a regular file, or a path where nothing is yet, is replaced atomically (the report
 * is written beside it and renamed over it, so a reader sees the old report or the new one, never half
 * of one); a device, FIFO, terminal or a link to one is written through and never replaced.
 */
public record ReportFile(Path path) {
    public ReportFile {
        Objects.requireNonNull(path, "path");
    }

    /** The {@code option}'s value as a report file; a directory is a usage error. */
    public static ReportFile of(String option, String value) throws CliError {
        Path p = Path.of(value);
        if (Files.isDirectory(p)) throw CliError.usage(option + " " + value + ": is a directory");
        return new ReportFile(p);
    }

    /** Writes {@code source}'s bytes as the report. */
    public void copyFrom(Path source) throws IOException {
        put(out -> Files.copy(source, out));
    }

    /** Writes {@code bytes} as the file's whole content. */
    public void write(byte[] bytes) throws IOException {
        byte[] copy = bytes.clone();
        put(out -> out.write(copy));
    }

    /** Writes {@code text} (UTF-8) as the report. */
    public void write(String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        put(out -> out.write(bytes));
    }

    /**
     * Writes what {@code content} puts into the stream (unbuffered: buffer and flush it). When it
     * throws, a replaced target is left as it was (the file beside it is deleted), while a target
     * written through has what was written so far.
     */
    public void stream(Content content) throws IOException {
        put(content);
    }

    /** What a report file is made of: bytes written into a stream. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Whether the target is written through ({@link OutputTargets#writesThrough}): what a failed write leaves there. */
    public boolean writtenThrough() {
        return writesThrough();
    }

    private void put(Content content) throws IOException {
        if (writesThrough()) {
            try (OutputStream out = Files.newOutputStream(path, StandardOpenOption.WRITE)) {
                content.writeTo(out);
            }
            return;
        }
        Path tmp = Files.createTempFile(directory(), "." + path.getFileName() + ".", ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                content.writeTo(out);
            }
            ResultFiles.move(tmp, path);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Something that exists and is not a regular file (links followed): written into, never replaced. */
    private boolean writesThrough() {
        return OutputTargets.writesThrough(path);
    }

    private Path directory() {
        Path parent = path.toAbsolutePath().getParent();
        return parent != null ? parent : path.toAbsolutePath().getRoot();
    }
}

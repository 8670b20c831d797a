package org.imaarchiver.archive.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whole-file reads bounded by the kind of file ({@link InputLimit}). The bound is enforced on the bytes
 * read, not on the size the file claims: devices, FIFOs and files still growing report no useful size.
 */
public final class LimitedFiles {
    private LimitedFiles() {}

    /** All of {@code file}'s bytes; {@link InputTooLargeException} beyond {@code limit}. */
    public static byte[] readAllBytes(Path file, InputLimit limit) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] b = in.readNBytes(limit.bytes() + 1);
            if (b.length > limit.bytes()) throw new InputTooLargeException(file, limit);
            return b;
        }
    }

    /** {@code file} as UTF-8 text; {@link InputTooLargeException} beyond {@code limit}. */
    public static String readString(Path file, InputLimit limit) throws IOException {
        return new String(readAllBytes(file, limit), StandardCharsets.UTF_8);
    }

    /** {@code file} as US-ASCII text to parse (PEM); {@link InputTooLargeException} beyond {@code limit}. */
    public static Reader asciiReader(Path file, InputLimit limit) throws IOException {
        return new StringReader(new String(readAllBytes(file, limit), StandardCharsets.US_ASCII));
    }
}

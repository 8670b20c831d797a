package org.imaarchiver.cli.archive;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Locale;
import org.imaarchiver.cli.CliError;

/** Argument checks of the archive commands; each failure is one line naming the option and file. */
final class Inputs {
    private Inputs() {}

    /** An existing readable regular file, else exit 2 ("ROLE: no such file: PATH"). */
    static Path requireFile(Path p, String role) throws CliError {
        if (!Files.exists(p)) throw CliError.usage(role + ": no such file: " + p);
        if (Files.isDirectory(p)) throw CliError.usage(role + ": is a directory: " + p);
        if (!Files.isReadable(p)) throw CliError.usage(role + ": not readable: " + p);
        return p;
    }

    static byte[] readBytes(Path p, String role) throws CliError {
        requireFile(p, role);
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw CliError.environment(role + ": cannot read " + p + ": " + e.getMessage(), e);
        }
    }

    /** Hex, with or without 0x. */
    static byte[] hex(String s, String option) throws CliError {
        String t = s.trim().toLowerCase(Locale.ROOT);
        if (t.startsWith("0x")) t = t.substring(2);
        try {
            return HexFormat.of().parseHex(t);
        } catch (IllegalArgumentException e) {
            throw CliError.usage(option + ": not hex: " + s);
        }
    }
}

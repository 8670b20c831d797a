package org.imaarchiver.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;
import org.imaarchiver.archive.io.InputLimit;
import org.imaarchiver.archive.io.InputTooLargeException;
import org.imaarchiver.archive.io.LimitedFiles;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/** Argument checks shared by the commands; each failure is one line naming the argument and file. */
public final class Inputs {
    private Inputs() {}

    public static final String DEFAULT_BANKS = "sha1,sha256";

    /** An existing regular file, else exit 2 with "ROLE: no such file: PATH". */
    public static Path requireFile(Path p, String role) throws CliError {
        if (!Files.exists(p)) throw CliError.usage(role + ": no such file: " + p);
        if (Files.isDirectory(p)) throw CliError.usage(role + ": is a directory: " + p);
        if (!Files.isReadable(p)) throw CliError.environment(role + ": not readable: " + p);
        return p;
    }

    /** The whole file, at most {@code limit}'s bytes; beyond it exit 2 naming the file and the limit. */
    public static byte[] readBytes(Path p, String role, InputLimit limit) throws CliError {
        requireFile(p, role);
        try {
            return LimitedFiles.readAllBytes(p, limit);
        } catch (InputTooLargeException e) {
            throw CliError.usage(role + ": " + e.getMessage());
        } catch (IOException e) {
            throw CliError.environment(role + ": cannot read " + p + ": " + e.getMessage(), e);
        }
    }

    public static String readText(Path p, String role, InputLimit limit) throws CliError {
        return new String(readBytes(p, role, limit), StandardCharsets.UTF_8);
    }

    /** "sha1,sha256" → banks; unknown names are a usage error naming the option. */
    public static Set<HashAlgorithm> banks(String list, String option) throws CliError {
        Set<HashAlgorithm> s = EnumSet.noneOf(HashAlgorithm.class);
        for (String n : list.split(",")) {
            String t = n.trim();
            if (t.isEmpty()) continue;
            s.add(HashAlgorithm.byKernelName(t).orElseThrow(() ->
                    CliError.usage(option + ": unsupported bank '" + t + "' (supported: sha1, sha256, sha384, sha512)")));
        }
        if (s.isEmpty()) throw CliError.usage(option + ": no bank given");
        return s;
    }

    /** Hex, with or without 0x; the nonce of tpm2_quote -q. */
    public static byte[] hex(String s, String option) throws CliError {
        String t = s.trim().toLowerCase(Locale.ROOT);
        if (t.startsWith("0x")) t = t.substring(2);
        try {
            return HexFormat.of().parseHex(t);
        } catch (IllegalArgumentException e) {
            throw CliError.usage(option + ": not hex: " + s);
        }
    }
}

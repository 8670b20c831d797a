package org.imaarchiver.jobs.logview;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * The files of a kernel's IMA directory that the log view shows (kernel-interface.md B.1): every
 * binary and ASCII list of a bank the project knows, the legacy names (links to the {@code _sha1}
 * pair on 6.10+, the SHA-1 lists themselves before), and {@code runtime_measurements_count}.
 * {@code _staged} files, {@code policy} and {@code violations} are not part of the view.
 */
public final class ListFiles {
    static final String COUNT = "runtime_measurements_count";
    private static final Pattern LIST = Pattern.compile("(binary|ascii)_runtime_measurements(?:_([a-z0-9]+))?");

    private ListFiles() {}

    /** One entry of the view's directory. */
    public sealed interface Entry permits ListFile, Link, CountFile {
        String name();
    }

    /** A measurement list in one format, with its bank's template digest length (B.1). */
    public record ListFile(String name, Format format, HashAlgorithm bank) implements Entry {}

    /** A legacy name that the kernel makes a link (to the {@code _sha1} file, B.1). */
    public record Link(String name, String target) implements Entry {}

    /** {@code runtime_measurements_count}: the boot's record count, trimmed records included. */
    public record CountFile(String name) implements Entry {}

    public enum Format { BINARY, ASCII }

    /** Whether {@code name} names a list file (a kept chunk's file names are checked with it). */
    public static boolean isListName(String name) {
        Matcher m = LIST.matcher(name);
        return m.matches() && (m.group(2) == null || HashAlgorithm.byKernelName(m.group(2)).isPresent());
    }

    /** The view's entries for the kernel directory {@code root}, in name order. */
    public static List<Entry> of(Path root) throws IOException {
        List<Entry> out = new ArrayList<>();
        try (DirectoryStream<Path> all = Files.newDirectoryStream(root)) {
            for (Path p : all) {
                String name = p.getFileName().toString();
                if (name.equals(COUNT)) {
                    out.add(new CountFile(name));
                    continue;
                }
                Matcher m = LIST.matcher(name);
                if (!m.matches()) continue;
                Optional<HashAlgorithm> bank = m.group(2) == null ? Optional.of(HashAlgorithm.SHA1) : HashAlgorithm.byKernelName(m.group(2));
                if (bank.isEmpty()) continue; // a bank without a parser (e.g. _tpm_alg_<hex>): not shown
                if (Files.isSymbolicLink(p)) {
                    out.add(new Link(name, Files.readSymbolicLink(p).toString()));
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    out.add(new ListFile(name, m.group(1).equals("binary") ? Format.BINARY : Format.ASCII, bank.get()));
                }
            }
        }
        out.sort(Comparator.comparing(Entry::name));
        return out;
    }

    /** The list files (no links, no count) of {@code root}. */
    public static List<ListFile> lists(Path root) throws IOException {
        return of(root).stream().filter(e -> e instanceof ListFile).map(e -> (ListFile) e).toList();
    }
}

package org.imaarchiver.jobs.host.securityfs;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * The kernel's IMA measurement directory in securityfs (kernel-interface.md B.1, A.8): file names and the
 * feature check. Nothing here opens a measurement file, so nothing here takes the kernel's lock.
 */
public final class SecurityfsLog {
    /** The classic location. */
    public static final Path DEFAULT_ROOT = Path.of("/sys/kernel/security/ima");
    /** Newer kernels; {@code ima} stays as a link to it (B.1). */
    public static final Path INTEGRITY_ROOT = Path.of("/sys/kernel/security/integrity/ima");
    public static final Path DEFAULT_CMDLINE = Path.of("/proc/cmdline");

    static final String BINARY_PREFIX = "binary_runtime_measurements";
    static final String STAGED_SUFFIX = "_staged";
    /** The boot parameter that forbids N deletion (A.8). */
    static final String FLUSH_HTABLE_PARAMETER = "ima_flush_htable";

    private final Path root;
    private final Path cmdline;

    private SecurityfsLog(Path root, Path cmdline) {
        this.root = Objects.requireNonNull(root, "root");
        this.cmdline = Objects.requireNonNull(cmdline, "cmdline");
    }

    /** The measurement directory at {@code root}, with the kernel command line read from {@code cmdline}. */
    public static SecurityfsLog at(Path root, Path cmdline) {
        return new SecurityfsLog(root, cmdline);
    }

    /** The first of {@link #DEFAULT_ROOT} and {@link #INTEGRITY_ROOT} that exists, with /proc/cmdline. */
    public static Optional<SecurityfsLog> locate() {
        for (Path p : List.of(DEFAULT_ROOT, INTEGRITY_ROOT)) {
            if (Files.isDirectory(p)) return Optional.of(new SecurityfsLog(p, DEFAULT_CMDLINE));
        }
        return Optional.empty();
    }

    public Path root() { return root; }

    /**
     * {@code binary_runtime_measurements_<bank>}: the list with that bank's template digests (B.1).
     * A kernel before 6.10 has no per-bank files: its one list, {@code binary_runtime_measurements},
     * is the SHA-1 view (B.1), so that is the SHA-1 bank's file there. Only looks at the names.
     */
    public Path binaryFile(HashAlgorithm bank) {
        Path perBank = root.resolve(BINARY_PREFIX + "_" + bank.kernelName());
        if (bank == HashAlgorithm.SHA1 && !Files.exists(perBank) && Files.exists(legacyFile())) return legacyFile();
        return perBank;
    }

    /** {@code binary_runtime_measurements_<bank>_staged} (A.8). */
    public Path stagedFile(HashAlgorithm bank) {
        return root.resolve(BINARY_PREFIX + "_" + bank.kernelName() + STAGED_SUFFIX);
    }

    /** {@code binary_runtime_measurements}, a link to the {@code _sha1} file on 6.10+ (B.1). */
    public Path legacyFile() {
        return root.resolve(BINARY_PREFIX);
    }

    /** D.2 step 0: which files exist, and whether this kernel may be trimmed at all. */
    public SecurityfsFeatures features() throws IOException {
        if (!Files.isDirectory(root)) throw new NoSuchFileException(root.toString(), null, "no IMA securityfs directory");
        Set<HashAlgorithm> banks = EnumSet.noneOf(HashAlgorithm.class);
        List<String> unsupported = new ArrayList<>();
        boolean legacy = false;
        boolean staged = false;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root, BINARY_PREFIX + "*")) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (name.endsWith(STAGED_SUFFIX)) {
                    staged = true;
                    continue;
                }
                if (name.equals(BINARY_PREFIX)) {
                    legacy = true;
                    continue;
                }
                if (!name.startsWith(BINARY_PREFIX + "_")) continue;
                String bank = name.substring(BINARY_PREFIX.length() + 1);
                Optional<HashAlgorithm> known = HashAlgorithm.byKernelName(bank);
                if (known.isPresent()) banks.add(known.get());
                else unsupported.add(bank);
            }
        }
        unsupported.sort(null);
        // before 6.10 (B.1): the legacy file alone, the SHA-1 view
        if (legacy && banks.isEmpty() && unsupported.isEmpty()) banks.add(HashAlgorithm.SHA1);
        return new SecurityfsFeatures(root, banks, unsupported, legacy, staged, flushHtableOnCmdline());
    }

    /** Whether {@code ima_flush_htable} (a parameter without value) is on the kernel command line. */
    boolean flushHtableOnCmdline() throws IOException {
        if (!Files.isRegularFile(cmdline)) return false;
        for (String parameter : Files.readString(cmdline).trim().split("\\s+")) {
            if (parameter.equals(FLUSH_HTABLE_PARAMETER) || parameter.startsWith(FLUSH_HTABLE_PARAMETER + "=")) return true;
        }
        return false;
    }

    @Override
    public String toString() { return root.toString(); }
}

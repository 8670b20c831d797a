package org.imaarchiver.jobs.host.imafs;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The errno behind a Java I/O exception. The JDK turns errno into exception types for a few
 * values (EACCES, ENOENT, EEXIST at open) and into the glibc strerror text otherwise, so this maps
 * both back to the errno name the kernel interface documents (ima-kernel.md A.8 table).
 */
final class Errno {
    private static final Map<String, String> STRERROR = Map.ofEntries(
            Map.entry("Operation not permitted", "EPERM"),
            Map.entry("No such file or directory", "ENOENT"),
            Map.entry("Permission denied", "EACCES"),
            Map.entry("Device or resource busy", "EBUSY"),
            Map.entry("File exists", "EEXIST"),
            Map.entry("Invalid argument", "EINVAL"),
            Map.entry("Too many open files in system", "ENFILE"),
            Map.entry("Numerical result out of range", "ERANGE"),
            Map.entry("Stale file handle", "ESTALE"),
            Map.entry("No such device", "ENODEV"));

    private Errno() {}

    static String of(IOException e) {
        if (e instanceof AccessDeniedException) return "EACCES";
        if (e instanceof NoSuchFileException) return "ENOENT";
        if (e instanceof FileAlreadyExistsException) return "EEXIST";
        String reason = e instanceof FileSystemException fse ? fse.getReason() : e.getMessage();
        if (reason == null) return "?";
        for (Map.Entry<String, String> m : STRERROR.entrySet()) {
            if (reason.contains(m.getKey())) return m.getValue();
        }
        return "? (" + reason + ")";
    }

    /** Runs the call and returns the errno it failed with, or "none" when it succeeded. */
    static String of(Callable<?> call) throws Exception {
        try {
            Object result = call.call();
            if (result instanceof AutoCloseable c) c.close();
            return "none";
        } catch (IOException e) {
            return of(e);
        }
    }
}

package org.imaarchiver.jobs.host.securityfs;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.Optional;

/**
 * The errno values the 7.2 measurement interface documents (kernel-interface.md A.8 table), recovered
 * from Java I/O exceptions. The JDK turns a few errno values into exception types at open (EACCES,
 * ENOENT, EEXIST) and every other one into glibc's strerror text (as the message of an
 * IOException, or the reason of a FileSystemException). This is the one place that reads that text.
 */
public enum Errno {
    EPERM("Operation not permitted"),
    ENOENT("No such file or directory"),
    EACCES("Permission denied"),
    EBUSY("Device or resource busy"),
    EEXIST("File exists"),
    EINVAL("Invalid argument"),
    ENFILE("Too many open files in system"),
    ERANGE("Numerical result out of range"),
    ESTALE("Stale file handle"),
    ENODEV("No such device"),
    ENOMEM("Cannot allocate memory");

    private final String strerror;

    Errno(String strerror) { this.strerror = strerror; }

    /** glibc's strerror text for this errno (C locale; the JDK does not localise it). */
    public String strerror() { return strerror; }

    /** The errno behind the exception, or empty when it is none of these (fail closed: unknown). */
    public static Optional<Errno> of(IOException e) {
        if (e instanceof AccessDeniedException) return Optional.of(EACCES);
        if (e instanceof NoSuchFileException) return Optional.of(ENOENT);
        if (e instanceof FileAlreadyExistsException) return Optional.of(EEXIST);
        String reason = e instanceof FileSystemException fse ? fse.getReason() : e.getMessage();
        if (reason == null) return Optional.empty();
        for (Errno errno : values()) {
            // FileSystemException.getReason() is the bare text; IOException messages may carry a prefix
            if (reason.equals(errno.strerror) || reason.endsWith(errno.strerror)) return Optional.of(errno);
        }
        return Optional.empty();
    }

    /** Whether the exception carries exactly this errno. */
    public boolean matches(IOException e) {
        return of(e).filter(x -> x == this).isPresent();
    }
}

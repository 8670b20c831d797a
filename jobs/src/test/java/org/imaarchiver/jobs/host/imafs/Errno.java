package org.imaarchiver.jobs.host.imafs;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.util.concurrent.Callable;

/**
 * The errno name behind a Java I/O exception, for the emulator tests. The classification itself is
 * production code ({@link org.imaarchiver.jobs.host.securityfs.Errno}); this adds the test-only
 * "none" and "? (text)" answers.
 */
final class Errno {
    private Errno() {}

    static String of(IOException e) {
        return org.imaarchiver.jobs.host.securityfs.Errno.of(e).map(Enum::name).orElseGet(() -> {
            String reason = e instanceof FileSystemException fse ? fse.getReason() : e.getMessage();
            return reason == null ? "?" : "? (" + reason + ")";
        });
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

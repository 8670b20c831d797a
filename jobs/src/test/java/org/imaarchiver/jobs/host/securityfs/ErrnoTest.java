package org.imaarchiver.jobs.host.securityfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

/** The errno behind the JDK's exceptions, in the forms FileChannel produces them. */
class ErrnoTest {
    @Test
    void openFailuresCarryTheReason() {
        // FileChannel.open: UnixException.translateToIOException
        assertThat(Errno.of(new FileSystemException("/x", null, "Device or resource busy"))).contains(Errno.EBUSY);
        assertThat(Errno.of(new FileSystemException("/x", null, "Operation not permitted"))).contains(Errno.EPERM);
        assertThat(Errno.of(new FileSystemException("/x", null, "Too many open files in system"))).contains(Errno.ENFILE);
        assertThat(Errno.of(new AccessDeniedException("/x"))).contains(Errno.EACCES);
        assertThat(Errno.of(new NoSuchFileException("/x"))).contains(Errno.ENOENT);
        assertThat(Errno.of(new FileAlreadyExistsException("/x"))).contains(Errno.EEXIST);
    }

    @Test
    void writeFailuresCarryTheMessage() {
        // FileChannel.write: IOException(strerror)
        assertThat(Errno.of(new IOException("No such file or directory"))).contains(Errno.ENOENT);
        assertThat(Errno.of(new IOException("Stale file handle"))).contains(Errno.ESTALE);
        assertThat(Errno.of(new IOException("Invalid argument"))).contains(Errno.EINVAL);
        assertThat(Errno.of(new IOException("File exists"))).contains(Errno.EEXIST);
        assertThat(Errno.of(new IOException("Numerical result out of range"))).contains(Errno.ERANGE);
    }

    @Test
    void unknownTextIsNotGuessed() {
        assertThat(Errno.of(new IOException("Too many open files"))).isEmpty(); // EMFILE, not ENFILE
        assertThat(Errno.of(new IOException("Input/output error"))).isEmpty();
        assertThat(Errno.of(new IOException((String) null))).isEmpty();
        assertThat(Errno.EBUSY.matches(new IOException("Device or resource busy"))).isTrue();
        assertThat(Errno.EBUSY.matches(new IOException("Invalid argument"))).isFalse();
    }
}

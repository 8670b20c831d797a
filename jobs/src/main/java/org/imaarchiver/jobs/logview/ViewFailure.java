package org.imaarchiver.jobs.logview;

import java.io.IOException;

/**
 * Why the view refuses a read: the reader gets {@code errno}, the daemon's log the message (which
 * names the file, the boot and the record).
 */
public final class ViewFailure extends IOException {
    /** The errno a FUSE reader sees. */
    public enum Errno {
        /** The kernel list is locked by a trimmer for longer than the view waits (as securityfs would answer). */
        EBUSY(16),
        /** The kept records and the kernel list do not join: the view would show a list with a hole. */
        EIO(5);

        private final int value;

        Errno(int value) { this.value = value; }

        public int value() { return value; }
    }

    private final Errno errno;

    public ViewFailure(Errno errno, String message) {
        super(message);
        this.errno = errno;
    }

    public Errno errno() { return errno; }
}

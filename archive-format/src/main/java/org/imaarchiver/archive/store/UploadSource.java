package org.imaarchiver.archive.store;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Content to upload that can be re-opened at any offset, so that SDK retries and multipart parts
 * re-read the source instead of buffering it.
 */
interface UploadSource {
    long size();

    /** A fresh stream over {@code [offset, offset + length)}. */
    InputStream open(long offset, long length) throws IOException;

    static UploadSource of(byte[] bytes) {
        return new UploadSource() {
            @Override public long size() { return bytes.length; }

            @Override public InputStream open(long offset, long length) {
                return new ByteArrayInputStream(bytes, Math.toIntExact(offset), Math.toIntExact(length));
            }
        };
    }

    static UploadSource of(Path file, long size) {
        return new UploadSource() {
            @Override public long size() { return size; }

            @Override public InputStream open(long offset, long length) throws IOException {
                FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
                ch.position(offset);
                return new BoundedInputStream(Channels.newInputStream(ch), length);
            }
        };
    }

    /** Stops after {@code remaining} bytes. */
    final class BoundedInputStream extends InputStream {
        private final InputStream in;
        private long remaining;

        BoundedInputStream(InputStream in, long remaining) {
            this.in = in;
            this.remaining = remaining;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) return -1;
            int b = in.read();
            if (b >= 0) remaining--;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (remaining <= 0) return -1;
            int n = in.read(b, off, (int) Math.min(len, remaining));
            if (n > 0) remaining -= n;
            return n;
        }

        @Override
        public void close() throws IOException { in.close(); }
    }
}

package org.imaarchiver.archive.store;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/** Whole-object reads with a size bound, so a huge object cannot exhaust the heap. */
final class BoundedRead {
    private BoundedRead() {}

    static byte[] readAll(String key, InputStream in, long maxBytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        for (int n; (n = in.read(buf)) >= 0; ) {
            total += n;
            if (total > maxBytes) {
                throw new ObjectTooLargeException(key, "object exceeds the read bound of " + maxBytes + " bytes");
            }
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }
}

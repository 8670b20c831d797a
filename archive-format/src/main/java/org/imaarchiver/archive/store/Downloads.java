package org.imaarchiver.archive.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/** Copies a stream to a new local file that appears complete or not at all. */
final class Downloads {
    private Downloads() {}

    static Path copyToNewFile(InputStream in, Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (Files.exists(abs)) throw new FileAlreadyExistsException(abs.toString());
        Path tmp = dir.resolve("." + abs.getFileName() + "." + UUID.randomUUID() + ".part");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                byte[] buf = new byte[64 * 1024];
                for (int n; (n = in.read(buf)) >= 0; ) {
                    ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                    while (bb.hasRemaining()) ch.write(bb);
                }
                ch.force(true);
            }
            try {
                Files.createLink(abs, tmp); // no-replace, like the store itself
            } catch (UnsupportedOperationException e) {
                Files.move(tmp, abs); // no REPLACE_EXISTING; a local scratch file, the race is harmless
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target;
    }
}

package org.imaarchiver.archive.store;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.Base64;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/** SHA-256 helpers shared by the stores. */
final class Sha256 {
    private static final int BUFFER = 64 * 1024;

    private Sha256() {}

    static MessageDigest newDigest() {
        return HashAlgorithm.SHA256.newDigest();
    }

    static Digest of(byte[] bytes) {
        return Digest.wrap(newDigest().digest(bytes));
    }

    /** Hashes the stream to its end; does not close it. */
    static Digest of(InputStream in) throws IOException {
        MessageDigest md = newDigest();
        byte[] buf = new byte[BUFFER];
        for (int n; (n = in.read(buf)) >= 0; ) md.update(buf, 0, n);
        return Digest.wrap(md.digest());
    }

    static String base64(Digest d) {
        return Base64.getEncoder().encodeToString(d.bytes());
    }
}

package org.imaarchiver.archive.segment;

import java.security.MessageDigest;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * The segment data digest (docs/archive-format.md "Data digest"): SHA-256 over, for each record in
 * ascending index order, {@code u64be(record_index) || u32be(len(raw)) || raw}. It depends only on
 * the authoritative values, not on the Parquet encoding, so re-encoding or compaction that keeps the
 * records keeps the digest. Incremental: memory does not grow with the record count.
 */
public final class DataDigest {
    private final MessageDigest md = HashAlgorithm.SHA256.newDigest();
    private final byte[] header = new byte[12];

    public void update(long recordIndex, Bytes raw) {
        for (int i = 0; i < 8; i++) header[i] = (byte) (recordIndex >>> (56 - 8 * i));
        int n = raw.length();
        header[8] = (byte) (n >>> 24);
        header[9] = (byte) (n >>> 16);
        header[10] = (byte) (n >>> 8);
        header[11] = (byte) n;
        md.update(header);
        raw.updateDigest(md);
    }

    /** The digest of the records so far, without ending the computation. */
    public Digest current() {
        try {
            return Digest.wrap(((MessageDigest) md.clone()).digest());
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("SHA-256 digest not cloneable", e);
        }
    }

    /** The digest; the instance must not be used afterwards. */
    public Digest finish() { return Digest.wrap(md.digest()); }
}

package org.imaarchiver.jobs.host.state;

import java.util.Objects;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * Identifies one kernel record for the trim journal: its template digest (kernel-interface.md D.2 step 6)
 * and the SHA-256 of its complete raw bytes (B.3). Template digests alone are ambiguous: every
 * violation stores zeros (B.8) and {@code ima_flush_htable} allows duplicates (D.1 item 9).
 */
public record RecordId(Digest templateDigest, Digest rawSha256) {
    public RecordId {
        Objects.requireNonNull(templateDigest, "templateDigest");
        Objects.requireNonNull(rawSha256, "rawSha256");
        if (rawSha256.length() != HashAlgorithm.SHA256.digestLength()) throw new IllegalArgumentException("rawSha256 is not 32 bytes");
    }

    public static RecordId of(MeasurementRecord record) {
        var md = HashAlgorithm.SHA256.newDigest();
        record.raw().updateDigest(md);
        return new RecordId(record.templateDigest(), Digest.wrap(md.digest()));
    }

    public boolean identifies(MeasurementRecord record) {
        return equals(of(record));
    }
}

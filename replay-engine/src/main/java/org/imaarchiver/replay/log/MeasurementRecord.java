package org.imaarchiver.replay.log;

import java.nio.ByteOrder;
import java.util.Objects;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;

/**
 * One record of an IMA measurement list, as parsed: unverified. Nothing here has been re-hashed or
 * replayed; the replay engine and the quote verifier establish trust.
 *
 * @param index          absolute record index within the boot (0 = the first boot_aggregate); for a
 *                       list read after trims this is the reader's starting index plus the position
 * @param offset         byte offset of the record in its source (for binary lists; ASCII lists give
 *                       the byte offset of the line)
 * @param pcr            the PCR the policy rule extended (kernel-interface.md B.3, B.11)
 * @param templateDigest the digest stored in the record, of the file's bank (20 bytes in the legacy
 *                       file); all zeros for a violation (B.8)
 * @param templateName   the template name, or the custom format string (B.3 field 4)
 * @param templateData   the template data exactly as in the binary list: for non-{@code ima}
 *                       templates the bytes after the data-length field; for {@code ima} the bytes
 *                       {@code d(20) | nlen(4) | name} (B.3)
 * @param byteOrder      byte order of the length fields (B.2)
 * @param raw            the complete binary record (B.3), the authoritative bytes an archive keeps;
 *                       for ASCII input, the binary encoding rebuilt in little-endian order
 */
public record MeasurementRecord(long index, long offset, int pcr, Digest templateDigest, String templateName,
                                Bytes templateData, ByteOrder byteOrder, Bytes raw) {
    public static final String IMA_TEMPLATE = "ima";

    public MeasurementRecord {
        Objects.requireNonNull(templateDigest, "templateDigest");
        Objects.requireNonNull(templateName, "templateName");
        Objects.requireNonNull(templateData, "templateData");
        Objects.requireNonNull(byteOrder, "byteOrder");
        Objects.requireNonNull(raw, "raw");
        if (index < 0) throw new IllegalArgumentException("index < 0");
    }

    /** A violation (ToMToU / open-writers): the stored template digest is all zeros (B.8). */
    public boolean isViolation() { return templateDigest.isAllZero(); }

    /** True for the legacy {@code ima} template with its special layout and hash rule (B.3, B.7). */
    public boolean isImaTemplate() { return IMA_TEMPLATE.equals(templateName); }
}

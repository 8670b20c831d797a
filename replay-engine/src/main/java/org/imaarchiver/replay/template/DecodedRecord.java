package org.imaarchiver.replay.template;

import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;

/**
 * The human and query view of one record (not used for replay, which hashes raw bytes).
 *
 * @param index              absolute record index
 * @param pcr                PCR index
 * @param templateName       template name or custom format string
 * @param violation          stored template digest all zeros (kernel-interface.md B.8)
 * @param fileDigestAlgorithm the algorithm named by d-ng / d-ngv2 ({@code sha256}, {@code md5}...),
 *                           {@code sha1} for the {@code ima} template's {@code d}; empty when the
 *                           template has no file digest field
 * @param fileDigestType     for d-ngv2, the digest type ({@code ima} or {@code verity}); else empty
 * @param fileDigest         the file digest bytes; empty when absent
 * @param name               the n-ng / n field without its NUL (a path, or a label for ima-buf)
 * @param signaturePresent   a non-empty {@code sig}, {@code evmsig} or {@code modsig} field
 * @param signature          the {@code sig} field bytes when present
 * @param buffer             the {@code buf} field for ima-buf records
 */
public record DecodedRecord(long index, int pcr, String templateName, boolean violation,
                            Optional<String> fileDigestAlgorithm, Optional<String> fileDigestType,
                            Optional<Digest> fileDigest, Optional<String> name, boolean signaturePresent,
                            Optional<Bytes> signature, Optional<Bytes> buffer) {
    public DecodedRecord {
        Objects.requireNonNull(templateName);
        Objects.requireNonNull(fileDigestAlgorithm);
        Objects.requireNonNull(fileDigestType);
        Objects.requireNonNull(fileDigest);
        Objects.requireNonNull(name);
        Objects.requireNonNull(signature);
        Objects.requireNonNull(buffer);
    }
}

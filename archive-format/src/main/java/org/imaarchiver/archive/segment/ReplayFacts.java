package org.imaarchiver.archive.segment;

import java.nio.ByteOrder;
import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * What a reader needs to re-parse {@code raw} and replay it; extend modes per bank live in the
 * base and end {@code PcrState}s.
 *
 * @param templateDigestAlgorithm the bank of the source list file, which fixes the size of the stored
 *                                template digests (20 bytes in the legacy file; kernel-interface.md B.3)
 * @param byteOrder               byte order of the length fields in {@code raw} (B.2)
 * @param kernelVersion           {@code uname -r} of the host, when known
 */
public record ReplayFacts(HashAlgorithm templateDigestAlgorithm, ByteOrder byteOrder, Optional<String> kernelVersion) {
    public ReplayFacts {
        Objects.requireNonNull(templateDigestAlgorithm, "templateDigestAlgorithm");
        Objects.requireNonNull(byteOrder, "byteOrder");
        Objects.requireNonNull(kernelVersion, "kernelVersion");
    }
}

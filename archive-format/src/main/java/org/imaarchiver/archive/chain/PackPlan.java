package org.imaarchiver.archive.chain;

import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.archive.segment.BootIdentity;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.PcrState;

/**
 * Where the next segment of a host goes: decided from the chain head and the boot evidence, before
 * the quote is taken (so the archiver can quote with {@link #derivedNonce()}).
 *
 * @param hostId                 the host
 * @param sequence               the next segment's sequence (head + 1, or 0)
 * @param previousManifestDigest the head's manifest digest (empty for sequence 0)
 * @param boot                   the boot identity the segment's manifest will carry
 * @param newBoot                true when the segment starts a new boot at record 0
 * @param base                   the head's end state (same boot); for a new boot, empty: the base is all
 *                               zeros at index 0 over the quote's banks
 * @param derivedNonce           {@code QuoteNonce.derive(hostId, boot, sequence, previousManifestDigest)}
 */
public record PackPlan(String hostId, long sequence, Optional<Digest> previousManifestDigest, BootIdentity boot,
                       boolean newBoot, Optional<PcrState> base, Digest derivedNonce) {
    public PackPlan {
        ArchiveLayout.requireValidHostId(hostId);
        Objects.requireNonNull(previousManifestDigest, "previousManifestDigest");
        Objects.requireNonNull(boot, "boot");
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(derivedNonce, "derivedNonce");
        if (newBoot != base.isEmpty()) throw new IllegalArgumentException("a new boot has no base state; a continued boot has one");
    }
}

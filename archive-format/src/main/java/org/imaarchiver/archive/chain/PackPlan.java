package org.imaarchiver.archive.chain;

import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.archive.segment.BootIdentity;
import org.imaarchiver.archive.segment.ReplayFacts;
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
 * @param baseReplay             the head's replay facts (same boot): what a segment without records
 *                               (a closing one, {@link PackRequest#closesBoot}) carries; empty for a new boot
 */
public record PackPlan(String hostId, long sequence, Optional<Digest> previousManifestDigest, BootIdentity boot,
                       boolean newBoot, Optional<PcrState> base, Digest derivedNonce, Optional<ReplayFacts> baseReplay) {
    public PackPlan {
        ArchiveLayout.requireValidHostId(hostId);
        Objects.requireNonNull(previousManifestDigest, "previousManifestDigest");
        Objects.requireNonNull(boot, "boot");
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(derivedNonce, "derivedNonce");
        if (newBoot != base.isEmpty()) throw new IllegalArgumentException("a new boot has no base state; a continued boot has one");
        Objects.requireNonNull(baseReplay, "baseReplay");
        if (newBoot && baseReplay.isPresent()) throw new IllegalArgumentException("a new boot has no base replay facts");
    }

    /** Without the head's replay facts (a closing segment then needs records). */
    public PackPlan(String hostId, long sequence, Optional<Digest> previousManifestDigest, BootIdentity boot,
                    boolean newBoot, Optional<PcrState> base, Digest derivedNonce) {
        this(hostId, sequence, previousManifestDigest, boot, newBoot, base, derivedNonce, Optional.empty());
    }
}

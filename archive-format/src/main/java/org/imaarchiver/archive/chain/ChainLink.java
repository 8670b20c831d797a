package org.imaarchiver.archive.chain;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.imaarchiver.archive.segment.BootIdentity;
import org.imaarchiver.archive.segment.SegmentManifest;
import org.imaarchiver.replay.pcr.PcrState;

/**
 * The chain rules between a segment and what it follows (docs/archive-format.md §13), the one place
 * they are written: for a whole chain, a range of one, and a chain continued after a verification
 * receipt alike. A pure function of the predecessor's facts and the segment's manifest.
 */
public final class ChainLink {
    private ChainLink() {}

    /**
     * The findings of the link from {@code before} to the chain segment at {@code sequence} with
     * {@code manifest} (empty when it could not be read: only the sequence rule applies), in this order:
     * <ol>
     *   <li>the sequence is the predecessor's last + 1 (the start's first sequence);</li>
     *   <li>at sequence 0 of a chain: no predecessor named, boot counter 0, base at record 0 with all-zero PCRs;</li>
     *   <li>after a known predecessor: previousManifestDigest is its link digest; within the same boot
     *       counter the boot identity is unchanged and the base is its end state; at the next boot counter
     *       the base is at record 0 with all-zero PCRs; any other boot counter is a splice.</li>
     * </ol>
     * Rules 2 and 3 apply only to a segment that directly follows (a gap is one finding, not more).
     */
    public static List<ChainFinding> check(String host, ChainPredecessor before, long sequence, Optional<SegmentManifest> manifest) {
        List<ChainFinding> out = new ArrayList<>();
        long expected = before.nextSequence();
        if (sequence != expected) {
            out.add(before instanceof ChainPredecessor.Start ? new LinkFinding.StartsLate(host, sequence, expected)
                    : new LinkFinding.Gap(host, sequence, expected, before instanceof ChainPredecessor.Known k ? k.source() : LinkFinding.Source.SEGMENT));
        }
        if (manifest.isEmpty()) return out;
        SegmentManifest m = manifest.get();
        if (before instanceof ChainPredecessor.Start && sequence == 0) {
            m.previousManifestDigest().ifPresent(d -> out.add(new LinkFinding.NamesPredecessor(host, sequence, d)));
            bootStart(host, sequence, m, 0, out);
            return out;
        }
        if (!(before instanceof ChainPredecessor.Known p) || sequence != expected) return out;
        if (!m.previousManifestDigest().equals(Optional.of(p.linkDigest()))) {
            out.add(new LinkFinding.BrokenLink(host, sequence, p.source(), p.lastSequence(), p.linkDigest(), m.previousManifestDigest()));
        }
        BootIdentity pb = p.boot();
        BootIdentity cb = m.boot();
        if (cb.bootCounter() == pb.bootCounter()) {
            if (cb.bootAggregateAlgorithm() != pb.bootAggregateAlgorithm() || !cb.bootAggregate().equals(pb.bootAggregate())
                    || cb.resetCount() != pb.resetCount()) {
                out.add(new LinkFinding.BootChanged(host, sequence, pb, cb));
            }
            if (!sameState(p.end(), m.base())) {
                out.add(new LinkFinding.BaseMismatch(host, sequence, p.source(), p.lastSequence(), p.end(), m.base()));
            }
        } else if (cb.bootCounter() == pb.bootCounter() + 1) {
            bootStart(host, sequence, m, pb.bootCounter() + 1, out);
        } else {
            out.add(new LinkFinding.BootCounterJump(host, sequence, p.source(), pb.bootCounter(), cb.bootCounter()));
        }
        return out;
    }

    /**
     * The closing rule (docs/archive-format.md §13 step 7), apart from {@link #check} because the verifier's
     * policy decides whether it fails the host: when the segment at {@code sequence} directly follows a known
     * predecessor and starts the next boot, the predecessor must carry the closing mark of the run at
     * shutdown, else {@link LinkFinding.UnclosedBoot}.
     */
    public static Optional<ChainFinding> unclosedBoot(String host, ChainPredecessor before, long sequence, Optional<SegmentManifest> manifest) {
        if (!(before instanceof ChainPredecessor.Known p) || sequence != p.nextSequence() || manifest.isEmpty()) return Optional.empty();
        long counter = p.boot().bootCounter();
        if (manifest.get().boot().bootCounter() != counter + 1 || p.closesBoot()) return Optional.empty();
        return Optional.of(new LinkFinding.UnclosedBoot(host, p.lastSequence(), p.source(), counter, sequence));
    }

    /** A boot's first segment starts at record 0 from all-zero PCRs (the boot_aggregate check is per segment). */
    private static void bootStart(String host, long sequence, SegmentManifest m, long expectedCounter, List<ChainFinding> out) {
        if (m.boot().bootCounter() != expectedCounter) {
            out.add(new LinkFinding.BootStartCounter(host, sequence, expectedCounter, m.boot().bootCounter()));
        }
        if (m.base().nextIndex() != 0 || !FindingText.nonZero(m.base()).isEmpty()) {
            out.add(new LinkFinding.BootStartBase(host, sequence, m.base()));
        }
    }

    /** Equal states, treating absent and explicit zero values alike (docs/archive-format.md §6.3). */
    public static boolean sameState(PcrState a, PcrState b) {
        return a.nextIndex() == b.nextIndex() && a.banks().equals(b.banks()) && a.extendModes().equals(b.extendModes())
                && FindingText.nonZero(a).equals(FindingText.nonZero(b));
    }
}

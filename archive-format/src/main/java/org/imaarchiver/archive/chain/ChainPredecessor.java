package org.imaarchiver.archive.chain;

import java.util.Objects;
import org.imaarchiver.archive.receipt.VerificationReceipt;
import org.imaarchiver.archive.segment.BootIdentity;
import org.imaarchiver.archive.segment.SegmentManifest;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.PcrState;

/**
 * What a chain segment follows, as far as the link rules ({@link ChainLink}) need to know: nothing
 * (the chain's or a verified range's start), a chain segment whose manifest could not be read, or
 * the facts a successor links to: a chain segment's manifest, or a verification receipt that vouches
 * for one (docs/archive-format.md §13, §17).
 */
public sealed interface ChainPredecessor permits ChainPredecessor.Start, ChainPredecessor.Unreadable, ChainPredecessor.Known {
    /** The sequence the next chain segment must have. */
    long nextSequence();

    /** Nothing before: the chain starts at {@code firstSequence} (0 for a whole chain). */
    record Start(long firstSequence) implements ChainPredecessor {
        public Start {
            if (firstSequence < 0) throw new IllegalArgumentException("firstSequence < 0");
        }

        @Override public long nextSequence() { return firstSequence; }
    }

    /** A chain segment ending at {@code lastSequence} whose manifest could not be read: only the sequence rule applies. */
    record Unreadable(long lastSequence) implements ChainPredecessor {
        @Override public long nextSequence() { return lastSequence + 1; }
    }

    /** A predecessor whose facts are known. */
    sealed interface Known extends ChainPredecessor permits Segment, Receipt {
        /** The last chain position it covers. */
        long lastSequence();

        /** What the successor's {@code previousManifestDigest} must be. */
        Digest linkDigest();

        BootIdentity boot();

        /** The PCR state the successor's base continues from within a boot. */
        PcrState end();

        LinkFinding.Source source();

        /** The segment carries the closing mark of its boot (docs/archive-format.md §6.1 {@code closesBoot}). */
        boolean closesBoot();

        @Override default long nextSequence() { return lastSequence() + 1; }
    }

    /**
     * A chain segment ending at {@code lastSequence} with this manifest and manifest digest. A
     * compacted segment stands in for its parts: its successor links to the last part
     * ({@link SegmentManifest#chainLinkDigest}).
     */
    record Segment(long lastSequence, SegmentManifest manifest, Digest manifestDigest) implements Known {
        public Segment {
            Objects.requireNonNull(manifest, "manifest");
            Objects.requireNonNull(manifestDigest, "manifestDigest");
        }

        @Override public Digest linkDigest() { return manifest.chainLinkDigest(manifestDigest); }
        @Override public BootIdentity boot() { return manifest.boot(); }
        @Override public PcrState end() { return manifest.end(); }
        @Override public LinkFinding.Source source() { return LinkFinding.Source.SEGMENT; }
        @Override public boolean closesBoot() { return manifest.closesBoot(); }
    }

    /**
     * A verification receipt: the chain verified through its segment, whose manifest digest, boot and
     * end it names; {@code closesBoot} is read from that segment's stored manifest (the receipt does
     * not name it; false when the manifest is not the receipt's).
     */
    record Receipt(VerificationReceipt receipt, boolean closesBoot) implements Known {
        public Receipt { Objects.requireNonNull(receipt, "receipt"); }

        @Override public long lastSequence() { return receipt.sequence(); }
        @Override public Digest linkDigest() { return receipt.manifestDigest(); }
        @Override public BootIdentity boot() { return receipt.boot(); }
        @Override public PcrState end() { return receipt.end(); }
        @Override public LinkFinding.Source source() { return LinkFinding.Source.RECEIPT; }
    }
}

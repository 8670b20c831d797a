package org.imaarchiver.archive.chain;

import java.util.Objects;
import org.imaarchiver.replay.bytes.Bytes;

/** How the quote given to the {@link SegmentPacker} chose its extraData. */
public sealed interface PackNonce {
    /**
     * Imported evidence: the quote was taken elsewhere with this nonce. The packer checks the quote
     * carries it; it binds the quote to nothing in the archive (docs/archive-format.md §7).
     */
    record External(Bytes nonce) implements PackNonce {
        public External {
            Objects.requireNonNull(nonce, "nonce");
        }
    }

    /**
     * The archiver took the quote itself with the nonce {@link SegmentPacker#plan} returned
     * ({@code QuoteNonce.derive} over host, boot identity, sequence and previous manifest digest);
     * the packer recomputes it and requires the quote to carry it.
     */
    record Derived() implements PackNonce {}
}

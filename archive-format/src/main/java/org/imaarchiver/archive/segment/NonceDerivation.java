package org.imaarchiver.archive.segment;

import java.util.Objects;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;

/** Where the end quote's extraData (nonce) came from. */
public sealed interface NonceDerivation {
    /** The nonce bytes the quote's extraData must carry. */
    Bytes nonce();

    /** Stable identifier written as {@code nonceDerivation.kind}. */
    String kind();

    /**
     * The archiver took the quote itself with {@link QuoteNonce#derive} over this manifest's host,
     * boot identity, sequence and previous manifest digest; a verifier recomputes it.
     */
    record Derived(Digest value) implements NonceDerivation {
        public static final String KIND = "derived-v1";

        public Derived {
            Objects.requireNonNull(value, "value");
            if (value.length() != 32) throw new IllegalArgumentException("derived nonce must be 32 bytes: " + value.length());
        }

        @Override public Bytes nonce() { return Bytes.wrap(value.bytes()); }
        @Override public String kind() { return KIND; }
    }

    /** Imported evidence: the quote was taken elsewhere with this nonce; it binds nothing here. */
    record External(Bytes nonce) implements NonceDerivation {
        public static final String KIND = "external";

        public External {
            Objects.requireNonNull(nonce, "nonce");
        }

        @Override public String kind() { return KIND; }
    }
}

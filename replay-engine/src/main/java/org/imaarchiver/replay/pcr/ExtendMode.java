package org.imaarchiver.replay.pcr;

import java.util.Optional;

/**
 * How the kernel fed a bank (kernel-interface.md B.10). The choice is per boot and per bank; it is part of
 * the replay state so a continuation replays the same way.
 */
public enum ExtendMode {
    /** v5.8+: the bank's own hash over the template data ("Type 2"). */
    PER_BANK_HASH("per-bank-hash"),
    /** Before v5.8: the SHA-1 template digest zero-padded (or truncated) to the bank size ("Type 1"). */
    SHA1_ZERO_PADDED("sha1-zero-padded");

    private final String id;

    ExtendMode(String id) { this.id = id; }

    /** Stable identifier used in JSON state and manifests. */
    public String id() { return id; }

    public static Optional<ExtendMode> byId(String id) {
        for (ExtendMode m : values()) if (m.id.equals(id)) return Optional.of(m);
        return Optional.empty();
    }

    @Override
    public String toString() { return id; }
}

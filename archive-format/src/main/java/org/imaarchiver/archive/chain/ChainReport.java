package org.imaarchiver.archive.chain;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The verification result of one host's chain.
 *
 * @param host          the host id
 * @param segments      segments found (sequences with a sidecar or a segment file)
 * @param records       records in the segments whose manifests could be read (sum of recordCount)
 * @param firstIndex    the first record index of the first segment, if any
 * @param lastIndex     the last record index of the last non-empty segment, if any
 * @param firstCreatedAt createdAt of the first segment
 * @param lastCreatedAt  createdAt of the last segment
 * @param findings      everything wrong, in chain order; empty means ok
 */
public record ChainReport(String host, long segments, long records, OptionalLong firstIndex, OptionalLong lastIndex,
                          Optional<Instant> firstCreatedAt, Optional<Instant> lastCreatedAt, List<ChainFinding> findings) {
    public enum Status {
        OK("ok"), FAILED("failed");

        private final String id;

        Status(String id) { this.id = id; }

        public String id() { return id; }
    }

    public ChainReport {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(firstIndex, "firstIndex");
        Objects.requireNonNull(lastIndex, "lastIndex");
        Objects.requireNonNull(firstCreatedAt, "firstCreatedAt");
        Objects.requireNonNull(lastCreatedAt, "lastCreatedAt");
        findings = List.copyOf(findings);
    }

    public Status status() { return findings.isEmpty() ? Status.OK : Status.FAILED; }

    public boolean ok() { return findings.isEmpty(); }
}

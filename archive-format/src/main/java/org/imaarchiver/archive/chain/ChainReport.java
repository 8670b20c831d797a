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
 * @param warnings      findings that do not fail the host under the verifier's policy (an unclosed boot
 *                      when closed boots are not required), in chain order
 * @param boots         the boots of the verified segments, in chain order; the last one is the host's
 *                      current boot unless it was closed
 */
public record ChainReport(String host, long segments, long records, OptionalLong firstIndex, OptionalLong lastIndex,
                          Optional<Instant> firstCreatedAt, Optional<Instant> lastCreatedAt, List<ChainFinding> findings,
                          List<ChainFinding> warnings, List<BootSummary> boots) {
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
        warnings = List.copyOf(warnings);
        boots = List.copyOf(boots);
    }

    /** Without warnings or boots (a report about no readable segment). */
    public ChainReport(String host, long segments, long records, OptionalLong firstIndex, OptionalLong lastIndex,
                       Optional<Instant> firstCreatedAt, Optional<Instant> lastCreatedAt, List<ChainFinding> findings) {
        this(host, segments, records, firstIndex, lastIndex, firstCreatedAt, lastCreatedAt, findings, List.of(), List.of());
    }

    /** The same report with findings {@code before} and {@code after} its own. */
    public ChainReport withFindings(List<ChainFinding> before, List<ChainFinding> after) {
        List<ChainFinding> all = new java.util.ArrayList<>(before);
        all.addAll(findings);
        all.addAll(after);
        return new ChainReport(host, segments, records, firstIndex, lastIndex, firstCreatedAt, lastCreatedAt, all, warnings, boots);
    }

    public Status status() { return findings.isEmpty() ? Status.OK : Status.FAILED; }

    public boolean ok() { return findings.isEmpty(); }
}

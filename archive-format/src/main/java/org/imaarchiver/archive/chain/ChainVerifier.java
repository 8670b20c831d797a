package org.imaarchiver.archive.chain;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.imaarchiver.archive.store.ArchiveStore;

/**
 * Offline, complete verification of archived chains (docs/archive-format.md "Verifying a segment",
 * "Verifying a chain"). Segments are independent given their manifest's base, so the segments of a
 * chain are verified in parallel on a bounded pool; only the link checks run in chain order.
 * Verification continues past failures and reports every finding. Memory is bounded by the number of
 * segments' manifests of one host, not by the records.
 */
public final class ChainVerifier {
    /** Which hosts to verify. */
    public record HostFilter(Optional<Set<String>> hosts) {
        public HostFilter {
            Objects.requireNonNull(hosts, "hosts");
            hosts = hosts.map(Set::copyOf);
        }

        /** Every host in the archive. */
        public static HostFilter all() { return new HostFilter(Optional.empty()); }

        /** Only these hosts; a named host without segments is reported with {@link FindingKind#NO_SEGMENTS}. */
        public static HostFilter only(Collection<String> hosts) { return new HostFilter(Optional.of(Set.copyOf(hosts))); }
    }

    private final TrustStore trust;
    private final int parallelism;
    private final Path workDir;

    /**
     * @param trust       accepted signers and AKs
     * @param parallelism segments verified at once (>= 1)
     * @param workDir     where segment files are downloaded for reading (each deleted after its check)
     */
    public ChainVerifier(TrustStore trust, int parallelism, Path workDir) {
        this.trust = Objects.requireNonNull(trust, "trust");
        if (parallelism < 1) throw new IllegalArgumentException("parallelism < 1");
        this.parallelism = parallelism;
        this.workDir = Objects.requireNonNull(workDir, "workDir");
    }

    /**
     * Verifies the hosts of {@code store} the filter selects.
     *
     * @throws IOException only when the store cannot be listed at all; per-object failures are findings
     */
    public ArchiveReport verify(ArchiveStore store, HostFilter filter) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }

    /** Verifies one host's chain. */
    public ChainReport verifyHost(ArchiveStore store, String host) throws IOException {
        throw new UnsupportedOperationException("not yet");
    }
}

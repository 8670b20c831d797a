package org.imaarchiver.jobs.compact;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.compact.CompactionPolicy;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.store.StoreOptions;
import org.imaarchiver.jobs.batch.HostProgress;

/**
 * One compaction run ({@link CompactJobRunner#run}). The identifying part (a rerun of the same
 * command resumes the same job instance) is the store URI, the trust directory's content, the host
 * filter, the policy and the retention; everything else may change between an interrupted run and
 * its resumption.
 *
 * @param storeUri     the archive ({@code file:///...}, a path, or {@code s3://...})
 * @param storeOptions S3 endpoint, credentials etc.
 * @param trustDir     the trust directory; its {@code signers/} must hold the compactor's certificate
 * @param signingKey   signs the compacted manifests
 * @param hosts        only these hosts; empty: every host in the archive
 * @param policy       what is merged (always within one boot)
 * @param retention    which replaced parts must stay
 * @param parallel     hosts compacted at once (the partition thread pool)
 * @param stateDir     the job repository (H2), the lock, per-host result files, the work directory
 * @param fresh        start a new job instance even if the last one with these parameters did not finish
 * @param progress     progress display on stderr
 * @param clock        the minimum-age rule, time-based retention, and the compacted manifests' createdAt
 */
public record CompactJobRequest(String storeUri, StoreOptions storeOptions, Path trustDir, KeyMaterial signingKey,
                                Optional<Set<String>> hosts, CompactionPolicy policy, Retention retention, int parallel,
                                Path stateDir, boolean fresh, HostProgress.Mode progress, Clock clock) {
    /** The manifests' producer. */
    public static final String PRODUCER = "ima-archiver/0.1.0";

    public CompactJobRequest {
        Objects.requireNonNull(storeUri, "storeUri");
        Objects.requireNonNull(storeOptions, "storeOptions");
        Objects.requireNonNull(trustDir, "trustDir");
        Objects.requireNonNull(signingKey, "signingKey");
        Objects.requireNonNull(hosts, "hosts");
        hosts = hosts.map(h -> {
            h.forEach(ArchiveLayout::requireValidHostId);
            return Set.copyOf(new TreeSet<>(h));
        });
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(retention, "retention");
        if (parallel < 1) throw new IllegalArgumentException("parallel < 1");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(progress, "progress");
        Objects.requireNonNull(clock, "clock");
    }

    /** Defaults: every host, {@link CompactionPolicy#defaults()}, no retention, 2 hosts at once, progress AUTO. */
    public static CompactJobRequest of(String storeUri, Path trustDir, KeyMaterial signingKey, Path stateDir) {
        return new CompactJobRequest(storeUri, StoreOptions.defaults(), trustDir, signingKey, Optional.empty(),
                CompactionPolicy.defaults(), new Retention.None(), 2, stateDir, false, HostProgress.Mode.AUTO, Clock.systemUTC());
    }

    /** The default state directory: {@code ~/.cache/ima-archiver/compact-jobs}. */
    public static Path defaultStateDir() {
        return Path.of(System.getProperty("user.home"), ".cache", "ima-archiver", "compact-jobs");
    }

    public CompactJobRequest withStoreOptions(StoreOptions o) {
        return new CompactJobRequest(storeUri, o, trustDir, signingKey, hosts, policy, retention, parallel, stateDir, fresh, progress, clock);
    }

    public CompactJobRequest withHosts(Set<String> h) {
        return new CompactJobRequest(storeUri, storeOptions, trustDir, signingKey, Optional.of(h), policy, retention, parallel, stateDir,
                fresh, progress, clock);
    }

    public CompactJobRequest withPolicy(CompactionPolicy p) {
        return new CompactJobRequest(storeUri, storeOptions, trustDir, signingKey, hosts, p, retention, parallel, stateDir, fresh, progress,
                clock);
    }

    public CompactJobRequest withRetention(Retention r) {
        return new CompactJobRequest(storeUri, storeOptions, trustDir, signingKey, hosts, policy, r, parallel, stateDir, fresh, progress,
                clock);
    }

    public CompactJobRequest withParallel(int hostsAtOnce) {
        return new CompactJobRequest(storeUri, storeOptions, trustDir, signingKey, hosts, policy, retention, hostsAtOnce, stateDir, fresh,
                progress, clock);
    }

    public CompactJobRequest withFresh(boolean f) {
        return new CompactJobRequest(storeUri, storeOptions, trustDir, signingKey, hosts, policy, retention, parallel, stateDir, f, progress,
                clock);
    }

    public CompactJobRequest withProgress(HostProgress.Mode p) {
        return new CompactJobRequest(storeUri, storeOptions, trustDir, signingKey, hosts, policy, retention, parallel, stateDir, fresh, p,
                clock);
    }

    public CompactJobRequest withClock(Clock c) {
        return new CompactJobRequest(storeUri, storeOptions, trustDir, signingKey, hosts, policy, retention, parallel, stateDir, fresh,
                progress, c);
    }
}

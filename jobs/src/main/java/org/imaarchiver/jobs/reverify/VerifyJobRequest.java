package org.imaarchiver.jobs.reverify;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.chain.ExpectedCadence;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.sign.TrustedKeys;
import org.imaarchiver.archive.store.StoreOptions;

/**
 * One bulk re-verification ({@link VerifyJobRunner#run}). The identifying part (what makes a rerun of
 * the same command resume the same job instance) is {@link #storeUri}, the trust directory's
 * content, {@link #hosts}, the window and the receipts directory's content; everything else may
 * change between an interrupted run and its resumption.
 *
 * @param storeUri        the archive ({@code file:///...} or {@code s3://...}, as ArchiveStores opens)
 * @param storeOptions    S3 endpoint, credentials etc.
 * @param trustDir        the trust directory (TrustStore.load)
 * @param hosts           only these hosts (each gets a partition, even without segments); empty: every host
 * @param since           only hosts whose chain head was created at or after this instant
 * @param until           only hosts whose first segment was created at or before this instant
 * @param parallel        hosts verified at once (the partition thread pool; with {@code --workers N}, split
 *                        over the N workers)
 * @param segmentParallel segments of one host verified at once (inside ChainVerifier)
 * @param stateDir        the default job repository (H2 file database), the run lock, scratch space; with
 *                        {@code --workers} the embedded broker's journal and the worker logs
 * @param outputDir       report.json, report.html, summary.txt and receipts/
 * @param receiptKey      signs one verification receipt per host that verified ok; none: no receipts
 * @param sinceReceipts   start each host after its receipt found in this directory (read by this process; in
 *                        distributed mode the manager stores each receipt and its verdict in the job repository
 *                        for the workers: {@link SinceReceiptTable})
 * @param receiptSigners  whose receipts are trusted (with {@code sinceReceipts}); empty: the receipt key's own
 * @param fresh           start a new job instance even if the last one with these parameters did not finish
 * @param progress        progress display on stderr
 * @param clock           gives verifiedAt of the receipts and the reference time of the cadence
 * @param distribution    local (default) or distributed mode: broker, shared job repository, local worker processes
 * @param cadence         how recent each chain's newest segment must be, as of the run's start by {@code clock}
 *                        ({@code stale-chain}); default off
 */
public record VerifyJobRequest(String storeUri, StoreOptions storeOptions, Path trustDir, Optional<Set<String>> hosts,
                               Optional<Instant> since, Optional<Instant> until, int parallel, int segmentParallel,
                               Path stateDir, Path outputDir, Optional<KeyMaterial> receiptKey, Optional<Path> sinceReceipts,
                               Optional<TrustedKeys> receiptSigners, boolean fresh, ProgressMode progress, Clock clock,
                               Distribution distribution, ExpectedCadence cadence) {

    /** How progress is shown. */
    public enum ProgressMode {
        /** A one-line display on a terminal, plain log lines otherwise. */
        AUTO,
        /** Plain log lines every few seconds. */
        LOG,
        /** Nothing. */
        NONE
    }

    public VerifyJobRequest {
        Objects.requireNonNull(storeUri, "storeUri");
        Objects.requireNonNull(storeOptions, "storeOptions");
        Objects.requireNonNull(trustDir, "trustDir");
        Objects.requireNonNull(hosts, "hosts");
        hosts = hosts.map(h -> {
            h.forEach(ArchiveLayout::requireValidHostId);
            return Set.copyOf(new TreeSet<>(h));
        });
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(until, "until");
        if (parallel < 1) throw new IllegalArgumentException("parallel < 1");
        if (segmentParallel < 1) throw new IllegalArgumentException("segmentParallel < 1");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(outputDir, "outputDir");
        Objects.requireNonNull(receiptKey, "receiptKey");
        Objects.requireNonNull(sinceReceipts, "sinceReceipts");
        Objects.requireNonNull(receiptSigners, "receiptSigners");
        Objects.requireNonNull(progress, "progress");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(distribution, "distribution");
        Objects.requireNonNull(cadence, "cadence");
        if (sinceReceipts.isPresent() && receiptSigners.isEmpty() && receiptKey.isEmpty()) {
            throw new IllegalArgumentException("--since-receipt needs receipt signers or the receipt key");
        }
    }

    /** Defaults: every host, parallel = cores, 2 segments per host, no receipts, progress AUTO. */
    public static VerifyJobRequest of(String storeUri, Path trustDir, Path stateDir, Path outputDir) {
        return new VerifyJobRequest(storeUri, StoreOptions.defaults(), trustDir, Optional.empty(), Optional.empty(),
                Optional.empty(), Runtime.getRuntime().availableProcessors(), 2, stateDir, outputDir, Optional.empty(),
                Optional.empty(), Optional.empty(), false, ProgressMode.AUTO, Clock.systemUTC(), Distribution.LOCAL,
                new ExpectedCadence.Off());
    }

    /** The default state directory: {@code ~/.cache/ima-archiver/verify-jobs}. */
    public static Path defaultStateDir() {
        return Path.of(System.getProperty("user.home"), ".cache", "ima-archiver", "verify-jobs");
    }

    public VerifyJobRequest withStoreOptions(StoreOptions o) {
        return new VerifyJobRequest(storeUri, o, trustDir, hosts, since, until, parallel, segmentParallel, stateDir, outputDir,
                receiptKey, sinceReceipts, receiptSigners, fresh, progress, clock, distribution, cadence);
    }

    public VerifyJobRequest withHosts(Set<String> h) {
        return new VerifyJobRequest(storeUri, storeOptions, trustDir, Optional.of(h), since, until, parallel, segmentParallel,
                stateDir, outputDir, receiptKey, sinceReceipts, receiptSigners, fresh, progress, clock, distribution, cadence);
    }

    public VerifyJobRequest withWindow(Optional<Instant> s, Optional<Instant> u) {
        return new VerifyJobRequest(storeUri, storeOptions, trustDir, hosts, s, u, parallel, segmentParallel, stateDir,
                outputDir, receiptKey, sinceReceipts, receiptSigners, fresh, progress, clock, distribution, cadence);
    }

    public VerifyJobRequest withParallel(int hostsAtOnce, int segmentsAtOnce) {
        return new VerifyJobRequest(storeUri, storeOptions, trustDir, hosts, since, until, hostsAtOnce, segmentsAtOnce, stateDir,
                outputDir, receiptKey, sinceReceipts, receiptSigners, fresh, progress, clock, distribution, cadence);
    }

    public VerifyJobRequest withReceiptKey(KeyMaterial key) {
        return new VerifyJobRequest(storeUri, storeOptions, trustDir, hosts, since, until, parallel, segmentParallel, stateDir,
                outputDir, Optional.of(key), sinceReceipts, receiptSigners, fresh, progress, clock, distribution, cadence);
    }

    public VerifyJobRequest withSinceReceipts(Path dir, Optional<TrustedKeys> signers) {
        return new VerifyJobRequest(storeUri, storeOptions, trustDir, hosts, since, until, parallel, segmentParallel, stateDir,
                outputDir, receiptKey, Optional.of(dir), signers, fresh, progress, clock, distribution, cadence);
    }

    public VerifyJobRequest withFresh(boolean f) {
        return new VerifyJobRequest(storeUri, storeOptions, trustDir, hosts, since, until, parallel, segmentParallel, stateDir,
                outputDir, receiptKey, sinceReceipts, receiptSigners, f, progress, clock, distribution, cadence);
    }

    public VerifyJobRequest withProgress(ProgressMode p) {
        return new VerifyJobRequest(storeUri, storeOptions, trustDir, hosts, since, until, parallel, segmentParallel, stateDir,
                outputDir, receiptKey, sinceReceipts, receiptSigners, fresh, p, clock, distribution, cadence);
    }

    public VerifyJobRequest withClock(Clock c) {
        return new VerifyJobRequest(storeUri, storeOptions, trustDir, hosts, since, until, parallel, segmentParallel, stateDir,
                outputDir, receiptKey, sinceReceipts, receiptSigners, fresh, progress, c, distribution, cadence);
    }

    public VerifyJobRequest withCadence(ExpectedCadence c) {
        return new VerifyJobRequest(storeUri, storeOptions, trustDir, hosts, since, until, parallel, segmentParallel, stateDir,
                outputDir, receiptKey, sinceReceipts, receiptSigners, fresh, progress, clock, distribution, c);
    }

    public VerifyJobRequest withDistribution(Distribution d) {
        return new VerifyJobRequest(storeUri, storeOptions, trustDir, hosts, since, until, parallel, segmentParallel, stateDir,
                outputDir, receiptKey, sinceReceipts, receiptSigners, fresh, progress, clock, d, cadence);
    }

    /**
     * Where partitions run and where the job repository lives (docs/operations.md, "Distributed mode").
     *
     * @param broker           a JMS broker URL ({@code tcp://host:61616}): partitions go to remote workers
     *                         ({@code ima-archiver worker}) over it; empty: local threads, or {@code localWorkers}
     * @param jobRepository    a shared JDBC job repository; empty: the H2 file database in the state directory
     * @param localWorkers     with no broker: start an embedded broker on loopback and this many worker JVMs
     *                         on this machine (0: local threads)
     * @param partitionTimeout distributed mode only: stop waiting (the run ends unfinished and resumable) when
     *                         no partition has started or finished for this long; empty: wait
     */
    public record Distribution(Optional<String> broker, Optional<JdbcTarget> jobRepository, int localWorkers,
                               Optional<Duration> partitionTimeout) {
        public static final Distribution LOCAL = new Distribution(Optional.empty(), Optional.empty(), 0);

        public Distribution {
            Objects.requireNonNull(broker, "broker");
            Objects.requireNonNull(jobRepository, "jobRepository");
            if (localWorkers < 0) throw new IllegalArgumentException("localWorkers < 0");
            if (broker.isPresent() && localWorkers > 0) throw new IllegalArgumentException("--workers with --broker: the workers are started separately");
            Objects.requireNonNull(partitionTimeout, "partitionTimeout");
            if (partitionTimeout.isPresent() && (partitionTimeout.get().isNegative() || partitionTimeout.get().isZero())) {
                throw new IllegalArgumentException("partition timeout must be positive");
            }
            if (partitionTimeout.isPresent() && broker.isEmpty() && localWorkers == 0) {
                throw new IllegalArgumentException("a partition timeout needs distributed mode (--broker or --workers)");
            }
        }

        /** No partition timeout: the manager waits for workers as long as it takes. */
        public Distribution(Optional<String> broker, Optional<JdbcTarget> jobRepository, int localWorkers) {
            this(broker, jobRepository, localWorkers, Optional.empty());
        }

        public Distribution withPartitionTimeout(Duration d) {
            return new Distribution(broker, jobRepository, localWorkers, Optional.of(d));
        }

        /** Partitions leave this JVM. */
        public boolean isRemote() { return broker.isPresent() || localWorkers > 0; }
    }

    /**
     * A JDBC database for the job repository. {@link #toString} never shows the password.
     *
     * @param url      {@code jdbc:postgresql://host:5432/db} (or {@code jdbc:h2:...})
     * @param user     empty: the driver's default
     * @param password empty: none
     */
    public record JdbcTarget(String url, Optional<String> user, Optional<String> password) {
        public JdbcTarget {
            Objects.requireNonNull(url, "url");
            if (!url.startsWith("jdbc:")) throw new IllegalArgumentException("not a JDBC URL: " + url);
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(password, "password");
        }

        /** The URL with any {@code password=} parameter masked: the form that is logged. */
        public String redactedUrl() { return url.replaceAll("(?i)(password=)[^&;]*", "$1***"); }

        @Override
        public String toString() {
            return "JdbcTarget[" + redactedUrl() + ", user=" + user.orElse("-") + ", password=" + (password.isPresent() ? "***" : "-") + "]";
        }
    }

    /** Partitions run outside this JVM (distributed mode). */
    public boolean remote() { return distribution.isRemote(); }

    /** The signers whose receipts {@code --since-receipt} accepts. */
    TrustedKeys effectiveReceiptSigners() {
        return receiptSigners.orElseGet(() -> receiptKey.map(k -> TrustedKeys.ofCertificates(java.util.List.of(k.certificate())))
                .orElse(TrustedKeys.none()));
    }
}

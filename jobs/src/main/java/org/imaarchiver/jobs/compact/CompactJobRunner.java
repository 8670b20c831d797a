package org.imaarchiver.jobs.compact;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.imaarchiver.archive.chain.ChainListing;
import org.imaarchiver.archive.chain.ChainVerifier;
import org.imaarchiver.archive.chain.TrustStore;
import org.imaarchiver.archive.compact.CompactionGroup;
import org.imaarchiver.archive.compact.Compactor;
import org.imaarchiver.archive.sign.SegmentSigner;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.ArchiveStores;
import org.imaarchiver.jobs.batch.FrameworkLogging;
import org.imaarchiver.jobs.batch.HostPartitioner;
import org.imaarchiver.jobs.batch.HostProgress;
import org.imaarchiver.jobs.batch.JobIdentity;
import org.imaarchiver.jobs.batch.ResumableLaunch;
import org.imaarchiver.jobs.batch.StateDirLock;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.job.parameters.JobParametersBuilder;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;

/**
 * Runs {@code compactJob} locally: the entry point of {@code ima-archiver compact}.
 *
 * <p>Resumption ({@link ResumableLaunch}): the identifying job parameters are {@value #KEY} (a digest
 * of the store URI, the trust directory's content, the host filter, the policy and the retention) and
 * {@value #RUN}. After a crash the same command restarts the unfinished instance and only hosts whose
 * partitions had not completed are compacted again; the Compactor itself finishes what a crash left
 * (superseded parts, staged leftovers). After a completed run the same command starts a new instance
 * (which usually finds nothing left to merge). A lock file keeps two runs on one state directory apart.
 */
public final class CompactJobRunner {
    static final String KEY = "key";
    static final String RUN = "run";
    static final String LOCK = "compact.lock";

    private final PrintStream err;
    private final HostPartitioner.MaxPartitions maxPartitions;

    public CompactJobRunner() {
        this(System.err);
    }

    public CompactJobRunner(PrintStream err) {
        this(err, HostPartitioner.MaxPartitions.DEFAULT);
    }

    private CompactJobRunner(PrintStream err, HostPartitioner.MaxPartitions maxPartitions) {
        this.err = Objects.requireNonNull(err, "err");
        this.maxPartitions = Objects.requireNonNull(maxPartitions, "maxPartitions");
    }

    /** This runner with another cap on partitions ({@link HostPartitioner}); a resumed instance keeps its plan. */
    public CompactJobRunner withMaxPartitions(int max) {
        return new CompactJobRunner(err, new HostPartitioner.MaxPartitions(max));
    }

    /**
     * Compacts (or resumes compacting) the archive; blocks until the job ends.
     *
     * @throws IOException when the state directory is locked by another run or unusable, or the trust
     *     directory cannot be read; per-host refusals are in the report, per-partition errors leave the
     *     job FAILED (and resumable)
     */
    public CompactJobResult run(CompactJobRequest request) throws IOException {
        FrameworkLogging.quiet();
        try (StateDirLock lock = StateDirLock.acquire(request.stateDir(), LOCK, "compact")) {
            String key = identity(request);
            try (HostProgress progress = HostProgress.of(request.progress(), "compact", "groups", err);
                 AnnotationConfigApplicationContext ctx = context(request, progress, maxPartitions)) {
                JobRepository repository = ctx.getBean(JobRepository.class);
                JobOperator operator = ctx.getBean(JobOperator.class);
                Job job = ctx.getBean(CompactJobConfiguration.JOB, Job.class);
                ResumableLaunch.Launched l = ResumableLaunch.run(repository, operator, job, run -> parameters(request, key, run),
                        request.fresh());
                return result(l.execution(), l.resumed());
            }
        }
    }

    /** One host's plan (dry run): the groups that would be merged and the superseded parts a run would delete first. */
    public record HostPlan(String host, List<CompactionGroup> groups, int superseded) {
        public HostPlan {
            groups = List.copyOf(groups);
        }
    }

    /**
     * The dry run: plans every host under the request's policy and hands each plan to {@code out}, one
     * host at a time. Reads the store only; no job repository, nothing written or deleted.
     */
    public void plan(CompactJobRequest request, Consumer<HostPlan> out) throws IOException {
        try (ArchiveStore store = ArchiveStores.open(request.storeUri(), request.storeOptions())) {
            Path work = request.stateDir().resolve("work");
            Compactor c = new Compactor(store, new ChainVerifier(TrustStore.load(request.trustDir()), 1, work),
                    new SegmentSigner(request.signingKey(), Optional.empty()), work, request.clock(), request.policy(),
                    request.retention().policy(store, request.clock()), CompactJobRequest.PRODUCER);
            try (Stream<String> hosts = new CompactHosts(store, request).hosts()) {
                for (Iterator<String> it = hosts.iterator(); it.hasNext(); ) {
                    String h = it.next();
                    out.accept(new HostPlan(h, c.plan(h), ChainListing.of(store, h).superseded().size()));
                }
            } catch (java.io.UncheckedIOException e) {
                throw e.getCause();
            }
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot close the store: " + e.getMessage(), e);
        }
    }

    private static CompactJobResult result(JobExecution execution, boolean resumed) {
        Path runDir = Path.of(execution.getJobParameters().getString(CompactJobConfiguration.RUN_DIR));
        Optional<StepExecution> report = execution.getStepExecutions().stream()
                .filter(s -> s.getStepName().equals(CompactJobConfiguration.REPORT_STEP) && s.getStatus() == BatchStatus.COMPLETED)
                .findFirst();
        Optional<CompactJobResult.Counts> counts = report.map(s -> {
            ExecutionContext c = s.getExecutionContext();
            return new CompactJobResult.Counts(c.getLong("hosts"), c.getLong("hostsCompacted"), c.getLong("hostsNotVerified"),
                    c.getLong("hostsStoreProblem"), c.getLong("groupsCompacted"), c.getLong("records"));
        });
        String summary;
        if (counts.isPresent()) {
            CompactJobResult.Counts c = counts.get();
            summary = "compact: " + c.hostsCompacted() + " of " + c.hosts() + " host(s) compacted, " + c.groupsCompacted() + " group(s), "
                    + c.records() + " records" + (c.hostsNotVerified() > 0 ? ", " + c.hostsNotVerified() + " not verified" : "")
                    + (c.hostsStoreProblem() > 0 ? ", " + c.hostsStoreProblem() + " store problem(s)" : "");
        } else {
            StringBuilder sb = new StringBuilder("compaction incomplete (" + execution.getStatus()
                    + "): run the same command again to resume; every chain still verifies\n");
            execution.getStepExecutions().stream().filter(s -> s.getStatus() == BatchStatus.FAILED).limit(20)
                    .forEach(s -> sb.append("  ").append(s.getStepName()).append(": ")
                            .append(firstLine(s.getExitStatus().getExitDescription())).append('\n'));
            summary = sb.toString();
        }
        return new CompactJobResult(execution.getJobInstance().getInstanceId(), execution.getId(), resumed,
                execution.getStatus().name(), counts, runDir.resolve(CompactReportWriter.JSON), runDir.resolve(CompactReportWriter.SUMMARY),
                summary);
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static AnnotationConfigApplicationContext context(CompactJobRequest request, HostProgress progress,
                                                              HostPartitioner.MaxPartitions maxPartitions) {
        AnnotationConfigApplicationContext ctx = new AnnotationConfigApplicationContext();
        ctx.registerBean(CompactJobRequest.class, () -> request);
        ctx.registerBean(HostProgress.class, () -> progress);
        ctx.registerBean(HostPartitioner.MaxPartitions.class, () -> maxPartitions);
        ctx.register(CompactJobConfiguration.class);
        ctx.refresh();
        return ctx;
    }

    /** The identifying parameters plus where this instance keeps its results and report. */
    static JobParameters parameters(CompactJobRequest request, String key, long run) {
        Path runDir = request.stateDir().resolve("runs").resolve(key.substring(0, 16) + "-" + run);
        return new JobParametersBuilder()
                .addString(KEY, key, true)
                .addLong(RUN, run, true)
                .addString(CompactJobConfiguration.RUN_DIR, runDir.toAbsolutePath().toString(), false)
                .toJobParameters();
    }

    /** SHA-256 over what makes two commands "the same run" (see the class comment). */
    static String identity(CompactJobRequest request) throws IOException {
        return new JobIdentity()
                .line("store " + request.storeUri())
                .line("trust " + JobIdentity.treeDigest(request.trustDir()))
                .line("hosts " + request.hosts().map(h -> String.join(",", h.stream().sorted().toList())).orElse("*"))
                .line("policy " + CompactReportWriter.policyJson(request))
                .line("retention " + request.retention().id())
                .hex();
    }
}

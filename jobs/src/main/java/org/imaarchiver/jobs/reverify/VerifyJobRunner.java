package org.imaarchiver.jobs.reverify;

import org.imaarchiver.archive.chain.ChainVerifier;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.imaarchiver.archive.chain.ExpectedCadence;
import org.imaarchiver.jobs.batch.FrameworkLogging;
import org.imaarchiver.jobs.batch.HostPartitioner;
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
 * Runs {@code reverifyJob}: the entry point of {@code ima-archiver verify} for bulk runs. Local mode
 * runs the partitions on threads; distributed mode ({@link VerifyJobRequest.Distribution}) sends
 * them over a broker to {@link VerifyWorker}s sharing the job repository, or first starts an
 * embedded broker and local worker JVMs ({@link LocalWorkers}).
 *
 * <p>Resumption: the identifying job parameters are {@value #KEY} (a digest of the store URI, the
 * trust directory's content, the host filter, the window, the receipts directory's content and the
 * cadence)
 * and {@value #RUN}. The same command finds the last instance with that key: if its last execution
 * did not complete (failed, or left STARTED by a crash or Ctrl-C), it is restarted and Batch re-runs
 * only the host partitions that did not complete; if it completed, a new instance ({@code run + 1})
 * verifies everything again. A lock file in the state directory keeps two runs apart, so an
 * execution found STARTED while we hold the lock is a dead run's and is recovered (marked FAILED).
 */
public final class VerifyJobRunner {
    static final String KEY = "key";
    static final String RUN = "run";
    /** Non-identifying: the {@link ResultTable} rows of this instance ({@code <key prefix>-<run>}). */
    static final String RESULT_SET = "resultSet";
    /** Non-identifying: the archive the workers read. */
    static final String STORE_URI = "storeUri";
    /** Non-identifying: the digest of the manager's trust directory, which every worker must match. */
    static final String TRUST_DIGEST = "trustDigest";
    /** Non-identifying (the key covers it): the window, for range partitions' workers; "" = open. */
    static final String SINCE = "since";
    static final String UNTIL = "until";
    /** Non-identifying (the key covers it): the expected cadence ({@link ExpectedCadence#id}) and the reference time it is checked at. */
    static final String CADENCE = "cadence";
    static final String AS_OF = "asOf";
    /** Non-identifying (the key covers it): {@link ChainVerifier.BootClosure} by name; absent in older instances = WARN. */
    static final String BOOT_CLOSURE = "bootClosure";

    private final HostVerification.HostListener listener;
    private final PrintStream err;
    private final Duration progressEvery;
    private final HostPartitioner.MaxPartitions maxPartitions;
    private final ChainSplittingPartitioner.SegmentsPerPartition segmentsPerPartition;
    private final ChainVerifier.BootClosure bootClosure;

    public VerifyJobRunner() {
        this(System.err);
    }

    /** Progress lines and "waiting for the lock" go to {@code err}. */
    public VerifyJobRunner(PrintStream err) {
        this(HostVerification.HostListener.NONE, err);
    }

    VerifyJobRunner(HostVerification.HostListener listener, PrintStream err) {
        this(listener, err, Duration.ofSeconds(10));
    }

    /** @param progressEvery the interval of plain progress lines (tests make it short) */
    VerifyJobRunner(HostVerification.HostListener listener, PrintStream err, Duration progressEvery) {
        this(listener, err, progressEvery, HostPartitioner.MaxPartitions.DEFAULT, ChainSplittingPartitioner.SegmentsPerPartition.DEFAULT,
                ChainVerifier.BootClosure.WARN);
    }

    private VerifyJobRunner(HostVerification.HostListener listener, PrintStream err, Duration progressEvery,
                            HostPartitioner.MaxPartitions maxPartitions, ChainSplittingPartitioner.SegmentsPerPartition segmentsPerPartition,
                            ChainVerifier.BootClosure bootClosure) {
        this.listener = Objects.requireNonNull(listener, "listener");
        this.err = Objects.requireNonNull(err, "err");
        this.progressEvery = Objects.requireNonNull(progressEvery, "progressEvery");
        this.maxPartitions = Objects.requireNonNull(maxPartitions, "maxPartitions");
        this.segmentsPerPartition = Objects.requireNonNull(segmentsPerPartition, "segmentsPerPartition");
        this.bootClosure = Objects.requireNonNull(bootClosure, "bootClosure");
    }

    /**
     * This runner with another policy for boots not closed by the run at shutdown ({@code --require-closed-boots}:
     * they fail their host; by default they are warnings). docs/archive-format.md §13 step 7.
     */
    public VerifyJobRunner withBootClosure(ChainVerifier.BootClosure policy) {
        return new VerifyJobRunner(listener, err, progressEvery, maxPartitions, segmentsPerPartition, policy);
    }

    /**
     * This runner with another limit on chain segments per partition: a longer chain is verified as
     * several partitions of consecutive segment ranges ({@link ChainSplittingPartitioner}).
     */
    public VerifyJobRunner withSegmentsPerPartition(int n) {
        return new VerifyJobRunner(listener, err, progressEvery, maxPartitions, new ChainSplittingPartitioner.SegmentsPerPartition(n),
                bootClosure);
    }

    /**
     * This runner with another cap on partitions: above {@code max} hosts a partition covers a range
     * of hosts ({@link HostPartitioner}). Applies to new job instances; a resumed one keeps its plan.
     */
    public VerifyJobRunner withMaxPartitions(int max) {
        return new VerifyJobRunner(listener, err, progressEvery, new HostPartitioner.MaxPartitions(max), segmentsPerPartition, bootClosure);
    }

    /**
     * Verifies (or resumes verifying) the archive; blocks until the job ends.
     *
     * <p>When another run (another process) holds the state directory's lock, this waits for it and
     * says so on the error stream: two runs over one job repository cannot overlap, and a second
     * command (cron next to an operator) should queue rather than fail.
     *
     * @throws IOException when the state directory is unusable, or the trust
     *     directory cannot be read; per-host problems are in the report, per-partition errors leave
     *     the job FAILED (and resumable)
     */
    public VerifyJobResult run(VerifyJobRequest request) throws IOException {
        FrameworkLogging.quiet();
        try (StateDirLock lock = StateDirLock.acquireWaiting(request.stateDir(), "verify.lock", "verify", err)) {
            String key = identity(request, bootClosure);
            String trust = JobIdentity.treeDigest(request.trustDir());
            try (LocalWorkers local = LocalWorkers.start(request, err)) {
                Optional<String> broker = local.brokerUrl().or(() -> request.distribution().broker());
                if (broker.isPresent()) VerifyWorker.checkBroker(broker.get());
                // Distributed mode too: the manager's partition handler feeds it from the job repository.
                try (Progress progress = Progress.of(request.progress(), err, progressEvery);
                     AnnotationConfigApplicationContext ctx = context(request, progress, broker)) {
                    return run(request, key, trust, ctx);
                }
            }
        }
    }

    private VerifyJobResult run(VerifyJobRequest request, String key, String trust, AnnotationConfigApplicationContext ctx) throws IOException {
        JobRepository repository = ctx.getBean(JobRepository.class);
        JobOperator operator = ctx.getBean(JobOperator.class);
        Job job = ctx.getBean(ReverifyManagerConfiguration.JOB, Job.class);
        ResumableLaunch.Launched l = ResumableLaunch.run(repository, operator, job, run -> parameters(request, key, run, trust, bootClosure),
                request.fresh());
        VerifyJobResult result = result(request, l.execution(), l.resumed());
        if (result.completed()) deleteResults(ctx.getBean(DataSource.class), l.execution());
        return result;
    }

    /**
     * The result rows of a completed instance are in its reports now, and a completed instance is
     * never resumed (the next identical command starts {@code run + 1}): without this the job
     * repository would keep a row per host and run forever.
     */
    private static void deleteResults(DataSource dataSource, JobExecution execution) {
        String set = execution.getJobParameters().getString(RESULT_SET);
        if (set == null) return;
        try {
            ResultTable results = new ResultTable(dataSource, set);
            results.deleteAll();
            results.sinceReceipts().deleteAll();
        } catch (IOException e) {
            // best effort: a leftover costs space, not correctness
        }
    }

    /** Refuses, before a run, an output directory where a report file is something a run must not replace. */
    public static void requireReplaceableOutput(Path outputDir) throws org.imaarchiver.archive.io.UnsafeOutputException {
        ReportWriter.requireReplaceable(outputDir);
    }

    private static VerifyJobResult result(VerifyJobRequest request, JobExecution execution, boolean resumed) {
        Path out = request.outputDir();
        Optional<StepExecution> report = execution.getStepExecutions().stream()
                .filter(s -> s.getStepName().equals(ReverifyManagerConfiguration.REPORT_STEP) && s.getStatus() == BatchStatus.COMPLETED)
                .findFirst();
        Optional<VerifyJobResult.ReportCounts> counts = report.map(s -> {
            ExecutionContext c = s.getExecutionContext();
            return new VerifyJobResult.ReportCounts(c.getLong("hosts"), c.getLong("failedHosts"), c.getLong("segments"),
                    c.getLong("records"), c.getLong("failures"));
        });
        String summary;
        if (report.isPresent()) {
            summary = report.get().getExecutionContext().getString("summary");
        } else {
            StringBuilder sb = new StringBuilder("verification incomplete (" + execution.getStatus()
                    + "): run the same command again to resume\n");
            execution.getStepExecutions().stream().filter(s -> s.getStatus() == BatchStatus.FAILED).limit(20)
                    .forEach(s -> sb.append("  ").append(s.getStepName()).append(": ")
                            .append(withoutExceptionName(firstLine(s.getExitStatus().getExitDescription()))).append('\n'));
            summary = sb.toString();
        }
        return new VerifyJobResult(execution.getJobInstance().getInstanceId(), execution.getId(), resumed,
                execution.getStatus().name(), counts, out.resolve(ReportWriter.JSON), out.resolve(ReportWriter.HTML),
                HostVerification.receiptsDir(request), summary);
    }

    /** "org.x.SomeException: message" (a stack trace's first line) as "message". */
    static String withoutExceptionName(String line) {
        return line.replaceFirst("^(?:[\\w$]+\\.)*[\\w$]+(?:Exception|Error): ", "");
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Local mode: manager and worker step in this context; distributed: the manager and the JMS partition handler. */
    private AnnotationConfigApplicationContext context(VerifyJobRequest request, Progress progress, Optional<String> broker)
            throws IOException {
        AnnotationConfigApplicationContext ctx = new AnnotationConfigApplicationContext();
        ctx.registerBean(VerifyJobRequest.class, () -> request);
        ctx.registerBean(ReverifyInfrastructure.RepositoryDb.class, () -> ReverifyInfrastructure.RepositoryDb.of(request));
        ctx.registerBean(Progress.class, () -> progress);
        ctx.registerBean(HostPartitioner.MaxPartitions.class, () -> maxPartitions);
        ctx.registerBean(ChainSplittingPartitioner.SegmentsPerPartition.class, () -> segmentsPerPartition);
        ctx.registerBean(HostVerification.HostListener.class, () -> listener);
        ctx.register(ReverifyInfrastructure.class, ReverifyManagerConfiguration.class);
        if (broker.isPresent()) {
            ctx.registerBean(RemotePartitioningManager.Broker.class, () -> new RemotePartitioningManager.Broker(broker.get(),
                    workerHint(request, broker.get())));
            ctx.register(RemotePartitioningManager.class);
        } else {
            String trust = JobIdentity.treeDigest(request.trustDir());
            ctx.registerBean(ReverifyWorkerConfiguration.TrustDigest.class, () -> new ReverifyWorkerConfiguration.TrustDigest(trust));
            ctx.register(ReverifyWorkerConfiguration.class, ReverifyManagerConfiguration.LocalPartitioning.class);
        }
        try {
            ctx.refresh();
        } catch (RuntimeException e) {
            ctx.close();
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof IOException io) throw io;
            }
            throw e;
        }
        return ctx;
    }

    /** What the "waiting for workers" line suggests. */
    static String workerHint(VerifyJobRequest request, String brokerUrl) {
        if (request.distribution().localWorkers() > 0) {
            return "the " + request.distribution().localWorkers() + " local worker process(es) are not taking partitions: see "
                    + request.stateDir().resolve("worker-<i>.log");
        }
        return "start one with `ima-archiver worker --broker " + brokerUrl + " --job-repository "
                + request.distribution().jobRepository().map(VerifyJobRequest.JdbcTarget::redactedUrl).orElse("JDBC-URL")
                + " --trust " + request.trustDir() + "`";
    }

    /** The identifying parameters plus what the workers need to find the store and the results. */
    static JobParameters parameters(VerifyJobRequest request, String key, long run, String trustDigest, ChainVerifier.BootClosure bootClosure) {
        return new JobParametersBuilder()
                .addString(KEY, key, true)
                .addLong(RUN, run, true)
                .addString(RESULT_SET, key.substring(0, 16) + "-" + run, false)
                .addString(STORE_URI, request.storeUri(), false)
                .addString(TRUST_DIGEST, trustDigest, false)
                .addString(SINCE, request.since().map(Object::toString).orElse(""), false)
                .addString(UNTIL, request.until().map(Object::toString).orElse(""), false)
                // A resumed run keeps its first execution's parameters: the cadence is checked as of the run's start.
                .addString(CADENCE, request.cadence().id(), false)
                .addString(AS_OF, request.clock().instant().toString(), false)
                .addString(BOOT_CLOSURE, bootClosure.name(), false)
                .toJobParameters();
    }

    /**
     * SHA-256 over what makes two commands "the same run" (see the class comment); a run requiring
     * closed boots is another run (the default keeps the older keys).
     */
    static String identity(VerifyJobRequest request, ChainVerifier.BootClosure bootClosure) throws IOException {
        JobIdentity id = new JobIdentity()
                .line("store " + request.storeUri())
                .line("trust " + JobIdentity.treeDigest(request.trustDir()))
                .line("hosts " + request.hosts().map(h -> String.join(",", h.stream().sorted().toList())).orElse("*"))
                .line("since " + request.since().map(Object::toString).orElse("-"))
                .line("until " + request.until().map(Object::toString).orElse("-"))
                .line("receipts " + (request.sinceReceipts().isPresent() ? JobIdentity.treeDigest(request.sinceReceipts().get()) : "-"));
        // Only when set, so the runs of earlier versions (no cadence) keep their identity and resume.
        if (!(request.cadence() instanceof ExpectedCadence.Off)) id.line("cadence " + request.cadence().id());
        if (bootClosure != ChainVerifier.BootClosure.WARN) id.line("boots " + bootClosure.name());
        return id.hex();
    }
}

package org.imaarchiver.jobs.reverify;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInstance;
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
 * trust directory's content, the host filter, the window and the receipts directory's content)
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

    private final HostVerification.HostListener listener;
    private final PrintStream err;

    public VerifyJobRunner() {
        this(HostVerification.HostListener.NONE, System.err);
    }

    VerifyJobRunner(HostVerification.HostListener listener, PrintStream err) {
        this.listener = Objects.requireNonNull(listener, "listener");
        this.err = Objects.requireNonNull(err, "err");
    }

    /**
     * Verifies (or resumes verifying) the archive; blocks until the job ends.
     *
     * @throws IOException when the state directory is locked by another run or unusable, or the trust
     *     directory cannot be read; per-host problems are in the report, per-partition errors leave
     *     the job FAILED (and resumable)
     */
    public VerifyJobResult run(VerifyJobRequest request) throws IOException {
        quietFrameworkLogging();
        Files.createDirectories(request.stateDir());
        try (FileChannel lockFile = FileChannel.open(request.stateDir().resolve("verify.lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock lock = lockFile.tryLock()) {
            if (lock == null) throw new IOException("another verify run is using the state directory " + request.stateDir());
            String key = identity(request);
            String trust = treeDigest(request.trustDir());
            try (LocalWorkers local = LocalWorkers.start(request, err)) {
                Optional<String> broker = local.brokerUrl().or(() -> request.distribution().broker());
                if (broker.isPresent()) VerifyWorker.checkBroker(broker.get());
                try (Progress progress = Progress.of(request.remote() ? VerifyJobRequest.ProgressMode.NONE : request.progress(), err);
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
        long run = 1;
        Optional<JobExecution> unfinished = Optional.empty();
        while (true) {
            JobInstance instance = repository.getJobInstance(ReverifyManagerConfiguration.JOB, parameters(request, key, run, trust));
            if (instance == null) break;
            JobExecution last = repository.getLastJobExecution(instance);
            if (last != null && last.getStatus().isRunning()) last = recover(repository, operator, instance, last); // a dead run's (we hold the lock)
            if (last == null || last.getStatus() == BatchStatus.COMPLETED || last.getStatus() == BatchStatus.ABANDONED) {
                run++;
                continue;
            }
            if (request.fresh()) {
                try {
                    operator.abandon(last);
                } catch (org.springframework.batch.core.launch.JobExecutionAlreadyRunningException e) {
                    throw new IllegalStateException("recovered execution still running", e);
                }
                run++;
                continue;
            }
            unfinished = Optional.of(last);
            break;
        }
        JobExecution execution;
        try {
            execution = unfinished.isPresent() ? operator.restart(unfinished.get()) : operator.start(job, parameters(request, key, run, trust));
        } catch (Exception e) {
            throw new IOException("cannot start " + ReverifyManagerConfiguration.JOB + ": " + e.getMessage(), e);
        }
        return result(request, execution, unfinished.isPresent());
    }

    /**
     * Marks a dead manager's execution and its running partitions FAILED. In distributed mode the
     * workers may still be finishing partitions of that execution meanwhile; a concurrent update of
     * one makes recover's update fail on the version check: re-read and recover again.
     */
    private static JobExecution recover(JobRepository repository, JobOperator operator, JobInstance instance, JobExecution last) {
        for (int attempt = 1; ; attempt++) {
            try {
                return operator.recover(last);
            } catch (org.springframework.dao.OptimisticLockingFailureException e) {
                if (attempt >= 20) throw e;
                try {
                    Thread.sleep(100L * attempt);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                last = repository.getLastJobExecution(instance);
                if (last == null || !last.getStatus().isRunning()) return last;
            }
        }
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
                            .append(firstLine(s.getExitStatus().getExitDescription())).append('\n'));
            summary = sb.toString();
        }
        return new VerifyJobResult(execution.getJobInstance().getInstanceId(), execution.getId(), resumed,
                execution.getStatus().name(), counts, out.resolve(ReportWriter.JSON), out.resolve(ReportWriter.HTML),
                HostVerification.receiptsDir(request), summary);
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
        ctx.registerBean(HostVerification.HostListener.class, () -> listener);
        ctx.register(ReverifyInfrastructure.class, ReverifyManagerConfiguration.class);
        if (broker.isPresent()) {
            ctx.registerBean(RemotePartitioningManager.Broker.class, () -> new RemotePartitioningManager.Broker(broker.get()));
            ctx.register(RemotePartitioningManager.class);
        } else {
            String trust = treeDigest(request.trustDir());
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

    /** The identifying parameters plus what the workers need to find the store and the results. */
    static JobParameters parameters(VerifyJobRequest request, String key, long run, String trustDigest) {
        return new JobParametersBuilder()
                .addString(KEY, key, true)
                .addLong(RUN, run, true)
                .addString(RESULT_SET, key.substring(0, 16) + "-" + run, false)
                .addString(STORE_URI, request.storeUri(), false)
                .addString(TRUST_DIGEST, trustDigest, false)
                .toJobParameters();
    }

    /** SHA-256 over what makes two commands "the same run" (see the class comment). */
    static String identity(VerifyJobRequest request) throws IOException {
        MessageDigest md = HashAlgorithm.SHA256.newDigest();
        line(md, "store " + request.storeUri());
        line(md, "trust " + treeDigest(request.trustDir()));
        line(md, "hosts " + request.hosts().map(h -> String.join(",", h.stream().sorted().toList())).orElse("*"));
        line(md, "since " + request.since().map(Object::toString).orElse("-"));
        line(md, "until " + request.until().map(Object::toString).orElse("-"));
        line(md, "receipts " + (request.sinceReceipts().isPresent() ? treeDigest(request.sinceReceipts().get()) : "-"));
        return HexFormat.of().formatHex(md.digest());
    }

    private static void line(MessageDigest md, String s) { md.update((s + "\n").getBytes(StandardCharsets.UTF_8)); }

    /** Digest of every regular file under {@code dir}: relative path and content digest, in path order. */
    static String treeDigest(Path dir) throws IOException {
        MessageDigest md = HashAlgorithm.SHA256.newDigest();
        try (Stream<Path> s = Files.walk(dir)) {
            List<Path> files = s.filter(Files::isRegularFile).sorted().toList();
            for (Path f : files) {
                MessageDigest fd = HashAlgorithm.SHA256.newDigest();
                fd.update(Files.readAllBytes(f));
                line(md, dir.relativize(f) + " " + HexFormat.of().formatHex(fd.digest()));
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Framework loggers at WARN unless the application configured them (no logback.xml is ours to ship). */
    static void quietFrameworkLogging() {
        if (!(LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext lc)) return;
        for (String name : List.of("org.springframework", "com.zaxxer.hikari", "org.h2", "org.apache.activemq", "io.netty", "org.postgresql",
                "org.jboss.logging")) {
            ch.qos.logback.classic.Logger l = lc.getLogger(name);
            if (l.getLevel() == null) l.setLevel(ch.qos.logback.classic.Level.WARN);
        }
    }
}

package org.imaarchiver.jobs.reverify;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.partition.StepExecutionSplitter;
import org.springframework.batch.core.partition.support.AbstractPartitionHandler;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.integration.partition.StepExecutionRequest;
import org.springframework.dao.OptimisticLockingFailureException;
import org.springframework.integration.core.MessagingTemplate;
import org.springframework.messaging.support.MessageBuilder;

/**
 * Distributed mode, the manager's partition handler: sends one request per partition step execution
 * (in host order) and then polls the shared job repository until every partition has finished, as
 * Batch's {@code MessageChannelPartitionHandler} with a job repository does, plus what an operator
 * needs from a manager whose work happens in other processes:
 * <ul>
 *   <li><b>receipts</b>: with {@code --since-receipt}, before anything is sent, the receipts directory
 *       is read and each host's receipt and verdict stored for the workers ({@link SinceReceiptTable});
 *   <li><b>progress</b>: each poll sets the progress display from the result rows stored since the
 *       handler started ({@link ResultTable#totals}: hosts, failed hosts, segments, records), and
 *       watches the partitions by this execution's step statuses; one aggregate query each, not a
 *       load of every step execution;
 *   <li><b>waiting</b>: when no partition has started or finished for {@link #NOTICE_EVERY} (or half
 *       the partition timeout, if sooner), a line says how many partitions are waiting and how to
 *       start workers, again at that interval;
 *   <li><b>partition timeout</b>: when no partition has started or finished for the timeout, every
 *       unfinished partition is marked FAILED (as a restart's recovery would: a worker still inside one
 *       loses its update on the version check, a stale request for one is skipped) and the step fails
 *       with {@link PartitionTimeoutException}: the run ends unfinished, and the same command resumes
 *       it, sending requests only for the partitions that did not complete.
 * </ul>
 */
final class RemotePartitionHandler extends AbstractPartitionHandler {
    /** How often the repository is polled. */
    static final long POLL_MILLIS = 500;
    /** Silence after which the manager says it is waiting for workers. */
    static final Duration NOTICE_EVERY = Duration.ofSeconds(30);

    /** The manager stopped waiting: {@code notDone} of {@code total} partitions had not finished. */
    static final class PartitionTimeoutException extends Exception {
        PartitionTimeoutException(long notDone, long total, Duration timeout) {
            super(notDone + " of " + total + " partitions not done: none started or finished for " + human(timeout)
                    + " (--partition-timeout); start workers and run the same command again to resume");
        }
    }

    /** Partition statuses of one job execution. */
    record Counts(long queued, long running, long finished) {
        long started(long total) { return total - queued; }
    }

    private final MessagingTemplate requests;
    private final String stepName;
    private final JobRepository jobRepository;
    private final DataSource dataSource;
    private final VerifyJobRequest request;
    private final Progress progress;
    private final String workerHint;

    /**
     * @param stepName   the worker step ({@code verifyChain}); its partitions are {@code verifyChain:<name>}
     * @param workerHint how to give this manager workers, for the waiting line
     */
    RemotePartitionHandler(MessagingTemplate requests, String stepName, JobRepository jobRepository, DataSource dataSource,
                           VerifyJobRequest request, Progress progress, String workerHint) {
        this.requests = Objects.requireNonNull(requests, "requests");
        this.stepName = Objects.requireNonNull(stepName, "stepName");
        this.jobRepository = Objects.requireNonNull(jobRepository, "jobRepository");
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.request = Objects.requireNonNull(request, "request");
        this.progress = Objects.requireNonNull(progress, "progress");
        this.workerHint = Objects.requireNonNull(workerHint, "workerHint");
    }

    @Override
    public Collection<StepExecution> handle(StepExecutionSplitter splitter, StepExecution manager) throws Exception {
        // Receipts first: a receipts directory that cannot be read fails the run before any request is sent.
        if (request.sinceReceipts().isPresent()) {
            Optional<Set<String>> hosts = request.hosts();
            resultTable(manager).sinceReceipts().fill(request.sinceReceipts().get(), request.effectiveReceiptSigners(),
                    h -> hosts.map(s -> s.contains(h)).orElse(true), Math.max(2, Runtime.getRuntime().availableProcessors()));
        }
        return super.handle(splitter, manager);
    }

    @Override
    protected Set<StepExecution> doHandle(StepExecution manager, Set<StepExecution> partitions) throws Exception {
        if (partitions.isEmpty()) return partitions;
        ResultTable results = resultTable(manager);
        Map<String, Integer> partsOf = partsOf(manager);
        ResultTable.Totals base = results.totals(partsOf); // rows of earlier executions of this instance
        List<StepExecution> ordered = partitions.stream().sorted(Comparator.comparing(StepExecution::getStepName)).toList();
        for (StepExecution p : ordered) {
            requests.send(MessageBuilder.withPayload(new StepExecutionRequest(stepName, p.getId())).build());
        }
        long jobExecutionId = manager.getJobExecutionId();
        try {
            return await(jobExecutionId, partitions, results, partsOf, base);
        } catch (PartitionTimeoutException e) {
            throw e;
        } catch (Exception e) {
            // The repository became unreachable, or this thread was interrupted: leave no partition
            // STARTING or STARTED behind, or the restart would refuse to re-create it.
            try {
                failUnfinished(jobExecutionId, "not done when the manager stopped: " + e);
            } catch (IOException | RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    private Set<StepExecution> await(long jobExecutionId, Set<StepExecution> partitions, ResultTable results,
                                     Map<String, Integer> partsOf, ResultTable.Totals base) throws Exception {
        long total = partitions.size();
        Optional<Duration> timeout = request.distribution().partitionTimeout();
        long noticeNanos = timeout.map(t -> Math.min(NOTICE_EVERY.toNanos(), t.toNanos() / 2)).orElse(NOTICE_EVERY.toNanos());
        long lastChange = System.nanoTime();
        long lastNotice = lastChange;
        Counts last = new Counts(total, 0, 0);
        while (true) {
            Thread.sleep(POLL_MILLIS);
            Counts c = counts(jobExecutionId);
            // Hosts from the result rows, not from partitions (a partition could cover several hosts).
            ResultTable.Totals t = results.totals(partsOf).minus(base);
            progress.set(t.hosts(), t.failedHosts(), t.segments(), t.records());
            if (c.finished() >= total) break;
            long now = System.nanoTime();
            if (c.queued() != last.queued() || c.finished() != last.finished()) {
                last = c;
                lastChange = now;
                lastNotice = now;
                continue;
            }
            Duration idle = Duration.ofNanos(now - lastChange);
            if (timeout.isPresent() && idle.compareTo(timeout.get()) >= 0) {
                failUnfinished(jobExecutionId, "not done when the manager stopped waiting (--partition-timeout " + human(timeout.get()) + ")");
                throw new PartitionTimeoutException(total - c.finished(), total, timeout.get());
            }
            if (now - lastNotice >= noticeNanos) {
                lastNotice = now;
                progress.note("verify: waiting for workers: " + c.started(total) + " of " + total + " partitions started, " + c.finished()
                        + " done, none started or finished for " + human(idle) + "; " + workerHint
                        + timeout.map(d -> " (giving up after " + human(d) + " without progress: --partition-timeout)").orElse(""));
            }
        }
        // As Batch's handler: the partitions' final state, once, from the repository.
        Set<Long> ids = partitions.stream().map(StepExecution::getId).collect(Collectors.toSet());
        return jobRepository.getJobExecution(jobExecutionId).getStepExecutions().stream().filter(s -> ids.contains(s.getId()))
                .collect(Collectors.toSet());
    }

    /** The number of parts of each host split into segment ranges (the cuts in the manager's context). */
    private static Map<String, Integer> partsOf(StepExecution manager) {
        if (!manager.getExecutionContext().containsKey(ChainSplittingPartitioner.SPLITS)) return Map.of();
        Map<String, Integer> parts = new HashMap<>();
        ChainSplittingPartitioner.decode(manager.getExecutionContext().getString(ChainSplittingPartitioner.SPLITS))
                .forEach((host, ranges) -> parts.put(host, ranges.size()));
        return parts;
    }

    private ResultTable resultTable(StepExecution manager) {
        String set = manager.getJobParameters().getString(VerifyJobRunner.RESULT_SET);
        if (set == null) throw new IllegalStateException("job parameter " + VerifyJobRunner.RESULT_SET + " missing");
        return new ResultTable(dataSource, set);
    }

    /** One aggregate query over this execution's partitions (Batch's schema, {@code BATCH_STEP_EXECUTION}). */
    Counts counts(long jobExecutionId) throws IOException {
        long queued = 0, running = 0, finished = 0;
        try (Connection c = dataSource.getConnection();
             PreparedStatement q = c.prepareStatement("SELECT STATUS, COUNT(*) FROM BATCH_STEP_EXECUTION"
                     + " WHERE JOB_EXECUTION_ID = ? AND STEP_NAME LIKE ? GROUP BY STATUS")) {
            q.setLong(1, jobExecutionId);
            q.setString(2, stepName + ":%");
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    BatchStatus status = BatchStatus.valueOf(rs.getString(1));
                    long n = rs.getLong(2);
                    if (status == BatchStatus.STARTING) queued += n;
                    else if (status.isRunning()) running += n;
                    else finished += n;
                }
            }
        } catch (SQLException e) {
            throw new IOException("cannot read the partition statuses from the job repository: " + e.getMessage(), e);
        }
        return new Counts(queued, running, finished);
    }

    /**
     * Marks this execution's unfinished partitions FAILED, so the restart re-creates them (Batch refuses
     * to restart a step left STARTING or STARTED) and workers skip their queued requests.
     */
    private void failUnfinished(long jobExecutionId, String why) throws IOException {
        List<Long> ids = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement q = c.prepareStatement("SELECT STEP_EXECUTION_ID FROM BATCH_STEP_EXECUTION WHERE JOB_EXECUTION_ID = ?"
                     + " AND STEP_NAME LIKE ? AND STATUS IN ('STARTING', 'STARTED', 'STOPPING')")) {
            q.setLong(1, jobExecutionId);
            q.setString(2, stepName + ":%");
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) ids.add(rs.getLong(1));
            }
        } catch (SQLException e) {
            throw new IOException("cannot read the partition statuses from the job repository: " + e.getMessage(), e);
        }
        for (long id : ids) {
            for (int attempt = 1; attempt <= 5; attempt++) {
                StepExecution se = jobRepository.getStepExecution(id);
                if (se == null || !se.getStatus().isRunning()) break;
                se.setStatus(BatchStatus.FAILED);
                se.setExitStatus(ExitStatus.FAILED.addExitDescription(why));
                se.setEndTime(LocalDateTime.now());
                try {
                    jobRepository.update(se);
                    break;
                } catch (OptimisticLockingFailureException e) {
                    // a worker updated it meanwhile: look again
                }
            }
        }
    }

    static String human(Duration d) {
        long s = d.toSeconds();
        if (s < 120) return s + " s";
        if (s < 7200) return (s / 60) + " min";
        return (s / 3600) + " h";
    }
}

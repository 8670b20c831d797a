package org.imaarchiver.jobs.reverify;

import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.integration.partition.StepExecutionRequest;
import org.springframework.batch.integration.partition.StepExecutionRequestHandler;

/**
 * A remote worker's handling of one partition request: Batch's {@link StepExecutionRequestHandler}
 * behind a staleness check, with one log line per partition. A request is stale, and dropped, when
 * its step execution is no longer running (completed by a worker that died before acknowledging the
 * message, or marked FAILED when a restarted manager recovered the dead execution: the restart sends
 * a new request for it) or its job execution is not running. A request whose step execution is
 * STARTED is a redelivery after a worker died mid-partition: the step runs again.
 */
final class PartitionRequestHandler {
    static final String LOG_NAME = "org.imaarchiver.worker";
    private static final Logger LOG = LoggerFactory.getLogger(LOG_NAME);

    private final JobRepository repository;
    private final StepExecutionRequestHandler delegate;

    PartitionRequestHandler(JobRepository repository, StepExecutionRequestHandler delegate) {
        this.repository = Objects.requireNonNull(repository, "repository");
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** Runs the partition; an exception (repository unreachable) rolls back the JMS session: the broker redelivers. */
    void handle(Object payload) {
        Optional<StepExecutionRequest> r = PartitionMessages.decode(payload);
        if (r.isEmpty()) {
            LOG.warn("dropped a message that is not a partition request");
            return;
        }
        StepExecutionRequest request = r.get();
        StepExecution se = repository.getStepExecution(request.getStepExecutionId());
        if (se == null) {
            LOG.warn("dropped request for step execution {}: not in this job repository", request.getStepExecutionId());
            return;
        }
        if (!se.getStatus().isRunning() || !se.getJobExecution().getStatus().isRunning()) {
            LOG.info("skipped {} (step execution {}): already {} (job execution {} {})", se.getStepName(), se.getId(), se.getStatus(),
                    se.getJobExecutionId(), se.getJobExecution().getStatus());
            return;
        }
        boolean redelivered = se.getStatus() == BatchStatus.STARTED;
        LOG.info("start {} (step execution {}, job execution {}){}", se.getStepName(), se.getId(), se.getJobExecutionId(),
                redelivered ? ", again after an interrupted attempt" : "");
        long t0 = System.nanoTime();
        StepExecution done = delegate.handle(request);
        if (done.getStatus() == BatchStatus.FAILED && done.getEndTime() == null) {
            // StepExecutionRequestHandler leaves an exception thrown outside the step unsaved: save it,
            // or the manager, which polls the repository, would wait for this partition forever.
            repository.update(done);
        }
        LOG.info("done {} (step execution {}): {} {} in {} ms", done.getStepName(), done.getId(), done.getStatus(),
                done.getExitStatus().getExitCode(), (System.nanoTime() - t0) / 1_000_000);
    }
}

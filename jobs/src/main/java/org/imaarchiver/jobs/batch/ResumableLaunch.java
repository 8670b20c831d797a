package org.imaarchiver.jobs.batch;

import java.io.IOException;
import java.util.Optional;
import java.util.function.LongFunction;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.JobInstance;
import org.springframework.batch.core.job.parameters.JobParameters;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.repository.JobRepository;

/**
 * "The same command resumes": the identifying parameters of a bulk job are a key (what makes two
 * commands the same run) and a run number 1, 2, ... This finds the last instance for the key: if its
 * last execution did not complete (failed, or left STARTED by a crash or Ctrl-C) it is restarted and
 * Batch re-runs only the partitions that did not complete; if it completed, the next run number starts
 * a new instance. The caller holds the state directory's {@link StateDirLock}, so an execution found
 * STARTED is a dead run's and is first marked FAILED ({@link JobOperator#recover}).
 */
public final class ResumableLaunch {
    private ResumableLaunch() {}

    /** The execution that ran (it has ended when this returns) and whether it resumed an unfinished instance. */
    public record Launched(JobExecution execution, boolean resumed) {}

    /**
     * Runs {@code job} to its end.
     *
     * @param parameters the job parameters for a run number (identifying: key and run)
     * @param fresh      abandon an unfinished instance instead of resuming it
     */
    public static Launched run(JobRepository repository, JobOperator operator, Job job, LongFunction<JobParameters> parameters,
                               boolean fresh) throws IOException {
        long run = 1;
        Optional<JobExecution> unfinished = Optional.empty();
        while (true) {
            JobInstance instance = repository.getJobInstance(job.getName(), parameters.apply(run));
            if (instance == null) break;
            JobExecution last = repository.getLastJobExecution(instance);
            if (last != null && last.getStatus().isRunning()) last = recover(repository, operator, instance, last); // a dead run's (we hold the lock)
            if (last == null || last.getStatus() == BatchStatus.COMPLETED || last.getStatus() == BatchStatus.ABANDONED) {
                run++;
                continue;
            }
            if (fresh) {
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
        try {
            JobExecution e = unfinished.isPresent() ? operator.restart(unfinished.get()) : operator.start(job, parameters.apply(run));
            return new Launched(e, unfinished.isPresent());
        } catch (Exception e) {
            throw new IOException("cannot start " + job.getName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Marks a dead run's execution and its running partitions FAILED. In distributed mode remote
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
}

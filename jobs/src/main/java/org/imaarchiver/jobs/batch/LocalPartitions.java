package org.imaarchiver.jobs.batch;

import org.springframework.batch.core.partition.support.TaskExecutorPartitionHandler;
import org.springframework.batch.core.step.Step;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;

/** Local mode of a bulk job: its host partitions run on a fixed pool of daemon threads in this JVM. */
public final class LocalPartitions {
    private LocalPartitions() {}

    /** {@code threads} threads named {@code <prefix>N}; the caller's bean shuts it down. */
    public static ThreadPoolTaskExecutor executor(int threads, String threadNamePrefix) {
        ThreadPoolTaskExecutor e = new ThreadPoolTaskExecutor();
        e.setCorePoolSize(threads);
        e.setMaxPoolSize(threads);
        e.setThreadNamePrefix(threadNamePrefix);
        e.setDaemon(true);
        return e;
    }

    /** Runs {@code worker} for each partition on {@code executor}. */
    public static TaskExecutorPartitionHandler handler(Step worker, ThreadPoolTaskExecutor executor, int gridSize) {
        TaskExecutorPartitionHandler h = new TaskExecutorPartitionHandler();
        h.setStep(worker);
        h.setTaskExecutor(executor);
        h.setGridSize(gridSize);
        return h;
    }
}

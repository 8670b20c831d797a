package org.imaarchiver.jobs.reverify;

import org.imaarchiver.jobs.batch.HostPartitioner;
import org.imaarchiver.jobs.batch.LocalPartitions;
import java.io.IOException;
import javax.sql.DataSource;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.ArchiveStores;
import org.springframework.batch.core.partition.PartitionHandler;
import org.springframework.batch.core.configuration.annotation.StepScope;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.partition.support.TaskExecutorPartitionHandler;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;

/**
 * {@code reverifyJob}, read top to bottom:
 * <ol>
 *   <li>{@value #MANAGER_STEP}: {@link HostPartitioner} makes one partition per host (or per range of
 *       hosts above {@code --max-partitions} hosts), and {@link ChainSplittingPartitioner} cuts very
 *       long chains into segment ranges; local
 *       mode runs the worker step ({@link ReverifyWorkerConfiguration}) on a thread pool of
 *       {@code parallel} threads ({@link LocalPartitioning}); distributed mode sends the partitions
 *       to remote workers over JMS ({@link RemotePartitioningManager}): only the
 *       {@link PartitionHandler} bean differs;
 *   <li>{@value #REPORT_STEP}: report.json, report.html, summary.txt and signed receipts from the
 *       per-host result rows ({@link ReportWriter}).
 * </ol>
 */
@Configuration(proxyBeanMethods = false)
class ReverifyManagerConfiguration {
    static final String JOB = "reverifyJob";
    static final String MANAGER_STEP = "verifyChains";
    static final String REPORT_STEP = "writeReports";

    // step 1: verify every host chain, one partition per host or range of hosts

    @Bean
    ChainSplittingPartitioner hostChainPartitioner(HostSource hostSource, Progress progress, VerifyJobRequest request,
                                                   HostPartitioner.MaxPartitions maxPartitions,
                                                   ChainSplittingPartitioner.SegmentsPerPartition segmentsPerPartition,
                                                   ArchiveStore store, JobRepository jobRepository) {
        // Named hosts are never cut into ranges: a command line is not what grows.
        HostPartitioner hosts = new HostPartitioner(hostSource::hosts, hostSource::inWindow, progress::total, maxPartitions.value(),
                request.hosts().isEmpty(), java.util.Optional.of(jobRepository));
        return new ChainSplittingPartitioner(hosts, store, segmentsPerPartition.value(), request.sinceReceipts().isEmpty(),
                java.util.Optional.of(jobRepository));
    }

    @Bean(destroyMethod = "close")
    ArchiveStore archiveStore(VerifyJobRequest request) throws IOException {
        return ArchiveStores.open(request.storeUri(), request.storeOptions());
    }

    @Bean
    HostSource hostSource(ArchiveStore store, VerifyJobRequest request, org.imaarchiver.archive.chain.TrustStore trust) {
        return new HostSource(store, request, trust.enrolledHosts());
    }

    @Bean
    StoreProvider storeProvider(ArchiveStore store, VerifyJobRequest request) {
        return StoreProvider.single(request.storeUri(), store);
    }

    @Bean
    Step verifyChains(JobRepository jobRepository, ChainSplittingPartitioner hostChainPartitioner, PartitionHandler partitionHandler) {
        return new StepBuilder(MANAGER_STEP, jobRepository)
                .partitioner(ReverifyWorkerConfiguration.WORKER_STEP, hostChainPartitioner)
                .partitionHandler(partitionHandler)
                .build();
    }

    // step 2: assemble the reports

    @Bean
    @StepScope
    Tasklet reportTasklet(@Value("#{jobParameters['" + VerifyJobRunner.RESULT_SET + "']}") String resultSet,
                          HostSource hostSource, VerifyJobRequest request, DataSource dataSource) {
        return (contribution, chunkContext) -> {
            ReportWriter.Written w = new ReportWriter(hostSource, new ResultTable(dataSource, resultSet), request.outputDir(),
                    request.receiptKey())
                    .write("ima-archiver verification of " + request.storeUri());
            var ec = chunkContext.getStepContext().getStepExecution().getExecutionContext();
            ec.putLong("hosts", w.counts().hosts());
            ec.putLong("failedHosts", w.counts().failedHosts());
            ec.putLong("segments", w.counts().segments());
            ec.putLong("records", w.counts().records());
            ec.putLong("failures", w.counts().failures());
            ec.putString("summary", w.summary());
            return RepeatStatus.FINISHED;
        };
    }

    @Bean
    Step writeReports(JobRepository jobRepository, Tasklet reportTasklet) {
        return new StepBuilder(REPORT_STEP, jobRepository).tasklet(reportTasklet).build();
    }

    @Bean
    Job reverifyJob(JobRepository jobRepository, Step verifyChains, Step writeReports) {
        return new JobBuilder(JOB, jobRepository).start(verifyChains).next(writeReports).build();
    }

    /** Local mode: partitions on a thread pool of {@code parallel} threads in this JVM. */
    @Configuration(proxyBeanMethods = false)
    static class LocalPartitioning {
        @Bean(destroyMethod = "shutdown")
        ThreadPoolTaskExecutor hostExecutor(VerifyJobRequest request) {
            return LocalPartitions.executor(request.parallel(), "verify-host-");
        }

        @Bean
        TaskExecutorPartitionHandler partitionHandler(Step verifyChain, ThreadPoolTaskExecutor hostExecutor, VerifyJobRequest request) {
            return LocalPartitions.handler(verifyChain, hostExecutor, request.parallel());
        }
    }

    static String partitionStepName(String host) {
        return ReverifyWorkerConfiguration.WORKER_STEP + ":" + HostPartitioner.partitionName(host);
    }
}

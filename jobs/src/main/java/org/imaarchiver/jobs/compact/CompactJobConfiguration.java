package org.imaarchiver.jobs.compact;

import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.chain.ChainVerifier;
import org.imaarchiver.archive.chain.TrustStore;
import org.imaarchiver.archive.compact.Compactor;
import org.imaarchiver.archive.sign.SegmentSigner;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.ArchiveStores;
import org.imaarchiver.jobs.batch.EmbeddedJobRepository;
import org.imaarchiver.jobs.batch.HostPartitioner;
import org.imaarchiver.jobs.batch.LocalPartitions;
import org.imaarchiver.jobs.batch.HostProgress;
import org.springframework.batch.core.configuration.annotation.EnableBatchProcessing;
import org.springframework.batch.core.configuration.annotation.EnableJdbcJobRepository;
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
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;

/**
 * {@code compactJob}, read top to bottom (the shape of {@code reverifyJob}):
 * <ol>
 *   <li>{@value #MANAGER_STEP}: {@link HostPartitioner} makes one partition per host (per range of
 *       hosts above {@code --max-partitions} hosts); the worker step {@value #WORKER_STEP} runs
 *       {@link HostCompaction} for each host on a thread pool of {@code parallel} threads. A host is in
 *       exactly one partition, so within a run no two compactors touch one host (docs/archive-format.md §16.3);</li>
 *   <li>{@value #REPORT_STEP}: {@code report.json} and {@code summary.txt} from the per-host result files.</li>
 * </ol>
 * The job repository is the embedded H2 database in the state directory, so an interrupted run
 * resumes with the same command and compacts only the hosts whose partitions had not completed.
 */
@Configuration(proxyBeanMethods = false)
@EnableBatchProcessing
@EnableJdbcJobRepository
class CompactJobConfiguration {
    static final String JOB = "compactJob";
    static final String MANAGER_STEP = "compactHosts";
    static final String WORKER_STEP = "compactHost";
    static final String REPORT_STEP = "writeCompactReport";
    /** Job parameter: where this instance keeps its per-host result files and its report. */
    static final String RUN_DIR = "runDir";

    // infrastructure

    @Bean(destroyMethod = "close")
    HikariDataSource dataSource(CompactJobRequest request) throws IOException, SQLException {
        return EmbeddedJobRepository.open(request.stateDir(), "compact-jobrepo", request.parallel() + 4);
    }

    @Bean
    JdbcTransactionManager transactionManager(DataSource dataSource) {
        return new JdbcTransactionManager(dataSource);
    }

    @Bean(destroyMethod = "close")
    ArchiveStore archiveStore(CompactJobRequest request) throws IOException {
        return ArchiveStores.open(request.storeUri(), request.storeOptions());
    }

    @Bean
    CompactHosts hostList(ArchiveStore store, CompactJobRequest request) {
        return new CompactHosts(store, request);
    }

    @Bean
    Compactor compactor(ArchiveStore store, CompactJobRequest request) throws IOException {
        Path work = request.stateDir().resolve("work");
        ChainVerifier verifier = new ChainVerifier(TrustStore.load(request.trustDir()), 2, work);
        return new Compactor(store, verifier, new SegmentSigner(request.signingKey(), java.util.Optional.empty()), work,
                request.clock(), request.policy(), request.retention().policy(store, request.clock()), CompactJobRequest.PRODUCER);
    }

    // step 1: compact every host, one partition per host or range of hosts

    @Bean
    HostPartitioner compactHostPartitioner(CompactHosts hosts, HostProgress progress, CompactJobRequest request,
                                           HostPartitioner.MaxPartitions maxPartitions, JobRepository jobRepository) {
        return new HostPartitioner(hosts::hosts, h -> true, progress::total, maxPartitions.value(), request.hosts().isEmpty(),
                java.util.Optional.of(jobRepository));
    }

    @Bean(destroyMethod = "shutdown")
    ThreadPoolTaskExecutor compactExecutor(CompactJobRequest request) {
        return LocalPartitions.executor(request.parallel(), "compact-host-");
    }

    @Bean
    TaskExecutorPartitionHandler compactPartitionHandler(Step compactHost, ThreadPoolTaskExecutor compactExecutor, CompactJobRequest request) {
        return LocalPartitions.handler(compactHost, compactExecutor, request.parallel());
    }

    @Bean
    @StepScope
    HostCompactionTasklet hostCompactionTasklet(@Value("#{stepExecutionContext['" + HostPartitioner.HOST_ID + "']}") String hostId,
                                                @Value("#{stepExecutionContext['" + HostPartitioner.FROM_HOST + "']}") String fromHost,
                                                @Value("#{stepExecutionContext['" + HostPartitioner.TO_HOST + "']}") String toHost,
                                                @Value("#{jobParameters['" + RUN_DIR + "']}") String runDir,
                                                ArchiveStore store, Compactor compactor, HostProgress progress) {
        HostCompaction.GroupListener listener = g -> {
            if (g.result() instanceof org.imaarchiver.archive.compact.CompactionResult.Compacted) progress.add(1, g.records());
        };
        return new HostCompactionTasklet(java.util.Optional.ofNullable(hostId), HostPartitioner.Range.ofContext(fromHost, toHost), store,
                new HostCompaction(store, compactor, listener), resultsDir(Path.of(runDir)), progress);
    }

    @Bean
    Step compactHost(JobRepository jobRepository, HostCompactionTasklet hostCompactionTasklet) {
        return new StepBuilder(WORKER_STEP, jobRepository).tasklet(hostCompactionTasklet).build();
    }

    @Bean
    Step compactHosts(JobRepository jobRepository, HostPartitioner compactHostPartitioner,
                      TaskExecutorPartitionHandler compactPartitionHandler) {
        return new StepBuilder(MANAGER_STEP, jobRepository)
                .partitioner(WORKER_STEP, compactHostPartitioner)
                .partitionHandler(compactPartitionHandler)
                .build();
    }

    // step 2: the report

    @Bean
    @StepScope
    Tasklet compactReportTasklet(@Value("#{jobParameters['" + RUN_DIR + "']}") String runDir, CompactHosts hosts,
                                 CompactJobRequest request) {
        return (contribution, chunkContext) -> {
            Path dir = Path.of(runDir);
            CompactReportWriter.Totals t = new CompactReportWriter(hosts, resultsDir(dir), dir, request).write();
            var ec = chunkContext.getStepContext().getStepExecution().getExecutionContext();
            ec.putLong("hosts", t.hosts());
            ec.putLong("hostsCompacted", t.hostsCompacted());
            ec.putLong("hostsNotVerified", t.hostsNotVerified());
            ec.putLong("hostsStoreProblem", t.hostsStoreProblem());
            ec.putLong("groupsCompacted", t.groupsCompacted());
            ec.putLong("records", t.records());
            return RepeatStatus.FINISHED;
        };
    }

    @Bean
    Step writeCompactReport(JobRepository jobRepository, Tasklet compactReportTasklet) {
        return new StepBuilder(REPORT_STEP, jobRepository).tasklet(compactReportTasklet).build();
    }

    @Bean
    Job compactJob(JobRepository jobRepository, Step compactHosts, Step writeCompactReport) {
        return new JobBuilder(JOB, jobRepository).start(compactHosts).next(writeCompactReport).build();
    }

    static Path resultsDir(Path runDir) { return runDir.resolve("results"); }

    static String partitionStepName(String host) {
        return WORKER_STEP + ":" + HostPartitioner.partitionName(host);
    }
}

package org.imaarchiver.jobs.reverify;

import java.io.IOException;
import java.time.Instant;
import java.util.Optional;
import javax.sql.DataSource;
import org.imaarchiver.archive.chain.ChainVerifier;
import org.imaarchiver.archive.chain.ExpectedCadence;
import org.imaarchiver.archive.chain.TrustStore;
import org.imaarchiver.jobs.batch.HostPartitioner;
import org.springframework.batch.core.configuration.annotation.StepScope;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The worker side of {@code reverifyJob}: step {@value #WORKER_STEP}, one execution per host
 * partition ({@code verifyChain:host-<id>}) or host range ({@code verifyChain:hosts-0007}); its tasklet
 * is step-scoped and binds the partition's {@code hostId} or range, and the job's store, window,
 * result set and trust digest late, so concurrent partitions
 * share no state but the verifier and the store. The same configuration runs in the local manager's
 * context and in a remote worker's ({@link VerifyWorker}); their {@link VerifyJobRequest} bean
 * supplies the trust directory, the segment parallelism, the work directory and the clock.
 */
@Configuration(proxyBeanMethods = false)
class ReverifyWorkerConfiguration {
    static final String WORKER_STEP = "verifyChain";

    /** SHA-256 over this process's trust directory ({@link org.imaarchiver.jobs.batch.JobIdentity#treeDigest}). */
    record TrustDigest(String hex) {}

    @Bean
    ChainVerifier chainVerifier(VerifyJobRequest request, TrustStore trust) {
        return new ChainVerifier(trust, request.segmentParallel(), request.stateDir().resolve("work"));
    }

    @Bean
    @StepScope
    HostChainTasklet hostChainTasklet(@Value("#{stepExecutionContext['" + HostPartitioner.HOST_ID + "']}") String hostId,
                                      @Value("#{stepExecutionContext['" + HostPartitioner.FROM_HOST + "']}") String fromHost,
                                      @Value("#{stepExecutionContext['" + HostPartitioner.TO_HOST + "']}") String toHost,
                                      @Value("#{stepExecutionContext['" + ChainSplittingPartitioner.PART + "']}") String part,
                                      @Value("#{jobParameters['" + VerifyJobRunner.SINCE + "']}") String since,
                                      @Value("#{jobParameters['" + VerifyJobRunner.UNTIL + "']}") String until,
                                      @Value("#{jobParameters['" + VerifyJobRunner.RESULT_SET + "']}") String resultSet,
                                      @Value("#{jobParameters['" + VerifyJobRunner.STORE_URI + "']}") String storeUri,
                                      @Value("#{jobParameters['" + VerifyJobRunner.TRUST_DIGEST + "']}") String trustDigest,
                                      @Value("#{jobParameters['" + VerifyJobRunner.CADENCE + "']}") String cadence,
                                      @Value("#{jobParameters['" + VerifyJobRunner.AS_OF + "']}") String asOf,
                                      @Value("#{jobParameters['" + VerifyJobRunner.BOOT_CLOSURE + "']}") String bootClosure,
                                      TrustStore trust, StoreProvider stores, ChainVerifier verifier, VerifyJobRequest request, DataSource dataSource,
                                      TrustDigest ownTrust, HostVerification.HostListener listener, Progress progress) throws IOException {
        if (!ownTrust.hex().equals(trustDigest)) {
            // Fail closed: a worker with other trust anchors would give other verdicts.
            throw new IOException("the trust directory " + request.trustDir() + " of this worker (digest " + ownTrust.hex().substring(0, 16)
                    + ") is not the manager's (digest " + trustDigest.substring(0, Math.min(16, trustDigest.length())) + ")");
        }
        HostChainTasklet.RangeWork range = new HostChainTasklet.RangeWork(HostPartitioner.Range.ofContext(fromHost, toHost),
                instant(since), instant(until));
        // A job started before the cadence existed has neither parameter: no cadence.
        HostVerification.Cadence due = new HostVerification.Cadence(
                cadence == null || cadence.isEmpty() ? new ExpectedCadence.Off() : ExpectedCadence.parse(cadence),
                instant(asOf).orElseGet(() -> request.clock().instant()));
        return new HostChainTasklet(Optional.ofNullable(hostId), Optional.ofNullable(part).map(ChainSplittingPartitioner::part), range,
                stores.open(storeUri), verifier.withBootClosure(bootClosure == null ? ChainVerifier.BootClosure.WARN
                        : ChainVerifier.BootClosure.valueOf(bootClosure)), trust, request, due,
                new ResultTable(dataSource, resultSet), listener, progress);
    }

    private static Optional<Instant> instant(String jobParameter) {
        return Optional.ofNullable(jobParameter).filter(s -> !s.isEmpty()).map(Instant::parse);
    }

    @Bean
    Step verifyChain(JobRepository jobRepository, HostChainTasklet hostChainTasklet) {
        return new StepBuilder(WORKER_STEP, jobRepository).tasklet(hostChainTasklet).build();
    }
}

package org.imaarchiver.jobs.reverify;

import java.io.IOException;
import java.nio.file.Path;
import org.imaarchiver.archive.chain.ChainVerifier;
import org.imaarchiver.archive.chain.TrustStore;
import org.imaarchiver.archive.store.ArchiveStore;
import org.springframework.batch.core.configuration.annotation.StepScope;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The worker side of {@code reverifyJob}: step {@value #WORKER_STEP}, one execution per host
 * partition ({@code verifyChain:host-<id>}); its tasklet is step-scoped and binds the partition's
 * {@code hostId} late, so concurrent partitions share no state but the verifier and the store.
 */
@Configuration(proxyBeanMethods = false)
class ReverifyWorkerConfiguration {
    static final String WORKER_STEP = "verifyChain";

    @Bean
    ChainVerifier chainVerifier(VerifyJobRequest request) throws IOException {
        return new ChainVerifier(TrustStore.load(request.trustDir()), request.segmentParallel(), request.stateDir().resolve("work"));
    }

    @Bean
    @StepScope
    HostChainTasklet hostChainTasklet(@Value("#{stepExecutionContext['" + HostChainPartitioner.HOST_ID + "']}") String hostId,
                                      @Value("#{jobParameters['" + VerifyJobRunner.RESULTS_DIR + "']}") String resultsDir,
                                      ArchiveStore store, ChainVerifier verifier, VerifyJobRequest request,
                                      HostVerification.HostListener listener, Progress progress) {
        return new HostChainTasklet(hostId, store, verifier, request, Path.of(resultsDir), listener, progress);
    }

    @Bean
    Step verifyChain(JobRepository jobRepository, HostChainTasklet hostChainTasklet) {
        return new StepBuilder(WORKER_STEP, jobRepository).tasklet(hostChainTasklet).build();
    }
}

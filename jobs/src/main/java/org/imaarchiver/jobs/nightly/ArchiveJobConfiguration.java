package org.imaarchiver.jobs.nightly;

import java.io.IOException;
import java.time.Clock;
import org.imaarchiver.archive.store.ArchiveStores;
import org.imaarchiver.jobs.config.ArchiverSettings;
import org.imaarchiver.jobs.host.tpm.TpmFailure;
import org.imaarchiver.replay.log.MalformedLogException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.listener.JobExecutionListener;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * {@code archiveAndTrimJob}: ima-kernel.md D.2 in its compare-then-trim variant, one step per phase,
 * read top to bottom as the protocol. Crash safety comes from the protocol (persist before trim,
 * journal before trim, re-read before trim), not from Batch: the job runs on the resourceless
 * repository and a killed run is simply run again from the first step.
 *
 * <p>Each tasklet is one call into {@link ArchiveRun}. A phase that decides the outcome makes the
 * later phases no-ops; the kernel fd never outlives its tasklet. Test hook: the system property
 * {@value #KILL_AFTER} names a step after which the JVM halts with status 137, as a SIGKILL would.
 */
@Configuration(proxyBeanMethods = false)
public class ArchiveJobConfiguration {
    public static final String JOB_NAME = "archiveAndTrimJob";
    public static final String KILL_AFTER = "ima-archiver.test.kill-after";
    private static final Logger LOG = LoggerFactory.getLogger(ArchiveJobConfiguration.class);

    /** The phases in protocol order. */
    public static final java.util.List<String> STEPS = java.util.List.of("acquireHostLock", "recoverJournal", "checkFeatures",
            "quoteTpm", "readAndReplay", "persistSegment", "confirmDurable", "journalTrimIntent", "trimKernelLog", "recordHead");

    @FunctionalInterface
    interface Phase {
        void run() throws IOException, MalformedLogException, InterruptedException, TpmFailure;
    }

    @Bean
    ArchiveRun archiveRun(ArchiverSettings settings, ObjectProvider<ArchiveRun.StoreOpener> opener,
                          ObjectProvider<ArchiveRun.StepListener> listener) {
        return new ArchiveRun(settings, Clock.systemUTC(), opener.getIfAvailable(() -> ArchiveStores::open),
                listener.getIfAvailable(() -> step -> { }));
    }

    // step 1: one archiver per host (D.2 step 1)
    @Bean
    Step acquireHostLock(JobRepository repo, ArchiveRun run) { return step(repo, "acquireHostLock", run, run::acquireHostLock); }

    // step 2: settle a trim journaled by a killed run; cross-check kernel head, state file and archive
    @Bean
    Step recoverJournal(JobRepository repo, ArchiveRun run) { return step(repo, "recoverJournal", run, run::recoverJournal); }

    // step 3: staging files present? flush_htable? (D.2 step 0)
    @Bean
    Step checkFeatures(JobRepository repo, ArchiveRun run) { return step(repo, "checkFeatures", run, run::checkFeatures); }

    // step 4: plan the segment, quote with the derived nonce BEFORE reading the list (C.3)
    @Bean
    Step quoteTpm(JobRepository repo, ArchiveRun run) { return step(repo, "quoteTpm", run, run::quoteTpm); }

    // step 5: read the list from trimmedSoFar through a read-only fd, spooled locally
    @Bean
    Step readAndReplay(JobRepository repo, ArchiveRun run) { return step(repo, "readAndReplay", run, run::readAndReplay); }

    // step 6: replay to the quote point, write, sign, upload create-only, re-read (SegmentPacker.pack)
    @Bean
    Step persistSegment(JobRepository repo, ArchiveRun run) { return step(repo, "persistSegment", run, run::persistSegment); }

    // step 7: the archive's head now ends at the quote point
    @Bean
    Step confirmDurable(JobRepository repo, ArchiveRun run) { return step(repo, "confirmDurable", run, run::confirmDurable); }

    // step 8: journal N, start, first/N-th/next record (D.2 step 6)
    @Bean
    Step journalTrimIntent(JobRepository repo, ArchiveRun run) { return step(repo, "journalTrimIntent", run, run::journalTrimIntent); }

    // step 9: open O_RDWR, re-read and compare the first N records, write "N\n", close (D.2 end)
    @Bean
    Step trimKernelLog(JobRepository repo, ArchiveRun run) { return step(repo, "trimKernelLog", run, run::trimKernelLog); }

    // step 10: the new cursor and the head it leaves, then the journal is cleared
    @Bean
    Step recordHead(JobRepository repo, ArchiveRun run) { return step(repo, "recordHead", run, run::recordHead); }

    @Bean
    Job archiveAndTrimJob(JobRepository repo, ArchiveRun run, ArchiverSettings settings, Step acquireHostLock, Step recoverJournal,
                          Step checkFeatures, Step quoteTpm, Step readAndReplay, Step persistSegment, Step confirmDurable,
                          Step journalTrimIntent, Step trimKernelLog, Step recordHead) {
        return new JobBuilder(JOB_NAME, repo)
                .start(acquireHostLock).next(recoverJournal).next(checkFeatures).next(quoteTpm).next(readAndReplay)
                .next(persistSegment).next(confirmDurable).next(journalTrimIntent).next(trimKernelLog).next(recordHead)
                .listener(new JobExecutionListener() {
                    @Override
                    public void afterJob(JobExecution execution) {
                        // runs whatever the outcome: metrics, the one log line, the lock
                        RunSummary s = run.summary();
                        try {
                            if (settings.metricsPath() != null) new MetricsFile(settings.metricsPath()).write(s, java.time.Instant.now());
                        } catch (IOException e) {
                            LOG.warn("cannot write metrics {}: {}", settings.metricsPath(), e.toString());
                        } finally {
                            run.finish();
                        }
                    }
                })
                .build();
    }

    private static Step step(JobRepository repo, String name, ArchiveRun run, Phase phase) {
        return new StepBuilder(name, repo).tasklet((contribution, chunk) -> {
            try {
                phase.run();
                run.afterStep(name);
            } catch (TpmFailure e) {
                run.stop(RunOutcome.ENVIRONMENT_ERROR, name + ": TPM: " + e.getMessage());
            } catch (MalformedLogException e) {
                run.stop(RunOutcome.VERIFICATION_FAILED, name + ": " + e.getMessage());
            } catch (IOException | RuntimeException e) {
                run.stop(RunOutcome.ENVIRONMENT_ERROR, name + ": " + e);
            }
            if (name.equals(System.getProperty(KILL_AFTER))) Runtime.getRuntime().halt(137);
            return RepeatStatus.FINISHED;
        }).build();
    }
}

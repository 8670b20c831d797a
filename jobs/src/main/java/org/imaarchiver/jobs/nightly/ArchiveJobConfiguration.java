package org.imaarchiver.jobs.nightly;

import java.io.IOException;
import java.time.Clock;
import java.util.List;
import org.imaarchiver.archive.store.ArchiveStores;
import org.imaarchiver.jobs.config.ArchiverSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.JobExecution;
import org.springframework.batch.core.job.builder.FlowBuilder;
import org.springframework.batch.core.job.builder.FlowJobBuilder;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.listener.JobExecutionListener;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * {@code archiveAndTrimJob}: kernel-interface.md D.2 in its compare-then-trim variant, one step per phase,
 * read top to bottom as the protocol. Crash safety comes from the protocol (persist before trim,
 * journal before trim, re-read before trim), not from Batch: the job runs on the resourceless
 * repository and a killed run is simply run again from the first step.
 *
 * <p>Each step is one {@link NightlyStep}; it records what it establishes in the {@link RunLedger}
 * for the later steps. A step that decides how the run ends fails; the job then goes straight to
 * {@code recordHead}, which records what is known, and ends failed.
 */
@Configuration(proxyBeanMethods = false)
public class ArchiveJobConfiguration {
    public static final String JOB_NAME = "archiveAndTrimJob";
    private static final Logger LOG = LoggerFactory.getLogger(ArchiveJobConfiguration.class);

    /** The phases in protocol order. */
    public static final List<String> STEPS = List.of("acquireHostLock", "recoverJournal", "checkFeatures",
            "quoteTpm", "spoolKernelList", "persistSegment", "confirmDurable", "journalTrimIntent", "trimKernelLog", "recordHead");

    @Bean
    ArchiveRun archiveRun(ArchiverSettings settings, ObjectProvider<ArchiveRun.StoreOpener> opener, ObjectProvider<RunKind> kind) {
        return new ArchiveRun(settings, Clock.systemUTC(), opener.getIfAvailable(() -> ArchiveStores::open),
                kind.getIfAvailable(() -> RunKind.NIGHTLY));
    }

    @Bean
    RunLedger runLedger(ArchiveRun run) { return new RunLedger(run); }

    // step 1: one archiver per host (D.2 step 1)
    @Bean
    Step acquireHostLock(JobRepository repo, ArchiveRun run, RunLedger ledger) { return step(repo, new AcquireHostLockStep(run, ledger)); }

    // step 2: settle a trim journaled by a killed run; cross-check kernel head, state file and archive
    @Bean
    Step recoverJournal(JobRepository repo, ArchiveRun run, RunLedger ledger) { return step(repo, new RecoverJournalStep(run, ledger)); }

    // step 3: staging files present? flush_htable? (D.2 step 0)
    @Bean
    Step checkFeatures(JobRepository repo, ArchiveRun run, RunLedger ledger) { return step(repo, new CheckFeaturesStep(run, ledger)); }

    // step 4: plan the segment, quote with the derived nonce BEFORE reading the list (C.3)
    @Bean
    Step quoteTpm(JobRepository repo, ArchiveRun run, RunLedger ledger) { return step(repo, new QuoteTpmStep(run, ledger)); }

    // step 5: copy the list from trimmedSoFar, through a read-only fd, to the local spool
    @Bean
    Step spoolKernelList(JobRepository repo, ArchiveRun run, RunLedger ledger) { return step(repo, new SpoolKernelListStep(run, ledger)); }

    // step 6: replay to the quote point, write, sign, upload create-only, re-read (SegmentPacker.pack)
    @Bean
    Step persistSegment(JobRepository repo, ArchiveRun run, RunLedger ledger) { return step(repo, new PersistSegmentStep(run, ledger)); }

    // step 7: the archive's head now ends at the quote point
    @Bean
    Step confirmDurable(JobRepository repo, ArchiveRun run, RunLedger ledger) { return step(repo, new ConfirmDurableStep(run, ledger)); }

    // step 8: journal N, start, first/N-th/next record (D.2 step 6)
    @Bean
    Step journalTrimIntent(JobRepository repo, ArchiveRun run, RunLedger ledger) { return step(repo, new JournalTrimIntentStep(run, ledger)); }

    // step 9: open O_RDWR, re-read and compare the first N records, write "N\n", close (D.2 end)
    @Bean
    Step trimKernelLog(JobRepository repo, ArchiveRun run, RunLedger ledger) { return step(repo, new TrimKernelLogStep(run, ledger)); }

    // step 10: the new cursor and the head it leaves, then the journal is cleared; also after a failed step
    @Bean
    Step recordHead(JobRepository repo, ArchiveRun run, RunLedger ledger) { return step(repo, new RecordHeadStep(run, ledger)); }

    @Bean
    Job archiveAndTrimJob(JobRepository repo, RunLedger ledger, ArchiverSettings settings, Step acquireHostLock, Step recoverJournal,
                          Step checkFeatures, Step quoteTpm, Step spoolKernelList, Step persistSegment, Step confirmDurable,
                          Step journalTrimIntent, Step trimKernelLog, Step recordHead) {
        List<Step> phases = List.of(acquireHostLock, recoverJournal, checkFeatures, quoteTpm, spoolKernelList, persistSegment,
                confirmDurable, journalTrimIntent, trimKernelLog);
        // each phase: on to the next one, or, failed, straight to recordHead
        FlowBuilder<FlowJobBuilder> flow = new JobBuilder(JOB_NAME, repo).start(phases.get(0)).on(ExitStatus.FAILED.getExitCode()).to(recordHead);
        for (int i = 0; i < phases.size(); i++) {
            Step next = i + 1 < phases.size() ? phases.get(i + 1) : recordHead;
            if (i > 0) flow = flow.from(phases.get(i)).on(ExitStatus.FAILED.getExitCode()).to(recordHead);
            flow = flow.from(phases.get(i)).on("*").to(next);
        }
        return flow.end()
                .listener(new JobExecutionListener() {
                    @Override
                    public void afterJob(JobExecution execution) {
                        // runs whatever the outcome: metrics, the lock, the job's status
                        RunSummary s = ledger.summary();
                        try {
                            if (settings.metricsPath() != null) new MetricsFile(settings.metricsPath()).write(s, java.time.Instant.now());
                        } catch (IOException e) {
                            LOG.warn("cannot write metrics {}: {}", settings.metricsPath(), e.toString());
                        } finally {
                            ledger.finish();
                        }
                        // a run a step stopped has failed, even though recordHead completed after it
                        if (ledger.stopped().isPresent()) {
                            execution.setStatus(BatchStatus.FAILED);
                            execution.setExitStatus(ExitStatus.FAILED.addExitDescription(s.outcome().label() + ": " + s.detail()));
                        }
                    }
                })
                .build();
    }

    private static Step step(JobRepository repo, NightlyStep step) {
        return new StepBuilder(step.name(), repo).tasklet(step).build();
    }
}

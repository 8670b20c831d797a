package org.imaarchiver.jobs.compact;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.jobs.batch.HostPartitioner;
import org.imaarchiver.jobs.batch.HostProgress;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;

/**
 * The worker: compacts the partition's host, or each host of its range ({@link HostPartitioner.Range},
 * in order), writes each host's result file and keeps a small summary in the step execution context.
 * A refused group (parts or output did not verify, store conflict) completes the step with exit
 * status {@value #REFUSED}: the verdict is the step's output, and compacting it again would be
 * refused again. Only an error (store unreachable, disk full) fails the step, and only failed steps
 * run again on restart; a range re-run skips the hosts that already have a result file. Not final:
 * the step scope proxies it.
 */
class HostCompactionTasklet implements Tasklet {
    static final String REFUSED = "COMPACTION-REFUSED";

    private final Optional<String> hostId;
    private final HostPartitioner.Range range;
    private final ArchiveStore store;
    private final HostCompaction compaction;
    private final Path resultsDir;
    private final HostProgress progress;

    HostCompactionTasklet(Optional<String> hostId, HostPartitioner.Range range, ArchiveStore store, HostCompaction compaction,
                          Path resultsDir, HostProgress progress) {
        this.hostId = Objects.requireNonNull(hostId, "hostId");
        this.range = Objects.requireNonNull(range, "range");
        this.store = Objects.requireNonNull(store, "store");
        this.compaction = Objects.requireNonNull(compaction, "compaction");
        this.resultsDir = Objects.requireNonNull(resultsDir, "resultsDir");
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    @Override
    public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) throws Exception {
        ExecutionContext ec = chunkContext.getStepContext().getStepExecution().getExecutionContext();
        if (hostId.isPresent()) {
            HostCompaction.HostSummary s = compactOne(hostId.get());
            ec.putString("status", s.status().id);
            ec.putLong("groupsPlanned", s.groups().size());
            ec.putLong("groupsCompacted", s.groupsCompacted());
            ec.putLong("records", s.records());
            if (!ok(s.status())) contribution.setExitStatus(new ExitStatus(REFUSED, s.status().id));
            return RepeatStatus.FINISHED;
        }
        long hosts = 0, refused = 0, groups = 0, records = 0, skipped = 0;
        try (Stream<String> s = range.hosts(store)) {
            for (Iterator<String> it = s.iterator(); it.hasNext(); ) {
                String host = it.next();
                hosts++;
                if (HostCompaction.readResult(resultsDir, host).isPresent()) { // done by an earlier attempt of this partition
                    skipped++;
                    progress.hostDone(true, 0, 0);
                    continue;
                }
                HostCompaction.HostSummary sum = compactOne(host);
                if (!ok(sum.status())) refused++;
                groups += sum.groupsCompacted();
                records += sum.records();
            }
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
        ec.putLong("hosts", hosts);
        ec.putLong("hostsRefused", refused);
        ec.putLong("groupsCompacted", groups);
        ec.putLong("records", records);
        ec.putLong("hostsFromEarlierAttempt", skipped);
        if (refused > 0) contribution.setExitStatus(new ExitStatus(REFUSED, refused + " of " + hosts + " host(s) refused"));
        return RepeatStatus.FINISHED;
    }

    private HostCompaction.HostSummary compactOne(String host) throws Exception {
        HostCompaction.HostSummary s = compaction.compact(host);
        HostCompaction.writeResult(resultsDir, s);
        progress.hostDone(ok(s.status()), 0, 0); // groups and records were added as each group finished
        return s;
    }

    private static boolean ok(HostCompaction.Status status) {
        return status == HostCompaction.Status.COMPACTED || status == HostCompaction.Status.NOTHING_TO_DO;
    }
}

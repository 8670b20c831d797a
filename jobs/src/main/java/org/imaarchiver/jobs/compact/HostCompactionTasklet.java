package org.imaarchiver.jobs.compact;

import java.nio.file.Path;
import java.util.Objects;
import org.imaarchiver.jobs.batch.HostProgress;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;

/**
 * The worker: compacts the partition's host, writes its result file and keeps a small summary in the
 * step execution context. A refused group (parts or output did not verify, store conflict) completes
 * the step with exit status {@value #REFUSED}: the verdict is the step's output, and compacting it
 * again would be refused again. Only an error (store unreachable, disk full) fails the step, and only
 * failed steps run again on restart. Not final: the step scope proxies it.
 */
class HostCompactionTasklet implements Tasklet {
    static final String REFUSED = "COMPACTION-REFUSED";

    private final String hostId;
    private final HostCompaction compaction;
    private final Path resultsDir;
    private final HostProgress progress;

    HostCompactionTasklet(String hostId, HostCompaction compaction, Path resultsDir, HostProgress progress) {
        this.hostId = Objects.requireNonNull(hostId, "hostId");
        this.compaction = Objects.requireNonNull(compaction, "compaction");
        this.resultsDir = Objects.requireNonNull(resultsDir, "resultsDir");
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    @Override
    public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) throws Exception {
        HostCompaction.HostSummary s = compaction.compact(hostId);
        HostCompaction.writeResult(resultsDir, s);
        ExecutionContext ec = chunkContext.getStepContext().getStepExecution().getExecutionContext();
        ec.putString("status", s.status().id);
        ec.putLong("groupsPlanned", s.groups().size());
        ec.putLong("groupsCompacted", s.groupsCompacted());
        ec.putLong("records", s.records());
        boolean ok = s.status() == HostCompaction.Status.COMPACTED || s.status() == HostCompaction.Status.NOTHING_TO_DO;
        if (!ok) contribution.setExitStatus(new ExitStatus(REFUSED, s.status().id));
        progress.hostDone(ok, 0, 0); // groups and records were added as each group finished
        return RepeatStatus.FINISHED;
    }
}

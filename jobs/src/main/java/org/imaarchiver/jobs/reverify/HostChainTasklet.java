package org.imaarchiver.jobs.reverify;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.imaarchiver.archive.chain.ChainFinding;
import org.imaarchiver.archive.chain.ChainVerifier;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.replay.json.Json;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;

/**
 * The worker: verifies the chain of the partition's {@code hostId} and keeps a small summary in its
 * step execution context (status, counts, the first {@value #FINDINGS_KEPT} findings); the full
 * result is the host's row in {@link ResultTable}. A host that fails verification completes its step with exit
 * status {@value #VERIFICATION_FAILED}: the verdict is the step's output, not an error. Only an
 * error (store unreachable, disk full) fails the step, and only failed steps run again on restart.
 */
public class HostChainTasklet implements Tasklet {
    static final String VERIFICATION_FAILED = "VERIFICATION-FAILED";
    static final int FINDINGS_KEPT = 5;

    private final String hostId;
    private final HostVerification verification;
    private final Progress progress;

    HostChainTasklet(String hostId, ArchiveStore store, ChainVerifier verifier, VerifyJobRequest request, ResultTable results,
                     HostVerification.HostListener listener, Progress progress) {
        this.hostId = hostId;
        this.verification = new HostVerification(store, verifier, request, results, listener);
        this.progress = progress;
    }

    @Override
    public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) throws Exception {
        HostVerification.HostOutcome o = verification.verifyAndRecord(hostId);
        ExecutionContext ec = chunkContext.getStepContext().getStepExecution().getExecutionContext();
        ec.putString("status", o.ok() ? "ok" : "failed");
        ec.putLong("segments", o.segments());
        ec.putLong("records", o.records());
        ec.putLong("failureCount", o.findings().size());
        List<Object> kept = new ArrayList<>();
        for (ChainFinding f : o.findings().subList(0, Math.min(FINDINGS_KEPT, o.findings().size()))) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", f.kind().id());
            m.put("segment", f.segment().isPresent() ? (Object) f.segment().getAsLong() : Json.NULL);
            m.put("record", f.record().isPresent() ? (Object) f.record().getAsLong() : Json.NULL);
            m.put("detail", f.detail().length() > 200 ? f.detail().substring(0, 200) + "..." : f.detail());
            kept.add(m);
        }
        ec.putString("failures", Json.write(kept));
        if (!o.ok()) contribution.setExitStatus(new ExitStatus(VERIFICATION_FAILED, o.findings().size() + " finding(s)"));
        progress.hostDone(o.ok(), o.segments(), o.records());
        return RepeatStatus.FINISHED;
    }
}

package org.imaarchiver.jobs.reverify;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.imaarchiver.archive.chain.ChainFinding;
import org.imaarchiver.archive.chain.ChainVerifier;
import org.imaarchiver.archive.chain.TrustStore;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.jobs.batch.HostPartitioner;
import org.imaarchiver.replay.json.Json;
import org.springframework.batch.core.ExitStatus;
import org.springframework.batch.core.step.StepContribution;
import org.springframework.batch.core.scope.context.ChunkContext;
import org.springframework.batch.core.step.tasklet.Tasklet;
import org.springframework.batch.infrastructure.item.ExecutionContext;
import org.springframework.batch.infrastructure.repeat.RepeatStatus;

/**
 * The worker: verifies the chain of the partition's {@code hostId} (or one segment range of it, for a
 * very long chain: {@link ChainSplittingPartitioner}), or each host of its range
 * ({@link HostPartitioner.Range}, in order: the store's hosts and the enrolled ones, {@link HostSource}), and keeps a small summary in its step execution
 * context; the full result of each host is its row in {@link ResultTable}. A partition with a host
 * that fails verification completes its step with exit status {@value #VERIFICATION_FAILED}: the
 * verdict is the step's output, not an error. Only an error (store unreachable, disk full) fails the
 * step, and only failed steps run again on restart. A range re-run skips the hosts that already
 * have a row (they were verified before the error or crash), so a restart re-verifies at most the
 * host that was in progress, whatever the partition size.
 */
public class HostChainTasklet implements Tasklet {
    static final String VERIFICATION_FAILED = "VERIFICATION-FAILED";
    static final int FINDINGS_KEPT = 5;

    /** What a range partition verifies. */
    record RangeWork(HostPartitioner.Range range, Optional<Instant> since, Optional<Instant> until) {
        RangeWork {
            Objects.requireNonNull(range, "range");
            Objects.requireNonNull(since, "since");
            Objects.requireNonNull(until, "until");
        }
    }

    private final TrustStore trust;
    private final Optional<String> hostId;
    private final Optional<HostVerification.Part> part;
    private final RangeWork rangeWork;
    private final ArchiveStore store;
    private final ResultTable results;
    private final HostVerification verification;
    private final Progress progress;

    HostChainTasklet(Optional<String> hostId, Optional<HostVerification.Part> part, RangeWork rangeWork, ArchiveStore store,
                     ChainVerifier verifier, TrustStore trust, VerifyJobRequest request, HostVerification.Cadence cadence,
                     ResultTable results, HostVerification.HostListener listener, Progress progress) {
        this.trust = Objects.requireNonNull(trust, "trust");
        this.hostId = Objects.requireNonNull(hostId, "hostId");
        this.part = Objects.requireNonNull(part, "part");
        this.rangeWork = Objects.requireNonNull(rangeWork, "rangeWork");
        this.store = Objects.requireNonNull(store, "store");
        this.results = Objects.requireNonNull(results, "results");
        this.verification = new HostVerification(store, verifier, request, cadence, results, listener);
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    @Override
    public RepeatStatus execute(StepContribution contribution, ChunkContext chunkContext) throws Exception {
        ExecutionContext ec = chunkContext.getStepContext().getStepExecution().getExecutionContext();
        if (hostId.isPresent()) {
            verifyOne(hostId.get(), contribution, ec);
        } else {
            verifyRange(contribution, ec);
        }
        return RepeatStatus.FINISHED;
    }

    private void verifyOne(String host, StepContribution contribution, ExecutionContext ec) throws Exception {
        HostVerification.HostOutcome o = part.isPresent() ? verification.verifyAndRecordPart(host, part.get())
                : verification.verifyAndRecord(host);
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
        // A long chain's parts count as one host, done when all its parts are stored.
        if (part.isPresent()) progress.partDone(host, part.get().count(), o.segments(), o.records(), results::partTally);
        else progress.hostDone(o.ok(), o.segments(), o.records());
    }

    private void verifyRange(StepContribution contribution, ExecutionContext ec) throws Exception {
        long hosts = 0, failed = 0, segments = 0, records = 0, skipped = 0;
        try (Stream<String> s = HostSource.withEnrolled(rangeWork.range().hosts(store),
                trust.enrolledHosts().stream().filter(rangeWork.range()::contains).iterator())) {
            for (Iterator<String> it = s.iterator(); it.hasNext(); ) {
                String host = it.next();
                if (!HostSource.inWindow(store, host, rangeWork.since(), rangeWork.until())) {
                    progress.hostDone(true, 0, 0);
                    continue;
                }
                hosts++;
                Optional<ResultTable.Row> done = results.get(host);
                if (done.isPresent()) { // verified by an earlier attempt of this partition
                    boolean ok = "ok".equals(done.get().entry().get("status"));
                    if (!ok) failed++;
                    segments += (Long) done.get().entry().get("segments");
                    records += (Long) done.get().entry().get("records");
                    skipped++;
                    progress.hostDone(ok, 0, 0);
                    continue;
                }
                HostVerification.HostOutcome o = verification.verifyAndRecord(host);
                if (!o.ok()) failed++;
                segments += o.segments();
                records += o.records();
                progress.hostDone(o.ok(), o.segments(), o.records());
            }
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
        ec.putString("status", failed == 0 ? "ok" : "failed");
        ec.putLong("hosts", hosts);
        ec.putLong("failedHosts", failed);
        ec.putLong("segments", segments);
        ec.putLong("records", records);
        ec.putLong("hostsFromEarlierAttempt", skipped);
        if (failed > 0) contribution.setExitStatus(new ExitStatus(VERIFICATION_FAILED, failed + " of " + hosts + " host(s) failed"));
    }
}

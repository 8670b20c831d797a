package org.imaarchiver.jobs.nightly;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.chain.PackNonce;
import org.imaarchiver.archive.chain.PackRequest;
import org.imaarchiver.archive.chain.PackResult;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.ObjectInfo;
import org.imaarchiver.archive.store.StoreException;

/**
 * Step 6 (D.2 step 5): replay the spool to the quote point, write, sign, upload create-only and
 * re-read ({@code SegmentPacker.pack} with the plan quoteTpm quoted for).
 */
final class PersistSegmentStep extends NightlyStep {
    PersistSegmentStep(ArchiveRun run, RunLedger ledger) {
        super("persistSegment", run, ledger);
    }

    @Override
    void perform() throws IOException, RunStopped.Failure {
        StepResult.Recovered recovered = ledger.get(StepResult.Recovered.class);
        StepResult.Quoted quoted = ledger.get(StepResult.Quoted.class);
        SpoolFile spool = ledger.spool().orElseThrow(() -> new IllegalStateException("no spool"));
        ArchiveStore store = recovered.store();
        PackResult result;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(spool.file()))) {
            result = run.packer(store).pack(quoted.plan(), new PackRequest(run.host(), spool.open(in), quoted.quote(), quoted.ak(),
                    new PackNonce.Derived(), run.clock().instant(), ArchiveRun.PRODUCER, kernelVersion(), run.kind().closesBoot()));
        } catch (StoreException e) {
            throw RunStopped.of(RunOutcome.ENVIRONMENT_ERROR, "store: " + e.getMessage()).failure();
        }
        if (result instanceof PackResult.Packed p) {
            ledger.record(new StepResult.Persisted(p.records(), p.quotePoint(), Optional.of(p.segmentKey()), uploadedBytes(store, p.sequence())));
        } else if (result instanceof PackResult.NothingToPack n) {
            ledger.record(new StepResult.Persisted(0, n.quotePoint(),
                    recovered.head().map(h -> ArchiveLayout.segmentKey(run.host(), h.sequence())), 0));
        } else {
            throw RunStopped.refused((PackResult.Failure) result).failure();
        }
    }

    /** Sizes of the three objects of segment {@code sequence} as the store reports them. */
    private long uploadedBytes(ArchiveStore store, long sequence) throws IOException {
        long total = 0;
        for (String key : List.of(ArchiveLayout.segmentKey(run.host(), sequence), ArchiveLayout.signatureKey(run.host(), sequence),
                ArchiveLayout.manifestKey(run.host(), sequence))) {
            total += store.stat(key).map(ObjectInfo::size).orElse(0L);
        }
        return total;
    }

    private static Optional<String> kernelVersion() {
        try {
            return Optional.of(Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}

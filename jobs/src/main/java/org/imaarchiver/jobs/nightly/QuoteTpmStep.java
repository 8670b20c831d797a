package org.imaarchiver.jobs.nightly;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.imaarchiver.archive.chain.PackPlan;
import org.imaarchiver.archive.chain.SegmentPacker;
import org.imaarchiver.replay.quote.QuoteEvidence;
import org.imaarchiver.jobs.host.tpm.Tpm2;
import org.imaarchiver.jobs.host.tpm.TpmFailure;
import org.imaarchiver.jobs.host.tpm.TpmTransports;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.quote.MalformedQuoteException;
import org.imaarchiver.replay.quote.PcrSelection;

/**
 * Step 4 (D.2 step 2, C.3, C.4): plan the segment, then quote with the plan's derived nonce BEFORE
 * the list is read. A probe quote gives resetCount as this AK reports it, which tells a reboot from
 * a kexec when the list alone cannot.
 */
final class QuoteTpmStep extends NightlyStep {
    QuoteTpmStep(ArchiveRun run, RunLedger ledger) {
        super("quoteTpm", run, ledger);
    }

    @Override
    void perform() throws IOException, TpmFailure, RunStopped.Failure {
        StepResult.Recovered recovered = ledger.get(StepResult.Recovered.class);
        try (Tpm2 tpm = new Tpm2(TpmTransports.open(run.settings().tpm()))) {
            AttestationKey ak = AttestationKey.load(tpm, run.settings().ak());
            try {
                List<PcrSelection> selection = run.selection();
                // resetCount as this AK reports it (obfuscated for owner-hierarchy AKs, C.4): a probe quote
                org.imaarchiver.replay.quote.Quote probe = tpm.quote(ak.handle(), ak.publicArea().name(), Bytes.wrap(new byte[32]), selection).attested();
                long trimmedSoFar = recovered.trimmedSoFar();
                Optional<MeasurementRecord> recordZero = recovered.recordZero();
                if (recovered.bootAmbiguous() && recovered.head().isPresent()
                        && probe.clockInfo().resetCount() != recovered.head().get().boot().resetCount()) {
                    trimmedSoFar = 0; // a reboot: the list starting with this boot_aggregate is a new one
                    recordZero = recovered.kernelHead();
                }
                ledger.record(new StepResult.BootDecided(trimmedSoFar, recordZero));
                SegmentPacker.PlanResult pr = run.packer(recovered.store()).plan(run.host(), recordZero, probe.clockInfo().resetCount(),
                        probe.clockInfo().restartCount(), ak.publicArea().name());
                if (pr instanceof SegmentPacker.Refused r) throw RunStopped.refused(r.failure()).failure();
                PackPlan plan = ((SegmentPacker.Planned) pr).plan();
                QuoteEvidence q = tpm.quote(ak.handle(), ak.publicArea().name(), Bytes.wrap(plan.derivedNonce().bytes()), selection);
                ledger.record(new StepResult.Quoted(plan, q, ak.publicArea().akPublicKey()));
            } finally {
                ak.release(tpm);
            }
        } catch (MalformedQuoteException e) {
            throw RunStopped.of(RunOutcome.VERIFICATION_FAILED, "the TPM's quote does not parse: " + e.getMessage()).failure();
        }
    }
}

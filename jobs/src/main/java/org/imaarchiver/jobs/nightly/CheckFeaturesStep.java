package org.imaarchiver.jobs.nightly;

import java.nio.file.Files;
import java.util.Optional;
import org.imaarchiver.jobs.host.securityfs.SecurityfsFeatures;

/** Step 3 (D.2 step 0): the bank's list, staging files, {@code ima_flush_htable}. */
final class CheckFeaturesStep extends NightlyStep {
    CheckFeaturesStep(ArchiveRun run, RunLedger ledger) {
        super("checkFeatures", run, ledger);
    }

    @Override
    void perform() throws java.io.IOException, RunStopped.Failure {
        StepResult.Recovered recovered = ledger.get(StepResult.Recovered.class);
        SecurityfsFeatures features = recovered.log().features();
        if (!features.banks().contains(run.bank())) {
            // a kernel before 6.10 exports the SHA-1 template digests only (B.1): say how to read it
            String hint = features.legacyOnly() ? " (this kernel has only the SHA-1 list binary_runtime_measurements:"
                    + " set ima-archiver.template-bank=sha1)" : "";
            throw RunStopped.of(RunOutcome.ENVIRONMENT_ERROR, "no binary_runtime_measurements_" + run.bank().kernelName()
                    + " in " + recovered.log().root() + hint).failure();
        }
        Optional<String> notTrimmed = features.mode() == SecurityfsFeatures.Mode.ARCHIVE_ONLY ? Optional.of("archive_only") : Optional.empty();
        // ima_flush_htable: N is EINVAL; staging with prompt, the excess kept before D (docs/operations.md)
        // an EINVAL on N seen by an earlier run (a /proc/cmdline that hides the parameter, e.g. in a container)
        if (features.staging() && !features.flushHtable() && Files.exists(run.flushHtableFile())) {
            features = features.withFlushHtable();
        }
        ledger.record(new StepResult.FeaturesChecked(features, features.mode() == SecurityfsFeatures.Mode.STAGE_WITH_PROMPT, notTrimmed));
    }
}

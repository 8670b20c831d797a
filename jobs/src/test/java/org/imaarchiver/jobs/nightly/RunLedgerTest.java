package org.imaarchiver.jobs.nightly;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.imaarchiver.jobs.config.ArchiverSettings;
import org.imaarchiver.jobs.host.state.RecordId;
import org.imaarchiver.jobs.host.state.TrimIntent;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the run's outcome and current values follow from the step results (no kernel, no TPM). */
class RunLedgerTest {
    static final Instant T0 = Instant.parse("2026-11-27T00:00:00Z");

    @TempDir
    Path dir;

    private RunLedger ledger() {
        ArchiverSettings s = new ArchiverSettings("h", dir.resolve("ima"), dir.resolve("cmdline"), "device:/dev/null", "sha256",
                List.of("sha256"), List.of(10), new ArchiverSettings.Ak("primary", "0x81010002", "rsa2048", "endorsement"),
                new ArchiverSettings.Store(dir.resolve("archive").toString(), "", "", false, "", ""),
                new ArchiverSettings.Signing(dir.resolve("keys")), "", dir.resolve("state"), dir.resolve("lock"),
                dir.resolve("state/trim-journal.json"), dir.resolve("metrics.prom"),
                new ArchiverSettings.Backoff(1, Duration.ofMillis(1), Duration.ofMillis(1)));
        return new RunLedger(new ArchiveRun(s, Clock.fixed(T0, ZoneOffset.UTC), (location, options) -> {
            throw new AssertionError("no store");
        }));
    }

    private static TrimIntent intent() {
        RecordId id = new RecordId(Digest.zeros(32), Digest.zeros(32));
        return new TrimIntent(5, 0, HashAlgorithm.SHA256, id, id, Optional.empty(), "k");
    }

    @Test
    void theFirstDecisionStands() {
        RunLedger l = ledger();
        l.stop(RunStopped.of(RunOutcome.VERIFICATION_FAILED, "no quote point"));
        l.stop(RunStopped.of(RunOutcome.ENVIRONMENT_ERROR, "recordHead: disk full"));
        assertThat(l.outcome()).isEqualTo(RunOutcome.VERIFICATION_FAILED);
        assertThat(l.summary().detail()).isEqualTo("no quote point");
    }

    @Test
    void aDisagreementFoundEarlierExplainsALaterVerificationFailure() {
        RunLedger l = ledger();
        l.record(new StepResult.ExcessSettled(Optional.empty(), 7, Optional.of("records [3, 7) are neither archived nor kept"), List.of()));
        l.stop(RunStopped.of(RunOutcome.VERIFICATION_FAILED, "no-quote-point"));
        assertThat(l.outcome()).isEqualTo(RunOutcome.TRIM_BLOCKED);
        assertThat(l.blockReason()).hasValue("records [3, 7) are neither archived nor kept");
        assertThat(l.trimmedSoFar()).isEqualTo(7);
    }

    @Test
    void aDeclinedTrimVoidsTheIntentAndLeavesTheKernelUntrimmed() {
        RunLedger l = ledger();
        l.record(new StepResult.Persisted(10, 10, Optional.of("k"), 100));
        l.record(new StepResult.Journaled(Optional.of(intent()), Optional.empty()));
        assertThat(l.intent()).isPresent();
        l.record(new StepResult.TrimDeclined(Optional.of("busy"), Optional.empty(), Optional.empty()));
        assertThat(l.intent()).isEmpty();
        assertThat(l.outcome()).isEqualTo(RunOutcome.ARCHIVED_NOT_TRIMMED);
        assertThat(l.summary().logLine()).contains("records_archived=10", "bytes_uploaded=100", "detail=\"busy\"");
    }

    @Test
    void aTrimMovesTheCursor() {
        RunLedger l = ledger();
        l.record(new StepResult.BootDecided(3, Optional.empty()));
        l.record(new StepResult.KernelTrimmed(5, 8, Optional.of(Duration.ofMillis(2))));
        assertThat(l.trimmedSoFar()).isEqualTo(8);
        assertThat(l.outcome()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED);
        assertThat(l.summary().logLine()).contains("trimmed_so_far=8", "lock_ms=2.000", "duration_ms=0");
    }

    @Test
    void aResultIsRecordedOnce() {
        RunLedger l = ledger();
        l.record(new StepResult.BootDecided(3, Optional.empty()));
        assertThatThrownBy(() -> l.record(new StepResult.BootDecided(4, Optional.empty()))).isInstanceOf(IllegalStateException.class);
    }
}

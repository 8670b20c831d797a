package org.imaarchiver.jobs.nightly;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.imaarchiver.jobs.host.tpm.Tpm2;
import org.imaarchiver.jobs.host.tpm.TpmTransports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The production TPM transport ({@code device:}, DeviceTransport: one {@code write(2)} per command,
 * the response from the following {@code read(2)}s, as on {@code /dev/tpmrm0}) through real system
 * calls on the emulator's {@code --tpm-device} file, which forwards each command to the swtpm.
 * There is no TPM character device here (no /dev/cuse, no vtpm proxy).
 */
class NightlyTpmDeviceTest {
    @TempDir
    Path dir;

    @Test
    void enrollAndTwoNightsQuoteOverTheDevicePath() throws Exception {
        try (NightlyHarness h = new NightlyHarness(dir, true)) { // enrolls over the device path
            assertThat(h.tcti()).startsWith("device:");
            h.bootAggregate("1");
            h.measure(25);
            NightlyHarness.Result r = h.archiveInProcess();
            assertThat(r.exitCode()).as(r.output()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
            h.measure(10);
            r = h.archiveInProcess();
            assertThat(r.exitCode()).as(r.output()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
            assertThat(h.archivedRecords()).containsExactlyElementsOf(h.measured);
            var report = h.verifyChain(); // the quotes verify under the AK enrolled over the device
            assertThat(report.ok()).as(report.findings().toString()).isTrue();
        }
    }

    @Test
    void pcrReadOverTheDeviceEqualsTpm2ToolsOverTcp() throws Exception {
        try (NightlyHarness h = new NightlyHarness(dir, true)) {
            h.bootAggregate("1");
            h.measure(3);
            String viaTools = h.tpm.tpm2("tpm2_pcrread", "sha256:10");
            try (Tpm2 tpm = new Tpm2(TpmTransports.open(h.tcti()))) {
                var values = tpm.pcrRead(java.util.List.of(org.imaarchiver.replay.quote.PcrSelection.of(
                        org.imaarchiver.replay.pcr.HashAlgorithm.SHA256, 10)));
                assertThat(values.values()).hasSize(1);
                String viaDevice = values.values().values().iterator().next().hex();
                assertThat(extractHex(viaTools)).isEqualTo(viaDevice.toLowerCase());
            }
        }
    }

    private static String extractHex(String s) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("[0-9a-fA-F]{64}").matcher(s);
        if (!m.find()) throw new AssertionError("no sha256 value in " + s);
        return m.group().toLowerCase();
    }
}

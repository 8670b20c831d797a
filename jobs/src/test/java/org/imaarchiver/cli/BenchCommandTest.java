package org.imaarchiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.testsupport.Tools;
import org.junit.jupiter.api.Test;

class BenchCommandTest {
    @Test
    void parsesOpensslSpeedOutputOfTheInstalledOpenssl() throws Exception {
        Tools.require("openssl", "openssl");
        Process p = new ProcessBuilder("openssl", "speed", "-seconds", "1", "-bytes", "64", "sha1", "sha256")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(30, TimeUnit.SECONDS);
        Map<String, Double> m = BenchCommand.parseOpensslSpeed(out);
        assertThat(m).containsOnlyKeys("sha1", "sha256");
        assertThat(m.values()).allSatisfy(v -> assertThat(v).isGreaterThan(1e6));  // bytes/s, at least 1 MB/s
    }

    @Test
    void evmctlPcrFileHas24LinesFromPcr0() {
        String f = BenchCommand.evmctlFile(Map.of(PcrBank.of(10, HashAlgorithm.SHA1), Digest.filled(20, (byte) 0xab)),
                HashAlgorithm.SHA1);
        assertThat(f.lines()).hasSize(24);
        assertThat(f.lines().findFirst()).hasValue("PCR-00: " + "00".repeat(20));
        assertThat(f).contains("PCR-10: " + "ab".repeat(20));
    }

    @Test
    void parsesOurReplayJson() throws Exception {
        Map<PcrBank, Digest> m = BenchCommand.parsePcrs("{\"pcrs\": {\"11\": {\"sha1\": \"" + "01".repeat(20) + "\"}}}");
        assertThat(m).containsEntry(PcrBank.of(11, HashAlgorithm.SHA1), Digest.filled(20, (byte) 1));
    }
}

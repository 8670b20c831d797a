package org.imaarchiver.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.synth.LogGenerator;
import org.imaarchiver.replay.testsupport.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our replay against evmctl, the independent peer, on generated lists: violations, mixed templates,
 * several PCRs. One evmctl run per bank with {@code --verify-bank=ALG}, grepping "Matched"
 * (evmctl exits 0 even when it compared nothing; kernel-interface.md T.3).
 */
class EvmctlAgreementTest {
    private static final List<HashAlgorithm> BANKS = List.of(HashAlgorithm.SHA1, HashAlgorithm.SHA256);
    @TempDir Path dir;

    @Test
    void evmctlMatchesOurReplayOnMixedListsWithViolationsAndSeveralPcrs() throws Exception {
        Tools.require("evmctl", "ima-evm-utils");
        record Variant(String name, LogGenerator.Options options) {}
        for (Variant v : List.of(
                new Variant("mixed", LogGenerator.Options.defaults(21).withViolationRate(0.02).withOtherPcrRate(0.1)
                        .withSignatureRate(0)),
                new Variant("pure-ima", LogGenerator.Options.defaults(22).withViolationRate(0.01).withImaTemplateRate(1)),
                new Variant("no-violations", LogGenerator.Options.defaults(23).withViolationRate(0).withSignatureRate(0)))) {
            Path log = dir.resolve(v.name() + ".bin");
            LogGenerator.Summary s = LogGenerator.writeFile(log, 4000, v.options());
            Cli.Result r = Cli.run("replay", "--json", log.toString());
            assertThat(r.code()).as(r.toString()).isZero();
            Map<PcrBank, Digest> ours = new TreeMap<>();
            for (PcrBank k : s.expectedPcrs().keySet()) ours.put(k, r.pcr(k.index(), k.algorithm()));
            assertThat(ours).as(v.name() + ": ours vs the generator's own computation").isEqualTo(s.expectedPcrs());
            for (HashAlgorithm bank : BANKS) {
                assertThat(evmctl(log, bank, ours)).as(v.name() + " " + bank).contains("Matched");
            }
            // a wrong PCR 10 must not match
            Map<PcrBank, Digest> wrong = new TreeMap<>(ours);
            wrong.put(PcrBank.of(10, HashAlgorithm.SHA1), Digest.filled(20, (byte) 7));
            assertThat(evmctl(log, HashAlgorithm.SHA1, wrong)).as(v.name() + " negative").doesNotContain("Matched");
        }
    }

    /** evmctl 1.4 reads only 20-byte digests; a per-bank list is checked against the generator's oracle. */
    @Test
    void perBankListReplaysToTheSamePcrsAsTheLegacyList() throws Exception {
        LogGenerator.Options o = LogGenerator.Options.defaults(24).withViolationRate(0.01);
        Path legacy = dir.resolve("legacy.bin");
        Path perBank = dir.resolve("sha256.bin");
        LogGenerator.Summary s = LogGenerator.writeFile(legacy, 3000, o);
        LogGenerator.writeFile(perBank, 3000, o.withStoredDigest(HashAlgorithm.SHA256));
        Cli.Result a = Cli.run("replay", "--json", legacy.toString());
        Cli.Result b = Cli.run("replay", "--json", perBank.toString());
        assertThat(b.code()).as(b.toString()).isZero();
        assertThat(b.json().get("pcrs")).isEqualTo(a.json().get("pcrs"));
        assertThat(b.pcr(10, HashAlgorithm.SHA256)).isEqualTo(s.expectedPcrs().get(PcrBank.of(10, HashAlgorithm.SHA256)));
    }

    private String evmctl(Path log, HashAlgorithm bank, Map<PcrBank, Digest> pcrs) throws Exception {
        Path f = Cli.evmctlPcrFile(dir.resolve("pcrs." + bank.kernelName()), pcrs, bank);
        Process p = new ProcessBuilder("evmctl", "-v", "ima_measurement", "--ignore-violations",
                "--verify-bank=" + bank.kernelName(), "--pcrs", bank.kernelName() + "," + f, log.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        StringBuilder sb = new StringBuilder();
        out.lines().filter(l -> l.contains("Matched") || l.contains("Failed") || l.contains("PCR-"))
                .forEach(l -> sb.append(l).append('\n'));
        return sb.toString();
    }
}

package org.imaarchiver.replay.synth;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.SortedMap;
import java.util.concurrent.TimeUnit;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.testsupport.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogGeneratorTest {
    @TempDir Path dir;

    @Test
    void sameSeedGivesSameBytesAndDifferentSeedDifferentBytes() throws IOException {
        LogGenerator.Options o = LogGenerator.Options.defaults(7);
        LogGenerator.writeFile(dir.resolve("a"), 3000, o);
        LogGenerator.writeFile(dir.resolve("b"), 3000, o);
        LogGenerator.writeFile(dir.resolve("c"), 3000, LogGenerator.Options.defaults(8));
        assertThat(Files.mismatch(dir.resolve("a"), dir.resolve("b"))).isEqualTo(-1L);
        assertThat(Files.mismatch(dir.resolve("a"), dir.resolve("c"))).isNotEqualTo(-1L);
    }

    @Test
    void listStartsWithBootAggregateAndCountsBack() throws IOException {
        Path f = dir.resolve("l");
        LogGenerator.Summary s = LogGenerator.writeFile(f, 5000, LogGenerator.Options.defaults(1).withViolationRate(0.01));
        byte[] b = Files.readAllBytes(f);
        assertThat(s.bytes()).isEqualTo(b.length);
        assertThat(new String(b, StandardCharsets.ISO_8859_1)).contains("boot_aggregate", "ima-sig", "ima-buf",
                "d-ng|n-ng", "kexec-cmdline", "/usr/lib/x86_64-linux-gnu/");
        assertThat(b[0]).isEqualTo((byte) 10);
        assertThat(s.violations()).isBetween(20L, 100L);
        assertThat(LogGenerator.countRecords(f, 20)).isEqualTo(5000);
        assertThat(s.expectedPcrs().keySet()).extracting(PcrBank::index).contains(10, 11, 12);
    }

    @Test
    void appendContinuesTheIndex() throws IOException {
        Path f = dir.resolve("l");
        LogGenerator.Options o = LogGenerator.Options.defaults(3);
        LogGenerator.writeFile(f, 1000, o);
        LogGenerator.Summary s = LogGenerator.appendFile(f, 500, o);
        assertThat(s.firstIndex()).isEqualTo(1000);
        assertThat(LogGenerator.countRecords(f, 20)).isEqualTo(1500);
    }

    @Test
    void perBankFileCarriesTheSameRecordsAsTheLegacyFile() throws IOException {
        LogGenerator.Options o = LogGenerator.Options.defaults(5).withViolationRate(0.01);
        LogGenerator.Summary legacy = LogGenerator.writeFile(dir.resolve("sha1"), 2000, o);
        LogGenerator.Summary perBank = LogGenerator.writeFile(dir.resolve("sha256"), 2000,
                o.withStoredDigest(HashAlgorithm.SHA256));
        assertThat(perBank.expectedPcrs()).isEqualTo(legacy.expectedPcrs());
        assertThat(perBank.violations()).isEqualTo(legacy.violations());
        // 12 more digest bytes per record, nothing else differs
        assertThat(perBank.bytes() - legacy.bytes()).isEqualTo(2000L * 12);
        assertThat(LogGenerator.countRecords(dir.resolve("sha256"), 32)).isEqualTo(2000);
    }

    /**
     * evmctl is the independent peer: its replay of our list must reach our expected PCRs. evmctl 1.4
     * reads only 20-byte template digests, so per-bank files are checked by the e2e tests instead.
     */
    @Test
    void evmctlMatchesExpectedPcrs() throws Exception {
        Tools.require("evmctl", "ima-evm-utils");
        for (String variant : List.of("mixed", "ima")) {
            HashAlgorithm stored = HashAlgorithm.SHA1;
            Path f = dir.resolve("list-" + variant);
            // evmctl hashes local files named by signed records; unsigned keeps the peer run clean
            LogGenerator.Options o = LogGenerator.Options.defaults(11).withStoredDigest(stored).withViolationRate(0.01)
                    .withSignatureRate(0).withImaTemplateRate(variant.equals("ima") ? 1 : 0);
            LogGenerator g = LogGenerator.newList(o);
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(f))) {
                g.write(out, 1500, null);
            }
            // continuation with carried state = one list
            LogGenerator g2 = LogGenerator.continuing(o, g.nextIndex(), g.state());
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(f, StandardOpenOption.APPEND))) {
                g2.write(out, 700, null);
            }
            for (HashAlgorithm bank : List.of(HashAlgorithm.SHA1, HashAlgorithm.SHA256)) {
                assertThat(evmctl(f, bank, g2.state())).as(variant + " list, bank " + bank).contains("Matched");
            }
            // negative: a wrong PCR 10 must not match
            var wrong = new java.util.TreeMap<>(g2.state());
            wrong.put(PcrBank.of(10, HashAlgorithm.SHA256), Digest.filled(32, (byte) 1));
            assertThat(evmctl(f, HashAlgorithm.SHA256, wrong)).doesNotContain("Matched");
        }
    }

    private String evmctl(Path log, HashAlgorithm bank, SortedMap<PcrBank, Digest> pcrs) throws Exception {
        Path pf = dir.resolve("pcrs-" + bank);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            Digest d = pcrs.getOrDefault(PcrBank.of(i, bank), bank.zero());
            lines.add(String.format("PCR-%02d: %s", i, d.hex()));
        }
        Files.write(pf, lines);
        Process p = new ProcessBuilder("evmctl", "-v", "ima_measurement", "--ignore-violations",
                "--verify-bank=" + bank.kernelName(), "--pcrs", bank.kernelName() + "," + pf, log.toString())
                .redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        p.waitFor(60, TimeUnit.SECONDS);
        String s = new String(out, StandardCharsets.UTF_8);
        return s.lines().filter(l -> l.contains("Matched") || l.contains("Failed") || l.contains("PCR-"))
                .reduce("", (a, l) -> a + l + "\n");
    }
}

package org.imaarchiver.jobs.reverify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.imaarchiver.archive.receipt.VerificationReceipt;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Very long chains verified as several partitions of segment ranges (--segments-per-partition) give
 * byte for byte the report and receipts of verifying each chain whole, including findings that sit
 * exactly on a part boundary: a missing segment, a missing first segment, a reboot, a flipped byte.
 */
class ReverifySplitChainTest {
    static final String OK = "long-ok";
    static final String BOOT = "long-boot";
    static final String GAP = "long-gap";
    static final String NO_START = "long-nostart";
    static final String FLIP = "long-flip";
    /** Segment 2 swapped for a copy of segment 1 without sidecar: the link 2 -> 3 is broken, seen through 2's footer. */
    static final String SWAP = "long-swap";
    static final String SHORT = "short";
    /** The longest host id (128 characters): its partition names must still fit Batch's STEP_NAME (100). */
    static final String LONG_ID = "l" + "o".repeat(100) + "ng-host-id.example.org-0001".substring(0, 27);

    @TempDir static Path shared;
    @TempDir Path dir;

    static TestArchive archive;
    static Path trust;
    static KeyMaterial verifierKey;
    static Path wholeReport;
    static Path wholeReceipts;

    @BeforeAll
    static void build() throws Exception {
        archive = new TestArchive(shared.resolve("store"));
        int seed = 700;
        assertThat(LONG_ID).hasSize(org.imaarchiver.archive.chain.ArchiveLayout.MAX_HOST_ID_LENGTH);
        for (String h : List.of(OK, GAP, NO_START, FLIP, SWAP, LONG_ID)) {
            TestArchive.Host host = archive.host(h, seed++, 70);
            for (int n = 10; n <= 70; n += 10) host.segment(n);
        }
        // Reboot after segment 2: with 3 segments per part the new boot starts part 2 exactly.
        archive.host(BOOT, seed++, 30).segment(10).segment(20).segment(30).reboot(seed++, 40).segment(10).segment(20).segment(30).segment(40);
        archive.host(SHORT, seed, 8).segment(8);
        archive.deleteSegment(GAP, 2);
        archive.deleteSegment(NO_START, 0);
        archive.flipByte(FLIP, 4);
        archive.replaceWithoutSidecar(SWAP, 2, 1);
        trust = archive.trustDir(shared.resolve("trust"), List.of(OK, BOOT, GAP, NO_START, FLIP, SWAP, SHORT, LONG_ID));
        verifierKey = KeyMaterial.generate(KeyMaterial.KeyType.P256, "verifier", TestArchive.T0.minusSeconds(60),
                TestArchive.T0.plusSeconds(86400 * 365L));
        VerifyJobResult whole = new VerifyJobRunner().run(request(shared.resolve("whole-state"), shared.resolve("whole")));
        assertThat(whole.completed()).isTrue();
        Map<String, Map<String, Object>> hosts = ReverifyJobTest.hostsOf(whole.jsonReport());
        // The fixture is what it claims: the attacked chains fail, the others verify.
        for (String h : List.of(OK, BOOT, SHORT, LONG_ID)) assertThat(hosts.get(h).get("status")).as(h).isEqualTo("ok");
        for (String h : List.of(GAP, NO_START, FLIP, SWAP)) assertThat(hosts.get(h).get("status")).as(h).isEqualTo("failed");
        // Whole-chain verification links segment 3 to segment 2's footer manifest (segment 1's): broken.
        assertThat(ReverifyJobTest.kinds(hosts.get(SWAP))).contains("missing-sidecar", "broken-link");
        assertThat(ReverifyJobTest.kinds(hosts.get(GAP))).contains("sequence-gap");
        assertThat(ReverifyJobTest.kinds(hosts.get(NO_START))).contains("sequence-gap");
        wholeReport = whole.jsonReport();
        wholeReceipts = whole.receiptsDir();
    }

    static VerifyJobRequest request(Path state, Path out) {
        return VerifyJobRequest.of(archive.root.toString(), trust, state, out).withParallel(2, 2)
                .withProgress(VerifyJobRequest.ProgressMode.NONE).withReceiptKey(verifierKey)
                .withClock(Clock.fixed(ReverifyJobTest.NOW, ZoneOffset.UTC));
    }

    @ParameterizedTest(name = "{0} segments per partition")
    @ValueSource(ints = {1, 2, 3})
    void partsGiveTheWholeChainsReport(int segmentsPerPartition) throws Exception {
        Path state = dir.resolve("state");
        VerifyJobResult r = new VerifyJobRunner().withSegmentsPerPartition(segmentsPerPartition).run(request(state, dir.resolve("out")));
        assertThat(r.completed()).isTrue();
        assertThat(Files.readString(r.jsonReport())).isEqualTo(Files.readString(wholeReport));
        for (String h : List.of(OK, BOOT, GAP, NO_START, FLIP, SWAP, SHORT, LONG_ID)) {
            Path body = r.receiptsDir().resolve(h + VerificationReceipt.JSON_SUFFIX);
            Path expected = wholeReceipts.resolve(h + VerificationReceipt.JSON_SUFFIX);
            assertThat(Files.exists(body)).as(h).isEqualTo(Files.exists(expected));
            if (Files.exists(body)) assertThat(Files.readString(body)).as(h).isEqualTo(Files.readString(expected));
        }
        // The long chains ran as parts; the one-segment chain as one partition.
        Set<String> steps = ReverifyJobTest.stepStatuses(state).keySet();
        int partsOfOk = (7 + segmentsPerPartition - 1) / segmentsPerPartition;
        for (int k = 0; k < partsOfOk; k++) assertThat(steps).contains(String.format("verifyChain:host-%s.part-%04d", OK, k));
        assertThat(steps).doesNotContain(String.format("verifyChain:host-%s.part-%04d", OK, partsOfOk))
                .contains("verifyChain:host-" + SHORT);
        // The 128-character id: shortened, stable names within STEP_NAME's 100 characters.
        String longName = ReverifyManagerConfiguration.partitionStepName(LONG_ID);
        assertThat(steps).contains(longName + ".part-0000").allMatch(n -> n.length() <= 100);
    }

    /**
     * Progress counts a split host once, when all its parts are done, failed if any part failed:
     * with one segment per part, long-flip's failing part is not its last (before, the host counted
     * as done and ok with its last part, whichever parts were still running or had failed).
     */
    @org.junit.jupiter.api.Test
    void progressCountsASplitHostOnceAndFailedIfAnyPartFailed() throws Exception {
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        VerifyJobResult r = new VerifyJobRunner(HostVerification.HostListener.NONE,
                new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8), java.time.Duration.ofMillis(1))
                .withSegmentsPerPartition(1)
                .run(request(dir.resolve("state"), dir.resolve("out")).withProgress(VerifyJobRequest.ProgressMode.LOG));
        assertThat(r.completed()).isTrue();
        Map<String, Map<String, Object>> hosts = ReverifyJobTest.hostsOf(r.jsonReport());
        long failed = hosts.values().stream().filter(h -> "failed".equals(h.get("status"))).count();
        long segments = hosts.values().stream().mapToLong(h -> ((Number) h.get("segments")).longValue()).sum();
        assertThat(failed).isEqualTo(4);
        String log = err.toString(java.nio.charset.StandardCharsets.UTF_8);
        List<String> lines = log.lines().filter(l -> l.startsWith("verify: hosts ")).toList();
        assertThat(lines).as(log).isNotEmpty();
        assertThat(lines.get(lines.size() - 1)).startsWith("verify: hosts " + hosts.size() + "/" + hosts.size() + " (" + failed
                + " failed), segments " + segments + ", ");
        // Never more hosts done than there are hosts (a host is not counted once per part).
        for (String l : lines) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^verify: hosts (\\d+)/").matcher(l);
            assertThat(m.find()).as(l).isTrue();
            assertThat(Long.parseLong(m.group(1))).as(l).isLessThanOrEqualTo(hosts.size());
        }
    }
}

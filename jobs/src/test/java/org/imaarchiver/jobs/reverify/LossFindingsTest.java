package org.imaarchiver.jobs.reverify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.chain.ExpectedCadence;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loss and rollback are findings (docs/archive-format.md §13 "Loss and rollback"): a deleted host
 * history, a chain cut back below its receipt, and a chain older than the expected cadence fail the
 * run, in local mode (per-host and range partitions) and with worker processes. Before these
 * findings each of these archives verified as ok.
 */
class LossFindingsTest {
    /** TestArchive stamps segment k of the archive (in packing order) T0 + k minutes. */
    static final Instant NEWEST_OF_A = TestArchive.T0.plusSeconds(60 * 1);

    @TempDir Path dir;

    /** Hosts a (2 segments), b (1), gone (1, then `rm -rf hosts/gone`), emptied (1, then its segments/* removed); "never" only enrolled. */
    record Fixture(TestArchive archive, Path trust) {}

    Fixture fixture() throws Exception {
        TestArchive archive = new TestArchive(dir.resolve("store"));
        archive.host("a", 1, 12).segment(5).segment(9);
        archive.host("b", 2, 12).segment(6);
        archive.host("gone", 3, 12).segment(7);
        archive.host("emptied", 4, 12).segment(8);
        Path trust = archive.trustDir(dir.resolve("trust"), List.of("a", "b", "gone", "emptied", "never"));
        deleteTree(archive.root.resolve(ArchiveLayout.hostPrefix("gone")));
        deleteTree(archive.root.resolve(ArchiveLayout.segmentsPrefix("emptied")));
        Files.createDirectories(archive.root.resolve(ArchiveLayout.segmentsPrefix("emptied"))); // an empty folder stays
        return new Fixture(archive, trust);
    }

    VerifyJobRequest request(Fixture f, String name, Instant now) {
        return VerifyJobRequest.of(f.archive().root.toString(), f.trust(), dir.resolve("state-" + name), dir.resolve("out-" + name))
                .withParallel(2, 1).withProgress(VerifyJobRequest.ProgressMode.NONE).withClock(Clock.fixed(now, ZoneOffset.UTC));
    }

    @Test
    void enrolledHostsWithoutAChainAreMissingChainInHostAndRangePartitions() throws Exception {
        Fixture f = fixture();
        Instant now = TestArchive.T0.plusSeconds(3600);
        for (int maxPartitions : new int[] {1024, 1}) {
            VerifyJobResult r = new VerifyJobRunner().withMaxPartitions(maxPartitions).run(request(f, "p" + maxPartitions, now));
            assertThat(r.completed()).isTrue();
            Map<String, Map<String, Object>> hosts = ReverifyJobTest.hostsOf(r.jsonReport());
            assertThat(hosts.keySet()).as("partitions " + maxPartitions).containsExactly("a", "b", "emptied", "gone", "never");
            for (String h : List.of("gone", "emptied", "never")) {
                assertThat(hosts.get(h)).as(h).containsEntry("status", "failed").containsEntry("segments", 0L);
                assertThat(failures(hosts.get(h))).as(h).singleElement()
                        .satisfies(x -> assertThat(x).containsEntry("kind", "missing-chain").containsEntry("segment", org.imaarchiver.replay.json.Json.NULL)
                                .containsEntry("found", "no segments"));
            }
            assertThat(hosts.get("a")).containsEntry("status", "ok");
            assertThat(hosts.get("b")).containsEntry("status", "ok");
            assertThat(r.ok()).isFalse();
            assertThat(r.counts().orElseThrow().failedHosts()).isEqualTo(3);
        }
    }

    @Test
    void aChainCutBackBelowItsReceiptIsBehindReceipt() throws Exception {
        TestArchive archive = new TestArchive(dir.resolve("store"));
        archive.host("a", 1, 12).segment(5).segment(9);
        archive.host("b", 2, 12).segment(6);
        archive.host("c", 3, 12).segment(6);
        Path trust = archive.trustDir(dir.resolve("trust"), List.of("a", "b", "c"));
        Fixture f = new Fixture(archive, trust);
        KeyMaterial verifier = KeyMaterial.generate(KeyMaterial.KeyType.P256, "verifier", TestArchive.T0.minusSeconds(60),
                TestArchive.T0.plusSeconds(86400 * 30L));
        VerifyJobResult first = new VerifyJobRunner().run(request(f, "first", TestArchive.T0.plusSeconds(3600)).withReceiptKey(verifier));
        assertThat(first.ok()).isTrue();

        archive.deleteSegment("a", 1); // the newest segment, which a's receipt covers
        deleteTree(archive.root.resolve(ArchiveLayout.hostPrefix("b")));
        VerifyJobResult second = new VerifyJobRunner().run(request(f, "second", TestArchive.T0.plusSeconds(7200))
                .withReceiptKey(verifier).withSinceReceipts(first.receiptsDir(), Optional.empty()));
        Map<String, Map<String, Object>> hosts = ReverifyJobTest.hostsOf(second.jsonReport());
        assertThat(failures(hosts.get("a"))).singleElement().satisfies(x -> assertThat(x).containsEntry("kind", "behind-receipt")
                .containsEntry("segment", 1L).containsEntry("expected", "last segment >= 1").containsEntry("found", "0"));
        assertThat(failures(hosts.get("b"))).singleElement().satisfies(x -> assertThat(x).containsEntry("kind", "behind-receipt")
                .containsEntry("segment", 0L).containsEntry("found", "no segments"));
        assertThat(hosts.get("c")).containsEntry("status", "ok");
        assertThat(second.ok()).isFalse();
    }

    @Test
    void aChainOlderThanTheCadenceIsStaleAlsoWithNothingNewAfterItsReceipt() throws Exception {
        TestArchive archive = new TestArchive(dir.resolve("store"));
        archive.host("a", 1, 12).segment(5).segment(9);
        Path trust = archive.trustDir(dir.resolve("trust"), List.of("a"));
        Fixture f = new Fixture(archive, trust);
        ExpectedCadence twoDays = new ExpectedCadence.Within(Duration.ofDays(2));
        KeyMaterial verifier = KeyMaterial.generate(KeyMaterial.KeyType.P256, "verifier", TestArchive.T0.minusSeconds(60),
                TestArchive.T0.plusSeconds(86400 * 30L));

        // Within the cadence: ok, and a receipt.
        Instant inTime = NEWEST_OF_A.plus(Duration.ofDays(2)).minusSeconds(1);
        VerifyJobResult fresh = new VerifyJobRunner().run(request(f, "fresh", inTime).withCadence(twoDays).withReceiptKey(verifier));
        assertThat(fresh.ok()).as(Files.readString(fresh.jsonReport())).isTrue();

        // Past it: stale-chain, whole chain verified and after the receipt with nothing new (the head's age).
        Instant late = NEWEST_OF_A.plus(Duration.ofDays(2)).plusSeconds(1);
        VerifyJobResult whole = new VerifyJobRunner().run(request(f, "whole", late).withCadence(twoDays).withReceiptKey(verifier));
        VerifyJobResult after = new VerifyJobRunner().run(request(f, "after", late).withCadence(twoDays).withReceiptKey(verifier)
                .withSinceReceipts(fresh.receiptsDir(), Optional.empty()));
        for (VerifyJobResult r : List.of(whole, after)) {
            Map<String, Object> a = ReverifyJobTest.hostsOf(r.jsonReport()).get("a");
            assertThat(a).containsEntry("status", "failed");
            assertThat(failures(a)).singleElement().satisfies(x -> assertThat(x).containsEntry("kind", "stale-chain")
                    .containsEntry("found", NEWEST_OF_A.toString()).containsEntry("expected", "createdAt >= " + late.minus(Duration.ofDays(2))));
            assertThat(r.counts().orElseThrow().failedHosts()).isEqualTo(1);
            assertThat(Files.exists(r.receiptsDir().resolve("a.receipt.json"))).as("no receipt for a stale chain").isFalse();
        }
        assertThat(ReverifyJobTest.hostsOf(after.jsonReport()).get("a")).containsEntry("sinceReceipt", 1L).containsEntry("segments", 0L);

        // Off: the same late run is ok.
        assertThat(new VerifyJobRunner().run(request(f, "off", late)).ok()).isTrue();
    }

    /**
     * Worker processes (`--workers 1`, ranges too) give local mode's report: the findings live where
     * both modes verify. After receipts: a's newest segment deleted (behind-receipt), b stale, the
     * deleted hosts missing.
     */
    @Test
    void workerProcessesGiveTheSameLossFindings() throws Exception {
        Fixture f = fixture();
        KeyMaterial verifier = KeyMaterial.generate(KeyMaterial.KeyType.P256, "verifier", TestArchive.T0.minusSeconds(60),
                TestArchive.T0.plusSeconds(86400 * 30L));
        VerifyJobResult first = new VerifyJobRunner().run(request(f, "first", TestArchive.T0.plusSeconds(3600)).withReceiptKey(verifier));
        f.archive().deleteSegment("a", 1);
        Instant late = NEWEST_OF_A.plus(Duration.ofDays(3));
        ExpectedCadence twoDays = new ExpectedCadence.Within(Duration.ofDays(2));
        Optional<org.imaarchiver.archive.sign.TrustedKeys> signers = Optional.of(
                org.imaarchiver.archive.sign.TrustedKeys.ofCertificates(List.of(verifier.certificate())));
        VerifyJobResult local = new VerifyJobRunner().run(request(f, "local", late).withCadence(twoDays)
                .withSinceReceipts(first.receiptsDir(), signers));
        Map<String, Map<String, Object>> expected = ReverifyJobTest.hostsOf(local.jsonReport());
        assertThat(ReverifyJobTest.kinds(expected.get("a"))).containsExactly("behind-receipt", "stale-chain");
        assertThat(ReverifyJobTest.kinds(expected.get("b"))).containsExactly("stale-chain");
        assertThat(ReverifyJobTest.kinds(expected.get("never"))).containsExactly("missing-chain");
        VerifyJobResult workers = new VerifyJobRunner().withMaxPartitions(2).run(request(f, "workers", late).withCadence(twoDays)
                .withSinceReceipts(first.receiptsDir(), signers)
                .withDistribution(new VerifyJobRequest.Distribution(Optional.empty(), Optional.empty(), 1)));
        assertThat(workers.completed()).isTrue();
        assertThat(ReverifyJobTest.hostsOf(workers.jsonReport())).isEqualTo(expected);
    }

    /**
     * Objects under a host's prefix that are no segment object (an editor's backup, a stray upload)
     * are a note in the report, not a finding: the chain stays ok.
     */
    @Test
    void unknownObjectsOfAHostAreANoteNotAFinding() throws Exception {
        TestArchive archive = new TestArchive(dir.resolve("store"));
        archive.host("a", 1, 12).segment(5);
        Path trust = archive.trustDir(dir.resolve("trust"), List.of("a"));
        Path segments = archive.root.resolve(ArchiveLayout.segmentsPrefix("a"));
        Files.copy(segments.resolve("0000000000.manifest.json"), segments.resolve("0000000000.manifest.json.bak"));
        Files.writeString(archive.root.resolve(ArchiveLayout.hostPrefix("a")).resolve("notes.txt"), "left here\n");
        VerifyJobResult r = new VerifyJobRunner().run(request(new Fixture(archive, trust), "notes", TestArchive.T0.plusSeconds(3600)));
        Map<String, Object> a = ReverifyJobTest.hostsOf(r.jsonReport()).get("a");
        assertThat(a).containsEntry("status", "ok").containsEntry("unknownObjectCount", 2L)
                .containsEntry("unknownObjects", List.of("hosts/a/notes.txt", "hosts/a/segments/0000000000.manifest.json.bak"));
        assertThat(r.ok()).isTrue();
        assertThat(Files.readString(r.summaryFile())).contains("a: ok, 1 segment, 5 records\n  note: 2 object(s) that are no segment object "
                + "(not verified): hosts/a/notes.txt, hosts/a/segments/0000000000.manifest.json.bak\n");
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> failures(Map<String, Object> host) {
        return (List<Map<String, Object>>) (List<?>) host.get("failures");
    }

    static void deleteTree(Path p) throws Exception {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(x);
        }
    }
}

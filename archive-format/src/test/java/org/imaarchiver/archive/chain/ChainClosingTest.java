package org.imaarchiver.archive.chain;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.imaarchiver.archive.segment.ManifestCodec;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.LocalDirectoryStore;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.BinaryLogReader;
import org.imaarchiver.replay.log.LogReadOptions;
import org.imaarchiver.replay.quote.QuoteEvidence;
import org.imaarchiver.replay.replay.Replayer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Boots closed by the run at shutdown, packed by the real packer with quotes of a {@link FakeTpm}, and
 * what the verifier reports about them (docs/archive-format.md §13 step 7, §14 {@code boots}). The
 * chain built here, by construction: boot 0 = segments 0 (records 0..9) and 1 (10..14, closing);
 * boot 1 = segments 2 (0..7) and 3 (closing, empty: nothing new at shutdown); boot 2 = segment 4
 * (0..4), never closed; boot 3 = segment 5 (0..5), the current boot.
 */
class ChainClosingTest {
    static final String HOST = "h1";

    @TempDir Path dir;
    final ArchiveFixture fixture = new ArchiveFixture();
    FakeTpm tpm;
    Path store;
    Path trust;
    int minute;

    @BeforeEach
    void build() throws Exception {
        tpm = new FakeTpm(3);
        store = Files.createDirectories(dir.resolve("archive"));
        trust = fixture.trustDir(dir.resolve("trust"), new String[] {HOST}, new FakeTpm[] {tpm});
        GeneratedList b0 = new GeneratedList(10, 15);
        assertThat(pack(b0, 10, false)).isInstanceOfSatisfying(PackResult.Packed.class, p -> assertThat(p.records()).isEqualTo(10));
        assertThat(pack(b0, 15, true)).isInstanceOfSatisfying(PackResult.Packed.class, p -> assertThat(p.records()).isEqualTo(5));
        tpm.reboot();
        GeneratedList b1 = new GeneratedList(11, 8);
        assertThat(pack(b1, 8, false)).isInstanceOf(PackResult.Packed.class);
        // a nightly run with nothing new writes nothing; the run at shutdown writes an empty closing segment
        assertThat(pack(b1, 8, false)).isInstanceOf(PackResult.NothingToPack.class);
        assertThat(pack(b1, 8, true)).isInstanceOfSatisfying(PackResult.Packed.class, p -> {
            assertThat(p.sequence()).isEqualTo(3);
            assertThat(p.records()).isZero();
        });
        tpm.reboot();
        assertThat(pack(new GeneratedList(12, 5), 5, false)).isInstanceOf(PackResult.Packed.class);
        tpm.reboot();
        assertThat(pack(new GeneratedList(13, 6), 6, false)).isInstanceOf(PackResult.Packed.class);
    }

    /** Extends the TPM up to record {@code upTo} of {@code list}, quotes with the plan's nonce and packs the whole list. */
    private PackResult pack(GeneratedList list, int upTo, boolean closesBoot) throws Exception {
        try (ArchiveStore s = LocalDirectoryStore.open(store)) {
            SegmentPacker packer = new SegmentPacker(s, fixture.signer, dir.resolve("work"), Replayer.sequential());
            SegmentPacker.PlanResult pr = packer.plan(HOST, Optional.of(list.records.get(0)), tpm.resetCount, tpm.restartCount, tpm.akName);
            PackPlan plan = ((SegmentPacker.Planned) pr).plan();
            for (int i = plan.base().map(b -> (int) b.nextIndex()).orElse(0); i < upTo; i++) tpm.extend(list.records.get(i));
            QuoteEvidence quote = tpm.quote(Bytes.wrap(plan.derivedNonce().bytes()));
            BinaryLogReader reader = BinaryLogReader.open(new ByteArrayInputStream(list.bytes(list.records.size())), LogReadOptions.of("list"));
            return packer.pack(plan, new PackRequest(HOST, reader, quote, tpm.akPublic(), new PackNonce.Derived(),
                    ArchiveFixture.T0.plusSeconds(60L * minute++), "ima-archiver/test", Optional.empty(), closesBoot));
        }
    }

    private ChainReport verify(ChainVerifier.BootClosure policy) throws Exception {
        try (ArchiveStore s = LocalDirectoryStore.open(store)) {
            return new ChainVerifier(TrustStore.load(trust), 2, dir.resolve("verify"), policy).verifyHost(s, HOST);
        }
    }

    @Test
    void theClosingMarksAreSignedManifestsAndTheEmptyClosingSegmentVerifies() throws Exception {
        try (ArchiveStore s = LocalDirectoryStore.open(store)) {
            List<Boolean> marks = new java.util.ArrayList<>();
            for (long seq = 0; seq <= 5; seq++) {
                marks.add(ManifestCodec.decode(s.readAll(ArchiveLayout.manifestKey(HOST, seq))).closesBoot());
            }
            assertThat(marks).containsExactly(false, true, false, true, false, false);
            var empty = ManifestCodec.decode(s.readAll(ArchiveLayout.manifestKey(HOST, 3)));
            assertThat(List.of(empty.firstIndex(), empty.recordCount(), empty.end().nextIndex())).containsExactly(8L, 0L, 8L);
        }
        ChainReport r = verify(ChainVerifier.BootClosure.WARN);
        assertThat(r.findings()).isEmpty();
        assertThat(r.ok()).isTrue();
        assertThat(r.boots()).containsExactly(
                new BootSummary(0, 0, 1, 2, 15, 0, OptionalLong.of(14), true),
                new BootSummary(1, 2, 3, 2, 8, 0, OptionalLong.of(7), true),
                new BootSummary(2, 4, 4, 1, 5, 0, OptionalLong.of(4), false),
                new BootSummary(3, 5, 5, 1, 6, 0, OptionalLong.of(5), false));
    }

    @Test
    void anUnclosedEarlierBootIsAWarningByDefaultAndAFailureWhenRequired() throws Exception {
        ChainReport warned = verify(ChainVerifier.BootClosure.WARN);
        assertThat(warned.warnings()).singleElement().satisfies(f -> {
            assertThat(f.kind()).isEqualTo(FindingKind.UNCLOSED_BOOT);
            assertThat(f.segment()).hasValue(4);
        });
        ChainReport required = verify(ChainVerifier.BootClosure.REQUIRE);
        assertThat(required.ok()).isFalse();
        assertThat(required.warnings()).isEmpty();
        assertThat(required.findings()).extracting(ChainFinding::kind, f -> f.segment().getAsLong())
                .containsExactly(org.assertj.core.groups.Tuple.tuple(FindingKind.UNCLOSED_BOOT, 4L));
    }

    @Test
    void aChainVerifiedInLinkedRangesReportsTheSameUnclosedBoot() throws Exception {
        try (ArchiveStore s = LocalDirectoryStore.open(store)) {
            ChainVerifier v = new ChainVerifier(TrustStore.load(trust), 1, dir.resolve("verify"), ChainVerifier.BootClosure.REQUIRE);
            assertThat(v.verifyRangeLinked(s, HOST, 0, 4).findings()).isEmpty(); // boot 2 is the last one here
            assertThat(v.verifyRangeLinked(s, HOST, 5, 5).findings()).extracting(ChainFinding::kind, f -> f.segment().getAsLong())
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(FindingKind.UNCLOSED_BOOT, 4L));
            assertThat(v.verifyRangeLinked(s, HOST, 0, 3).boots()).extracting(BootSummary::closed).containsExactly(true, true);
        }
    }

    @SuppressWarnings("unchecked")
    @Test
    void theReportListsEachBootClosedOpenOrNot() throws Exception {
        Map<String, Object> host = (Map<String, Object>) ((List<Object>) ArchiveReportJson.toJson(
                new ArchiveReport(List.of(verify(ChainVerifier.BootClosure.WARN)))).get("hosts")).get(0);
        assertThat(host.get("status")).isEqualTo("ok");
        assertThat((List<Object>) host.get("warnings")).singleElement()
                .satisfies(w -> assertThat((Map<String, Object>) w).containsEntry("kind", "unclosed-boot").containsEntry("segment", 4L));
        List<Map<String, Object>> boots = (List<Map<String, Object>>) (List<?>) host.get("boots");
        assertThat(boots).extracting(b -> b.get("bootCounter"), b -> b.get("closed"), b -> b.get("current")).containsExactly(
                org.assertj.core.groups.Tuple.tuple(0L, true, false), org.assertj.core.groups.Tuple.tuple(1L, true, false),
                org.assertj.core.groups.Tuple.tuple(2L, false, false), org.assertj.core.groups.Tuple.tuple(3L, false, true));
        assertThat(boots.get(1)).containsEntry("firstSegment", 2L).containsEntry("lastSegment", 3L).containsEntry("records", 8L)
                .containsEntry("lastIndex", 7L);
    }

    @Test
    void aCompactedBootKeepsItsLastPartsMark() throws Exception {
        org.imaarchiver.archive.sign.KeyMaterial key = org.imaarchiver.archive.sign.KeyMaterial.generate(
                org.imaarchiver.archive.sign.KeyMaterial.KeyType.P256, "compactor", ArchiveFixture.T0.minusSeconds(3600),
                ArchiveFixture.T0.plusSeconds(365L * 86400));
        key.writePem(dir.resolve("compactor-keys"));
        Files.copy(dir.resolve("compactor-keys").resolve(org.imaarchiver.archive.sign.KeyMaterial.CERT_FILE),
                trust.resolve("signers").resolve("compactor.pem"));
        java.time.Instant later = ArchiveFixture.T0.plus(java.time.Duration.ofDays(30));
        try (ArchiveStore s = LocalDirectoryStore.open(store)) {
            var compactor = new org.imaarchiver.archive.compact.Compactor(s,
                    new ChainVerifier(TrustStore.load(trust), 1, dir.resolve("verify")),
                    new org.imaarchiver.archive.sign.SegmentSigner(key, Optional.empty()), dir.resolve("compact-work"),
                    java.time.Clock.fixed(later, java.time.ZoneOffset.UTC),
                    new org.imaarchiver.archive.compact.CompactionPolicy(1_000_000, 1L << 30, java.time.Duration.ofHours(1), 100),
                    org.imaarchiver.archive.compact.RetentionPolicy.none(), "ima-archiver/test-compactor");
            compactor.compact(HOST);
            // boots 0 and 1 (two segments each) are now one compacted segment each; their last parts closed them
            for (long[] range : new long[][] {{0, 1}, {2, 3}}) {
                var m = ManifestCodec.decode(s.readAll(ArchiveLayout.rangeKey(HOST, range[0], range[1], ArchiveLayout.ObjectKind.MANIFEST)));
                assertThat(m.isCompacted()).isTrue();
                assertThat(m.closesBoot()).as("segments %d-%d", range[0], range[1]).isTrue();
            }
        }
        ChainReport r = verify(ChainVerifier.BootClosure.WARN);
        assertThat(r.findings()).isEmpty();
        assertThat(r.boots()).extracting(BootSummary::bootCounter, BootSummary::segments, BootSummary::closed).containsExactly(
                org.assertj.core.groups.Tuple.tuple(0L, 1L, true), org.assertj.core.groups.Tuple.tuple(1L, 1L, true),
                org.assertj.core.groups.Tuple.tuple(2L, 1L, false), org.assertj.core.groups.Tuple.tuple(3L, 1L, false));
        assertThat(r.warnings()).singleElement().satisfies(f -> assertThat(f.segment()).hasValue(4));
    }
}

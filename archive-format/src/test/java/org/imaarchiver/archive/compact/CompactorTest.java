package org.imaarchiver.archive.compact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.imaarchiver.archive.chain.ArchiveFixture;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.chain.ArchiveLayout.ObjectKind;
import org.imaarchiver.archive.chain.ChainFinding;
import org.imaarchiver.archive.chain.ChainHead;
import org.imaarchiver.archive.chain.ChainIndex;
import org.imaarchiver.archive.chain.ChainListing;
import org.imaarchiver.archive.chain.ChainReport;
import org.imaarchiver.archive.chain.ChainVerifier;
import org.imaarchiver.archive.chain.FakeTpm;
import org.imaarchiver.archive.chain.FindingKind;
import org.imaarchiver.archive.chain.GeneratedList;
import org.imaarchiver.archive.chain.PackPlan;
import org.imaarchiver.archive.chain.PackRequest;
import org.imaarchiver.archive.chain.PackResult;
import org.imaarchiver.archive.chain.ParquetSurgery;
import org.imaarchiver.archive.chain.PackNonce;
import org.imaarchiver.archive.chain.SegmentPacker;
import org.imaarchiver.archive.chain.SegmentUnit;
import org.imaarchiver.archive.chain.TrustStore;
import org.imaarchiver.archive.segment.Checkpoint;
import org.imaarchiver.archive.segment.ManifestCodec;
import org.imaarchiver.replay.quote.QuoteEvidence;
import org.imaarchiver.archive.segment.SegmentManifest;
import org.imaarchiver.archive.segment.SegmentReader;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.sign.SegmentSigner;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.LocalDirectoryStore;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.BinaryLogReader;
import org.imaarchiver.replay.log.LogReadOptions;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.replay.Replayer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Compaction of a generated host chain (boot 0: segments 0..4, quotes after records 8, 15, 22, 30,
 * 40; boot 1: segments 5..7, quotes after 5, 12, 20) packed by the real packer with fake-TPM quotes.
 */
class CompactorTest {
    static final String HOST = "c1";
    static final Instant LATER = ArchiveFixture.T0.plus(Duration.ofDays(2));

    @TempDir static Path shared;
    @TempDir Path dir;

    static ArchiveFixture fixture;
    static FakeTpm tpm;
    static Path golden;
    static Path trustDir;
    static SegmentSigner compactorSigner;
    /** The untouched chain's report, verified once: what every compacted or crashed copy must match. */
    static ChainReport golden0;

    @BeforeAll
    static void buildArchive() throws Exception {
        fixture = new ArchiveFixture();
        tpm = new FakeTpm(11);
        golden = shared.resolve("golden");
        fixture.build(golden, shared.resolve("work"), HOST, tpm, List.of(new ArchiveFixture.Boot(1, 40, List.of(8, 15, 22, 30, 40)),
                new ArchiveFixture.Boot(2, 20, List.of(5, 12, 20))));
        trustDir = fixture.trustDir(shared.resolve("trust"), new String[] {HOST}, new FakeTpm[] {tpm});
        // The compactor signs with its own key, also trusted.
        KeyMaterial key = KeyMaterial.generate(KeyMaterial.KeyType.P256, "compactor", ArchiveFixture.T0.minusSeconds(3600),
                ArchiveFixture.T0.plusSeconds(365L * 86400));
        Path keys = shared.resolve("compactor-keys");
        key.writePem(keys);
        Files.copy(keys.resolve(KeyMaterial.CERT_FILE), trustDir.resolve("signers").resolve("compactor.pem"));
        compactorSigner = new SegmentSigner(key, Optional.empty());
        try (ArchiveStore store = LocalDirectoryStore.open(golden)) {
            golden0 = new ChainVerifier(TrustStore.load(trustDir), 2, shared.resolve("verify0")).verifyHost(store, HOST);
        }
    }

    // ------------------------------------------------------------------ helpers

    private Path copy(String name) throws IOException {
        Path root = dir.resolve(name);
        ArchiveFixture.copyTree(golden, root);
        return root;
    }

    private ChainVerifier verifier() throws Exception {
        return new ChainVerifier(TrustStore.load(trustDir), 2, dir.resolve("verify"));
    }

    private Compactor compactor(ArchiveStore store, CompactionPolicy policy, RetentionPolicy retention, Instant now) throws Exception {
        return new Compactor(store, verifier(), compactorSigner, dir.resolve("compact-work"), Clock.fixed(now, ZoneOffset.UTC), policy,
                retention, "ima-archiver/test-compactor");
    }

    private static CompactionPolicy policy(int maxParts) {
        return new CompactionPolicy(1_000_000, 1L << 30, Duration.ofHours(1), maxParts);
    }

    private ChainReport verify(Path root) throws Exception {
        try (ArchiveStore store = LocalDirectoryStore.open(root)) {
            return verifier().verifyHost(store, HOST);
        }
    }

    /** The chain's rows (record_index, raw) in chain order, read from the Parquet files of the effective segments. */
    private static List<String> rows(Path root) throws Exception {
        List<String> out = new ArrayList<>();
        try (ArchiveStore store = LocalDirectoryStore.open(root)) {
            for (SegmentUnit u : ChainListing.of(store, HOST).effective()) {
                SegmentReader r = SegmentReader.open(root.resolve(u.key(ObjectKind.SEGMENT)));
                try (SegmentReader.Cursor<SegmentReader.Row> c = r.rows()) {
                    for (var row = c.next(); row.isPresent(); row = c.next()) out.add(row.get().recordIndex() + ":" + row.get().raw().hex());
                }
            }
        }
        return out;
    }

    private static ChainHead head(Path root) throws Exception {
        try (ArchiveStore store = LocalDirectoryStore.open(root)) {
            return new ChainIndex(store).head(HOST).orElseThrow();
        }
    }

    private static ChainListing listing(Path root) throws Exception {
        try (ArchiveStore store = LocalDirectoryStore.open(root)) {
            return ChainListing.of(store, HOST);
        }
    }

    private static void assertSameChain(ChainReport before, ChainReport after) {
        assertThat(after.findings()).isEmpty();
        assertThat(after.records()).isEqualTo(before.records());
        assertThat(after.firstIndex()).isEqualTo(before.firstIndex());
        assertThat(after.lastIndex()).isEqualTo(before.lastIndex());
    }

    private static SegmentManifest manifest(Path root, String key) throws Exception {
        return ManifestCodec.decode(Files.readAllBytes(root.resolve(key)));
    }

    // ------------------------------------------------------------------ tests

    @Test
    void compactionKeepsTheChainRowsAndEndStateAndNeverCrossesABoot() throws Exception {
        Path root = copy("a");
        ChainReport before = golden0;
        assertThat(before.findings()).isEmpty();
        assertThat(before.segments()).isEqualTo(8);
        assertThat(before.records()).isEqualTo(60);
        List<String> rowsBefore = rows(root);
        ChainHead headBefore = head(root);

        Compactor.Run run;
        try (ArchiveStore store = LocalDirectoryStore.open(root)) {
            run = compactor(store, policy(100), RetentionPolicy.none(), LATER).compact(HOST);
        }
        // One output per boot: 0..4 (boot 0) and 5..7 (boot 1), never one across the boundary.
        assertThat(run.results()).hasSize(2).allMatch(r -> r instanceof CompactionResult.Compacted);
        CompactionResult.Compacted c0 = (CompactionResult.Compacted) run.results().get(0);
        CompactionResult.Compacted c1 = (CompactionResult.Compacted) run.results().get(1);
        assertThat(List.of(c0.first(), c0.last(), c0.records(), (long) c0.partsDeleted())).containsExactly(0L, 4L, 40L, 5L);
        assertThat(List.of(c1.first(), c1.last(), c1.records(), (long) c1.partsDeleted())).containsExactly(5L, 7L, 20L, 3L);

        ChainReport after = verify(root);
        assertSameChain(before, after);
        assertThat(after.segments()).isEqualTo(2);
        assertThat(rows(root)).isEqualTo(rowsBefore);
        ChainListing l = listing(root);
        assertThat(l.superseded()).isEmpty();
        assertThat(l.staged()).isEmpty();
        assertThat(l.effective()).extracting(SegmentUnit::firstSequence, SegmentUnit::lastSequence)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(0L, 4L), org.assertj.core.groups.Tuple.tuple(5L, 7L));

        // The head continues exactly where the old one did.
        ChainHead headAfter = head(root);
        assertThat(headAfter.endState()).isEqualTo(headBefore.endState());
        assertThat(headAfter.nextSequence()).isEqualTo(8);
        assertThat(headAfter.linkDigest()).isEqualTo(headBefore.manifestDigest());
        assertThat(headAfter.endState().value(10, HashAlgorithm.SHA256).bytes()).isEqualTo(tpm.pcr10("sha256"));

        // Every part's quote is a checkpoint at its quote point, all within one boot.
        SegmentManifest m0 = manifest(root, ArchiveLayout.rangeKey(HOST, 0, 4, ObjectKind.MANIFEST));
        assertThat(m0.checkpoints()).extracting(Checkpoint::quotePoint).containsExactly(8L, 15L, 22L, 30L, 40L);
        assertThat(m0.checkpoints()).extracting(Checkpoint::sequence).containsExactly(0L, 1L, 2L, 3L, 4L);
        assertThat(m0.boot().bootCounter()).isEqualTo(0);
        SegmentManifest m1 = manifest(root, ArchiveLayout.rangeKey(HOST, 5, 7, ObjectKind.MANIFEST));
        assertThat(m1.checkpoints()).extracting(Checkpoint::quotePoint).containsExactly(5L, 12L, 20L);
        assertThat(m1.boot().bootCounter()).isEqualTo(1);
        assertThat(m1.previousManifestDigest()).isEqualTo(Optional.of(m0.compaction().orElseThrow().chainLinkDigest()));
    }

    @Test
    void aZeroMinAgeTakesSegmentsStampedAheadOfTheClock() throws Exception {
        Path root = copy("ahead");
        try (ArchiveStore store = LocalDirectoryStore.open(root)) {
            // The compactor's clock a year before every segment's createdAt (a host clock running fast).
            Instant behind = ArchiveFixture.T0.minus(Duration.ofDays(365));
            assertThat(compactor(store, policy(100), RetentionPolicy.none(), behind).plan(HOST)).isEmpty();
            CompactionPolicy anyAge = new CompactionPolicy(1_000_000, 1L << 30, Duration.ZERO, 100);
            assertThat(compactor(store, anyAge, RetentionPolicy.none(), behind).plan(HOST))
                    .extracting(g -> g.firstSequence() + "-" + g.lastSequence()).containsExactly("0-4", "5-7");
        }
    }

    @Test
    void compactedSegmentsCompactAgainAndMinAgeAndMaxPartsHold() throws Exception {
        Path root = copy("b");
        ChainReport before = golden0;
        List<String> rowsBefore = rows(root);
        try (ArchiveStore store = LocalDirectoryStore.open(root)) {
            // Segments are created one minute apart from T0: at T0+1h+2min only segments 0..2 are an hour old.
            List<CompactionGroup> young = compactor(store, policy(100), RetentionPolicy.none(),
                    ArchiveFixture.T0.plus(Duration.ofMinutes(62))).plan(HOST);
            assertThat(young).hasSize(1);
            assertThat(young.get(0).firstSequence()).isEqualTo(0);
            assertThat(young.get(0).lastSequence()).isEqualTo(2);

            Compactor.Run pairs = compactor(store, policy(2), RetentionPolicy.none(), LATER).compact(HOST);
            assertThat(pairs.results()).extracting(r -> ((CompactionResult.Compacted) r).first()).containsExactly(0L, 2L, 5L);
        }
        assertSameChain(before, verify(root));
        try (ArchiveStore store = LocalDirectoryStore.open(root)) {
            // The compacted segments are as old as their createdAt (LATER): not yet an hour old, left alone.
            assertThat(compactor(store, policy(100), RetentionPolicy.none(), LATER).plan(HOST)).isEmpty();
            Compactor.Run all = compactor(store, policy(100), RetentionPolicy.none(), LATER.plus(Duration.ofHours(2))).compact(HOST);
            assertThat(all.results()).extracting(r -> ((CompactionResult.Compacted) r).first() + "-" + ((CompactionResult.Compacted) r).last())
                    .containsExactly("0-4", "5-7");
        }
        ChainReport after = verify(root);
        assertSameChain(before, after);
        assertThat(rows(root)).isEqualTo(rowsBefore);
        SegmentManifest m0 = manifest(root, ArchiveLayout.rangeKey(HOST, 0, 4, ObjectKind.MANIFEST));
        // Re-compaction keeps the original checkpoints (flattened), and replaces names the compacted parts.
        assertThat(m0.checkpoints()).extracting(Checkpoint::quotePoint).containsExactly(8L, 15L, 22L, 30L, 40L);
        assertThat(m0.compaction().orElseThrow().replaces()).hasSize(3);
        assertThat(listing(root).effective()).hasSize(2);
    }

    @Test
    void aPartUnderRetentionIsKeptAndTheChainStillVerifies() throws Exception {
        Path root = copy("c");
        ChainReport before = golden0;
        try (ArchiveStore store = LocalDirectoryStore.open(root)) {
            // Only segment 1's objects are retained.
            RetentionPolicy one = key -> key.startsWith(ArchiveLayout.segmentsPrefix(HOST) + "0000000001.");
            Compactor.Run run = compactor(store, policy(100), one, LATER).compact(HOST);
            CompactionResult.Compacted c0 = (CompactionResult.Compacted) run.results().get(0);
            assertThat(c0.partsKept()).isEqualTo(1);
            assertThat(c0.partsDeleted()).isEqualTo(4);
        }
        assertThat(Files.exists(root.resolve(ArchiveLayout.segmentKey(HOST, 1)))).isTrue();
        assertThat(listing(root).superseded()).extracting(SegmentUnit::firstSequence).containsExactly(1L);
        assertSameChain(before, verify(root)); // parts and compacted segment present: no duplicate records
        try (ArchiveStore store = LocalDirectoryStore.open(root)) {
            Compactor.Run later = compactor(store, policy(100), RetentionPolicy.none(), LATER).compact(HOST);
            assertThat(later.supersededDeleted()).isEqualTo(1);
            assertThat(later.results()).isEmpty();
        }
        assertThat(listing(root).superseded()).isEmpty();
        assertSameChain(before, verify(root));
    }

    /** Thrown by the hook: a crash right after a step. */
    static final class Crash extends IOException {
        Crash(CompactionStep s) { super("crash after " + s); }
    }

    @ParameterizedTest
    @EnumSource(CompactionStep.class)
    void aCrashAfterAnyStepLeavesAValidChainAndARerunCompletes(CompactionStep step) throws Exception {
        Path root = copy("crash-" + step);
        ChainReport before = golden0;
        List<String> rowsBefore = rows(root);
        if (step == CompactionStep.LEFTOVERS_REMOVED) {
            // Only runs when an earlier attempt left staged objects: crash once after staging first.
            try (ArchiveStore store = LocalDirectoryStore.open(root)) {
                Compactor first = compactor(store, policy(100), RetentionPolicy.none(), LATER).withHook(crashAt(CompactionStep.STAGED_MANIFEST));
                assertThatThrownBy(() -> first.compact(HOST)).isInstanceOf(Crash.class);
            }
            assertThat(listing(root).staged()).hasSize(1);
        }
        try (ArchiveStore store = LocalDirectoryStore.open(root)) {
            Compactor crashing = compactor(store, policy(100), RetentionPolicy.none(), LATER).withHook(crashAt(step));
            assertThatThrownBy(() -> crashing.compact(HOST)).isInstanceOf(Crash.class);
        }
        ChainReport crashed = verify(root);
        assertSameChain(before, crashed);
        assertThat(rows(root)).isEqualTo(rowsBefore);
        assertThat(head(root).nextSequence()).isEqualTo(8);

        try (ArchiveStore store = LocalDirectoryStore.open(root)) {
            compactor(store, policy(100), RetentionPolicy.none(), LATER.plusSeconds(60)).compact(HOST);
        }
        assertSameChain(before, verify(root));
        assertThat(rows(root)).isEqualTo(rowsBefore);
        ChainListing l = listing(root);
        assertThat(l.effective()).extracting(SegmentUnit::range).containsOnly(true);
        assertThat(l.superseded()).isEmpty();
        // A staged leftover of a range that is compacted again is replaced; none remain here.
        assertThat(l.staged()).isEmpty();
    }

    private static Compactor.StepHook crashAt(CompactionStep step) {
        return s -> {
            if (s == step) throw new Crash(s);
        };
    }

    @Test
    void aTamperedCheckpointIsDetected() throws Exception {
        Path root = copy("t");
        try (ArchiveStore store = LocalDirectoryStore.open(root)) {
            compactor(store, policy(100), RetentionPolicy.none(), LATER).compact(HOST);
        }
        String manKey = ArchiveLayout.rangeKey(HOST, 0, 4, ObjectKind.MANIFEST);
        SegmentManifest m = manifest(root, manKey);
        // Checkpoint 1 gets checkpoint 2's quote (a valid quote of this host, for another point and nonce).
        List<Checkpoint> cps = new ArrayList<>(m.checkpoints());
        Checkpoint c1 = cps.get(1);
        QuoteEvidence other = cps.get(2).quote();
        cps.set(1, new Checkpoint(c1.sequence(), c1.manifestDigest(), c1.previousManifestDigest(), c1.restartCount(), c1.end(), other,
                c1.nonceDerivation()));
        resign(root, 0, 4, withCheckpoints(m, cps));
        ChainReport r = verify(root);
        assertThat(r.findings()).isNotEmpty();
        assertThat(r.findings()).extracting(ChainFinding::kind).containsOnly(FindingKind.CHECKPOINT_MISMATCH);
        assertThat(r.findings()).extracting(ChainFinding::segment).containsOnly(java.util.OptionalLong.of(0L));

        // A checkpoint claiming another end state: its quote no longer attests it, and the replay does not give it.
        Path root2 = copy("t2");
        try (ArchiveStore store = LocalDirectoryStore.open(root2)) {
            compactor(store, policy(100), RetentionPolicy.none(), LATER).compact(HOST);
        }
        SegmentManifest m2 = manifest(root2, manKey);
        List<Checkpoint> cps2 = new ArrayList<>(m2.checkpoints());
        Checkpoint c3 = cps2.get(3);
        cps2.set(3, new Checkpoint(c3.sequence(), c3.manifestDigest(), c3.previousManifestDigest(), c3.restartCount(),
                cps2.get(2).end(), c3.quote(), c3.nonceDerivation()));
        resign(root2, 0, 4, withCheckpoints(m2, cps2));
        assertThat(verify(root2).findings()).extracting(ChainFinding::kind).contains(FindingKind.CHECKPOINT_MISMATCH)
                .containsOnly(FindingKind.CHECKPOINT_MISMATCH);
    }

    private static SegmentManifest withCheckpoints(SegmentManifest m, List<Checkpoint> cps) {
        return new SegmentManifest(m.formatVersion(), m.hostId(), m.boot(), m.sequence(), m.firstIndex(), m.recordCount(), m.base(),
                m.end(), m.quote(), m.nonceDerivation(), m.replay(), m.createdAt(), m.producer(), m.dataDigest(),
                m.previousManifestDigest(), cps, m.compaction());
    }

    /** The compactor's own key signs an edited manifest (footer, sidecar, CMS and commit): only the content checks can catch it. */
    private static void resign(Path root, long first, long last, SegmentManifest m) throws Exception {
        Bytes bytes = ManifestCodec.encode(m);
        Bytes cms = compactorSigner.sign(bytes, Instant.parse(m.createdAt()));
        ParquetSurgery.rewrite(root.resolve(ArchiveLayout.rangeKey(HOST, first, last, ObjectKind.SEGMENT)), rows -> rows,
                ParquetSurgery.footer(bytes, cms));
        Files.write(root.resolve(ArchiveLayout.rangeKey(HOST, first, last, ObjectKind.MANIFEST)), bytes.toArray());
        Files.write(root.resolve(ArchiveLayout.rangeKey(HOST, first, last, ObjectKind.SIGNATURE)), cms.toArray());
        Files.write(root.resolve(ArchiveLayout.rangeKey(HOST, first, last, ObjectKind.COMMIT)),
                Compactor.commitBytes(ManifestCodec.digestOf(bytes)).toArray());
    }

    @Test
    void aStagedCompactionWithoutCommitIsIgnoredAndAWrongCommitIsAFinding() throws Exception {
        Path root = copy("s");
        ChainReport before = golden0;
        try (ArchiveStore store = LocalDirectoryStore.open(root)) {
            Compactor c = compactor(store, policy(100), RetentionPolicy.none(), LATER).withHook(crashAt(CompactionStep.DURABLE));
            assertThatThrownBy(() -> c.compact(HOST)).isInstanceOf(Crash.class);
        }
        assertThat(listing(root).staged()).hasSize(1);
        assertSameChain(before, verify(root));
        // A commit naming other bytes switches nothing silently: it is reported.
        Files.writeString(root.resolve(ArchiveLayout.rangeKey(HOST, 0, 4, ObjectKind.COMMIT)), "00".repeat(32));
        assertThat(verify(root).findings()).extracting(ChainFinding::kind).contains(FindingKind.COMPACTION_MISMATCH);
    }

    /** A store whose re-reads of keys ending in {@code suffix} do not match (lost or corrupted writes). */
    record LossyStore(ArchiveStore d, String suffix) implements ArchiveStore {
        @Override public org.imaarchiver.archive.store.StoredObject createNew(String key, Path file) throws IOException { return d.createNew(key, file); }
        @Override public org.imaarchiver.archive.store.StoredObject createNew(String key, byte[] bytes)
                throws org.imaarchiver.archive.store.StoreException { return d.createNew(key, bytes); }
        @Override public java.io.InputStream open(String key) throws org.imaarchiver.archive.store.StoreException { return d.open(key); }
        @Override public byte[] readAll(String key, long max) throws org.imaarchiver.archive.store.StoreException { return d.readAll(key, max); }
        @Override public Path download(String key, Path target) throws IOException { return d.download(key, target); }
        @Override public Optional<org.imaarchiver.archive.store.ObjectInfo> stat(String key)
                throws org.imaarchiver.archive.store.StoreException { return d.stat(key); }
        @Override public java.util.stream.Stream<String> list(String prefix) throws org.imaarchiver.archive.store.StoreException { return d.list(prefix); }
        @Override public void delete(String key) throws org.imaarchiver.archive.store.StoreException { d.delete(key); }
        @Override public boolean verifyDurable(String key, org.imaarchiver.replay.pcr.Digest sha)
                throws org.imaarchiver.archive.store.StoreException {
            return !key.endsWith(suffix) && d.verifyDurable(key, sha);
        }
        @Override public String location() { return d.location(); }
        @Override public void close() throws org.imaarchiver.archive.store.StoreException { d.close(); }
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {".parquet", ".commit"})
    void anUndurableStageOrSwitchLeavesThePartsAsTheChain(String suffix) throws Exception {
        Path root = copy("nd" + suffix);
        ChainReport before = golden0;
        try (ArchiveStore store = new LossyStore(LocalDirectoryStore.open(root), suffix)) {
            Compactor.Run run = compactor(store, policy(100), RetentionPolicy.none(), LATER).compact(HOST);
            assertThat(run.results()).hasSize(2).allMatch(r -> r instanceof CompactionResult.NotDurable);
        }
        assertSameChain(before, verify(root));
        assertThat(verify(root).segments()).isEqualTo(8);
        assertThat(listing(root).effective()).extracting(SegmentUnit::range).containsOnly(false);
    }

    @Test
    void aSegmentPackedAfterCompactionLinksToTheLastPart() throws Exception {
        Path root = copy("p");
        SegmentManifest oldHead = manifest(root, ArchiveLayout.manifestKey(HOST, 7));
        var oldHeadDigest = ManifestCodec.digestOf(Bytes.wrap(Files.readAllBytes(root.resolve(ArchiveLayout.manifestKey(HOST, 7)))));
        try (ArchiveStore store = LocalDirectoryStore.open(root)) {
            compactor(store, policy(100), RetentionPolicy.none(), LATER).compact(HOST);
        }
        // The same boot goes on: records 20..29 of boot 1 (same seed, so the first 20 are the archived ones).
        FakeTpm t = new FakeTpm(tpm.ak, tpm.resetCount);
        t.restartCount = tpm.restartCount;
        GeneratedList list = new GeneratedList(2, 30);
        for (int i = 0; i < 30; i++) t.extend(list.records.get(i));
        PackResult r;
        try (ArchiveStore store = LocalDirectoryStore.open(root)) {
            SegmentPacker packer = new SegmentPacker(store, fixture.signer, dir.resolve("pack"), Replayer.sequential());
            SegmentPacker.PlanResult pr = packer.plan(HOST, Optional.of(list.records.get(0)), t.resetCount, t.restartCount, t.akName);
            assertThat(pr).isInstanceOf(SegmentPacker.Planned.class);
            PackPlan plan = ((SegmentPacker.Planned) pr).plan();
            assertThat(plan.sequence()).isEqualTo(8);
            assertThat(plan.previousManifestDigest()).hasValue(oldHeadDigest);
            QuoteEvidence q = t.quote(Bytes.wrap(plan.derivedNonce().bytes()));
            BinaryLogReader reader = BinaryLogReader.open(new ByteArrayInputStream(list.bytes(30)), LogReadOptions.of("boot2"));
            r = packer.pack(plan, new PackRequest(HOST, reader, q, t.akPublic(), new PackNonce.Derived(), LATER.plusSeconds(3600),
                    "ima-archiver/test", Optional.empty()));
        }
        assertThat(r).isInstanceOf(PackResult.Packed.class);
        assertThat(((PackResult.Packed) r).sequence()).isEqualTo(8);
        ChainReport after = verify(root);
        assertThat(after.findings()).isEmpty();
        assertThat(after.records()).isEqualTo(70);
        assertThat(after.lastIndex()).hasValue(29);
        assertThat(head(root).sequence()).isEqualTo(8);
        assertThat(oldHead.end().nextIndex()).isEqualTo(20);
    }
}

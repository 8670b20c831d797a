package org.imaarchiver.archive.chain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.parquet.example.data.Group;
import org.imaarchiver.archive.segment.ManifestCodec;
import org.imaarchiver.replay.quote.QuoteEvidence;
import org.imaarchiver.archive.segment.SegmentManifest;
import org.imaarchiver.archive.segment.SegmentSchema;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.sign.SegmentSigner;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.LocalDirectoryStore;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A generated three-host archive (h1: two boots, four segments; h2: three segments; h3: one), packed
 * with derived nonces and quotes by a {@link FakeTpm}; then one attack per case on a copy, each
 * expecting its finding kind on the attacked host while the other hosts stay ok.
 */
class ChainTamperTest {
    static final String[] HOSTS = {"h1", "h2", "h3"};

    @TempDir static Path shared;
    @TempDir Path dir;

    static ArchiveFixture fixture;
    static FakeTpm[] tpms;
    static Path golden;
    static Path fork;
    static Path trustDir;

    @BeforeAll
    static void buildArchive() throws Exception {
        fixture = new ArchiveFixture();
        tpms = new FakeTpm[] {new FakeTpm(5), new FakeTpm(40), new FakeTpm(7)};
        golden = shared.resolve("golden");
        Path work = shared.resolve("work");
        fixture.build(golden, work, "h1", tpms[0], List.of(new ArchiveFixture.Boot(1, 30, List.of(12, 30)),
                new ArchiveFixture.Boot(2, 25, List.of(10, 25))));
        fixture.build(golden, work, "h2", tpms[1], List.of(new ArchiveFixture.Boot(3, 40, List.of(15, 28, 40))));
        fixture.build(golden, work, "h3", tpms[2], List.of(new ArchiveFixture.Boot(4, 20, List.of(20))));
        // Another history of h1 (same AK): a first boot, then a different second boot with two segments.
        fork = shared.resolve("fork");
        fixture.build(fork, work, "h1", new FakeTpm(tpms[0].ak, 5), List.of(new ArchiveFixture.Boot(1, 30, List.of(12)),
                new ArchiveFixture.Boot(5, 30, List.of(8, 20))));
        trustDir = fixture.trustDir(shared.resolve("trust"), HOSTS, tpms);
    }

    private ArchiveReport verify(Path storeRoot) throws Exception {
        try (ArchiveStore store = LocalDirectoryStore.open(storeRoot)) {
            return new ChainVerifier(TrustStore.load(trustDir), 3, dir.resolve("verify")).verify(store, ChainVerifier.HostFilter.all());
        }
    }

    @Test
    void untouchedArchiveVerifies() throws Exception {
        ArchiveReport report = verify(golden);
        assertThat(report.hosts()).extracting(ChainReport::host).containsExactly("h1", "h2", "h3");
        for (ChainReport r : report.hosts()) assertThat(r.findings()).as(r.host()).isEmpty();
        assertThat(report.ok()).isTrue();
        ChainReport h1 = report.hosts().get(0);
        assertThat(h1.segments()).isEqualTo(4);
        assertThat(h1.records()).isEqualTo(55);
        assertThat(h1.firstIndex()).hasValue(0);
        assertThat(h1.lastIndex()).hasValue(24); // the second boot ends at record 24
        assertThat(report.hosts().get(1).records()).isEqualTo(40);
        try (ArchiveStore store = LocalDirectoryStore.open(golden)) {
            ChainHead head = new ChainIndex(store).head("h1").orElseThrow();
            assertThat(head.sequence()).isEqualTo(3);
            assertThat(head.boot().bootCounter()).isEqualTo(1);
            assertThat(head.boot().resetCount()).isEqualTo(6);
            // The chain head's PCR 10 is the fake TPM's (an independent extend loop), after the second boot's 25 records.
            assertThat(head.endState().value(10, HashAlgorithm.SHA256).bytes()).isEqualTo(tpms[0].pcr10("sha256"));
            assertThat(new ChainIndex(store).hosts().toList()).containsExactly("h1", "h2", "h3");
        }
    }

    @Test
    void filterSelectsHostsAndReportsUnknownOnes() throws Exception {
        try (ArchiveStore store = LocalDirectoryStore.open(golden)) {
            ArchiveReport r = new ChainVerifier(TrustStore.load(trustDir), 1, dir.resolve("v"))
                    .verify(store, ChainVerifier.HostFilter.only(List.of("h2", "nope")));
            assertThat(r.hosts()).extracting(ChainReport::host).containsExactly("h2", "nope");
            assertThat(r.hosts().get(0).ok()).isTrue();
            assertThat(r.hosts().get(1).findings()).extracting(ChainFinding::kind).containsExactly(FindingKind.NO_SEGMENTS);
            @SuppressWarnings("unchecked")
            Map<String, Object> json = (Map<String, Object>) Json.parse(ArchiveReportJson.encode(r));
            @SuppressWarnings("unchecked")
            Map<String, Object> nope = (Map<String, Object>) ((List<Object>) json.get("hosts")).get(1);
            assertThat(nope).containsEntry("status", "failed").containsEntry("segments", 0L);
            @SuppressWarnings("unchecked")
            Map<String, Object> failure = (Map<String, Object>) ((List<Object>) nope.get("failures")).get(0);
            assertThat(failure).containsEntry("kind", "no-segments").containsEntry("segment", Json.NULL)
                    .containsEntry("record", Json.NULL);
        }
    }

    /** §13.1: an enrolled host whose prefix was deleted is missing-chain, with and without a host filter. */
    @Test
    void anEnrolledHostWithoutSegmentsIsAMissingChain() throws Exception {
        Path root = dir.resolve("deleted");
        ArchiveFixture.copyTree(golden, root);
        try (Stream<Path> s = Files.walk(root.resolve("hosts/h3"))) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
        ArchiveReport all = verify(root);
        assertThat(all.hosts()).extracting(ChainReport::host).containsExactly("h1", "h2", "h3");
        assertThat(all.hosts().get(2).findings()).extracting(ChainFinding::kind).containsExactly(FindingKind.MISSING_CHAIN);
        assertThat(all.ok()).isFalse();
        try (ArchiveStore store = LocalDirectoryStore.open(root)) {
            ArchiveReport named = new ChainVerifier(TrustStore.load(trustDir), 1, dir.resolve("v"))
                    .verify(store, ChainVerifier.HostFilter.only(List.of("h3", "nope")));
            assertThat(named.hosts()).extracting(r -> r.findings().get(0).kind())
                    .containsExactly(FindingKind.MISSING_CHAIN, FindingKind.NO_SEGMENTS);
        }
    }

    @Test
    void secondPackerForTheSameSequenceLosesWithAStoreConflict() throws Exception {
        Path root = dir.resolve("race");
        ArchiveFixture.copyTree(golden, root);
        // The packer read head 2 of h2 before another packer stored segment 3: simulate by storing 3 first.
        try (ArchiveStore store = LocalDirectoryStore.open(root)) {
            store.createNew(ArchiveLayout.segmentKey("h2", 3), new byte[] {1});
            FakeTpm tpm = new FakeTpm(tpms[1].ak, tpms[1].resetCount);
            GeneratedList list = new GeneratedList(3, 45);
            for (int i = 0; i < 45; i++) tpm.extend(list.records.get(i));
            SegmentPacker packer = new SegmentPacker(store, fixture.signer, dir.resolve("w"));
            PackPlan plan = ((SegmentPacker.Planned) packer.plan("h2", Optional.of(list.records.get(0)), tpm.resetCount,
                    tpm.restartCount, tpm.akName)).plan();
            assertThat(plan.sequence()).isEqualTo(3);
            assertThat(plan.newBoot()).isFalse();
            PackResult r = packer.pack(plan, new PackRequest("h2", org.imaarchiver.replay.log.BinaryLogReader.open(
                    new java.io.ByteArrayInputStream(list.bytes(45)), org.imaarchiver.replay.log.LogReadOptions.of("h2")),
                    tpm.quote(Bytes.wrap(plan.derivedNonce().bytes())), tpm.akPublic(), new PackNonce.Derived(),
                    ArchiveFixture.T0, "ima-archiver/test", Optional.empty()));
            assertThat(r).isEqualTo(new PackResult.StoreConflict(ArchiveLayout.segmentKey("h2", 3), 3));
        }
    }

    // ---- the tamper matrix ----

    interface Action {
        void apply(Path root) throws Exception;
    }

    record Attack(String name, String host, FindingKind expected, Action action) {
        @Override
        public String toString() { return name + " -> " + expected.id(); }
    }

    static Path file(Path root, String key) { return root.resolve(key); }

    static Stream<Attack> attacks() {
        return Stream.of(
                new Attack("bit flip in a data page", "h1", FindingKind.MALFORMED_SEGMENT, root -> {
                    Path f = file(root, seg("h1", 1));
                    flip(f, ParquetSurgery.middleOfColumn(f, SegmentSchema.RAW));
                }),
                new Attack("garbled footer structure (Parquet FileMetaData)", "h1", FindingKind.MALFORMED_SEGMENT,
                        root -> garbleFooterStructure(file(root, seg("h1", 1)))),
                // A query engine prunes with these: a raised minimum hides the rows below it from WHERE file_digest_hex = ...
                new Attack("raised minimum in footer statistics", "h1", FindingKind.LAYOUT_MISMATCH, root -> ParquetSurgery.editFooter(
                        file(root, seg("h1", 1)), fmd -> ParquetSurgery.column(fmd, SegmentSchema.FILE_DIGEST_HEX).getStatistics()
                                .setMin_value("f".repeat(64).getBytes(StandardCharsets.US_ASCII)))),
                new Attack("wrong null count in footer statistics", "h1", FindingKind.LAYOUT_MISMATCH, root -> ParquetSurgery.editFooter(
                        file(root, seg("h1", 1)), fmd -> ParquetSurgery.column(fmd, SegmentSchema.NAME).getStatistics().setNull_count(3))),
                new Attack("extra footer key/value metadata", "h1", FindingKind.LAYOUT_MISMATCH, root -> ParquetSurgery.editFooter(
                        file(root, seg("h1", 1)), fmd -> fmd.addToKey_value_metadata(new org.apache.parquet.format.KeyValue("note")))),
                new Attack("bloom filter offset added", "h1", FindingKind.LAYOUT_MISMATCH, root -> ParquetSurgery.editFooter(
                        file(root, seg("h1", 1)), fmd -> ParquetSurgery.column(fmd, SegmentSchema.NAME).setBloom_filter_offset(4))),
                new Attack("bit flip in the footer manifest", "h1", FindingKind.MANIFEST_MISMATCH, root -> flipFooterManifest(file(root, seg("h1", 1)))),
                new Attack("reordered rows", "h1", FindingKind.INDEX_GAP, root -> ParquetSurgery.rewrite(file(root, seg("h1", 1)), rows -> {
                    Collections.swap(rows, 2, 3);
                    return rows;
                }, kv -> kv)),
                new Attack("dropped row", "h1", FindingKind.INDEX_GAP, root -> ParquetSurgery.rewrite(file(root, seg("h1", 1)), rows -> {
                    rows.remove(4);
                    return rows;
                }, kv -> kv)),
                new Attack("duplicated row", "h1", FindingKind.INDEX_GAP, root -> ParquetSurgery.rewrite(file(root, seg("h1", 1)), rows -> {
                    rows.add(5, rows.get(5));
                    return rows;
                }, kv -> kv)),
                new Attack("edited record bytes", "h1", FindingKind.TEMPLATE_DIGEST_MISMATCH, root -> ParquetSurgery.rewrite(
                        file(root, seg("h1", 1)), rows -> {
                            Group g = rows.get(3);
                            byte[] raw = ParquetSurgery.raw(g);
                            raw[raw.length - 2] ^= 0x01; // a character of the path
                            rows.set(3, ParquetSurgery.copy(g, SegmentSchema.SCHEMA, SegmentSchema.RAW, raw));
                            return rows;
                        }, kv -> kv)),
                new Attack("sidecar end PCR edited", "h1", FindingKind.BAD_SIGNATURE, root -> editSidecar(root, "h1", 1, s -> {
                    int at = s.indexOf("\"end\"");
                    int pcr = s.indexOf("\"sha1\":\"", s.indexOf("\"pcrs\"", at)) + 8;
                    return s.substring(0, pcr) + (s.charAt(pcr) == '0' ? '1' : '0') + s.substring(pcr + 1);
                })),
                new Attack("sidecar record count edited", "h1", FindingKind.MALFORMED_SEGMENT, root -> editSidecar(root, "h1", 1,
                        s -> s.replace("\"recordCount\":18", "\"recordCount\":17"))),
                new Attack("sidecar host edited", "h1", FindingKind.BAD_SIGNATURE, root -> editSidecar(root, "h1", 1,
                        s -> s.replace("\"hostId\":\"h1\"", "\"hostId\":\"h3\""))),
                new Attack("sidecar and footer disagree", "h1", FindingKind.MANIFEST_MISMATCH, root -> {
                    copy(fork, root, man("h1", 2), man("h1", 2));
                    copy(fork, root, sig("h1", 2), sig("h1", 2));
                }),
                new Attack("swapped segment files", "h1", FindingKind.MANIFEST_MISMATCH, root -> swap(root, seg("h1", 1), seg("h1", 2))),
                new Attack("deleted middle segment", "h1", FindingKind.SEQUENCE_GAP, root -> {
                    for (String k : all("h1", 1)) Files.delete(file(root, k));
                }),
                new Attack("duplicated segment under the next sequence", "h1", FindingKind.SEQUENCE_GAP, root -> {
                    List<String> from = all("h1", 3);
                    List<String> to = all("h1", 4);
                    for (int i = 0; i < 3; i++) copy(root, root, from.get(i), to.get(i));
                }),
                new Attack("reordered segments", "h2", FindingKind.SEQUENCE_GAP, root -> {
                    List<String> a = all("h2", 1);
                    List<String> b = all("h2", 2);
                    for (int i = 0; i < 3; i++) swap(root, a.get(i), b.get(i));
                }),
                new Attack("segment copied from another host", "h1", FindingKind.FOREIGN_HOST, root -> {
                    List<String> from = all("h2", 1);
                    List<String> to = all("h1", 1);
                    for (int i = 0; i < 3; i++) {
                        Files.delete(file(root, to.get(i)));
                        copy(root, root, from.get(i), to.get(i));
                    }
                }),
                new Attack("segment of another boot spliced in", "h1", FindingKind.BOOT_SPLICE, root -> {
                    for (String k : all("h1", 2)) {
                        Files.delete(file(root, k));
                        copy(fork, root, k, k);
                    }
                }),
                new Attack("untrusted signer", "h1", FindingKind.UNTRUSTED_SIGNER, root -> {
                    KeyMaterial other = KeyMaterial.generate(KeyMaterial.KeyType.P256, "intruder", ArchiveFixture.T0.minusSeconds(3600),
                            ArchiveFixture.T0.plusSeconds(86400 * 365L));
                    Bytes manifest = Bytes.wrap(Files.readAllBytes(file(root, man("h1", 1))));
                    Bytes cms = new SegmentSigner(other, Optional.empty()).sign(manifest, ArchiveFixture.T0.plusSeconds(60));
                    Files.write(file(root, sig("h1", 1)), cms.toArray());
                }),
                new Attack("quote by an unenrolled AK", "h3", FindingKind.UNTRUSTED_AK, root -> resign(root, "h3", 0, m -> {
                    FakeTpm rogue = new FakeTpm(tpms[2].resetCount);
                    byte[] sha1 = m.end().value(10, HashAlgorithm.SHA1).bytes();
                    byte[] sha256 = m.end().value(10, HashAlgorithm.SHA256).bytes();
                    rogue.restartCount = m.boot().restartCount();
                    return withQuote(m, rogue.quote(m.nonceDerivation().nonce(), rogue.ak, sha1, sha256));
                })),
                new Attack("valid quote reused at another position", "h2", FindingKind.NONCE_MISMATCH, root -> {
                    SegmentManifest later = ManifestCodec.decode(Bytes.wrap(Files.readAllBytes(file(root, man("h2", 1)))));
                    resign(root, "h2", 0, m -> withQuote(m, later.quote()));
                }),
                new Attack("truncated segment file", "h1", FindingKind.TRUNCATED_FILE, root -> {
                    Path f = file(root, seg("h1", 1));
                    byte[] b = Files.readAllBytes(f);
                    Files.write(f, java.util.Arrays.copyOf(b, b.length / 2));
                }),
                new Attack("missing sidecar", "h1", FindingKind.MISSING_SIDECAR, root -> Files.delete(file(root, man("h1", 1)))),
                new Attack("missing segment file", "h1", FindingKind.MISSING_SEGMENT, root -> Files.delete(file(root, seg("h1", 1)))),
                new Attack("missing signature", "h2", FindingKind.MISSING_SIDECAR, root -> Files.delete(file(root, sig("h2", 2)))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("attacks")
    void attackIsFound(Attack attack) throws Exception {
        Path root = dir.resolve("archive");
        ArchiveFixture.copyTree(golden, root);
        attack.action().apply(root);
        ArchiveReport report = verify(root);
        for (ChainReport r : report.hosts()) {
            if (r.host().equals(attack.host())) {
                assertThat(r.status()).isEqualTo(ChainReport.Status.FAILED);
                assertThat(r.findings()).extracting(ChainFinding::kind).as(r.findings().toString()).contains(attack.expected());
                assertThat(r.findings()).allSatisfy(f -> assertThat(f.host()).isEqualTo(attack.host()));
            } else {
                assertThat(r.findings()).as(r.host()).isEmpty();
            }
        }
        assertThat(report.hosts()).extracting(ChainReport::host).containsExactly("h1", "h2", "h3");
    }

    // ---- attack helpers ----

    static String seg(String h, long s) { return ArchiveLayout.segmentKey(h, s); }

    static String man(String h, long s) { return ArchiveLayout.manifestKey(h, s); }

    static String sig(String h, long s) { return ArchiveLayout.signatureKey(h, s); }

    static List<String> all(String h, long s) { return List.of(seg(h, s), man(h, s), sig(h, s)); }

    static void flip(Path f, long offset) throws Exception {
        byte[] b = Files.readAllBytes(f);
        b[(int) offset] ^= 0x10;
        Files.write(f, b);
    }

    /**
     * Overwrites the first bytes of the Thrift-encoded FileMetaData (the footer's start: file length
     * minus 8 minus the footer length stored before the trailing PAR1), so the footer cannot be decoded.
     */
    static void garbleFooterStructure(Path f) throws Exception {
        byte[] b = Files.readAllBytes(f);
        int len = java.nio.ByteBuffer.wrap(b, b.length - 8, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
        int start = b.length - 8 - len;
        for (int i = 0; i < 8; i++) b[start + i] = (byte) 0xFF;
        Files.write(f, b);
    }

    /** Changes one hex digit of the dataDigest inside the footer's manifest text (no Parquet checksum covers it). */
    static void flipFooterManifest(Path f) throws Exception {
        byte[] b = Files.readAllBytes(f);
        String s = new String(b, StandardCharsets.ISO_8859_1);
        int at = s.lastIndexOf("\"dataDigest\":\"") + 14;
        b[at] = (byte) (b[at] == '0' ? '1' : '0');
        Files.write(f, b);
    }

    static void editSidecar(Path root, String h, long s, java.util.function.UnaryOperator<String> edit) throws Exception {
        Path f = file(root, man(h, s));
        String before = Files.readString(f, StandardCharsets.US_ASCII);
        String after = edit.apply(before);
        assertThat(after).isNotEqualTo(before);
        Files.writeString(f, after, StandardCharsets.US_ASCII);
    }

    static void copy(Path fromRoot, Path toRoot, String fromKey, String toKey) throws Exception {
        Files.createDirectories(file(toRoot, toKey).getParent());
        Files.copy(file(fromRoot, fromKey), file(toRoot, toKey), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    static void swap(Path root, String a, String b) throws Exception {
        Path tmp = file(root, a).resolveSibling("swap.tmp");
        Files.move(file(root, a), tmp);
        Files.move(file(root, b), file(root, a));
        Files.move(tmp, file(root, b));
    }

    interface ManifestEdit {
        SegmentManifest apply(SegmentManifest m) throws Exception;
    }

    /** The archiver's own key signs an edited manifest (a buggy or misled archiver): footer, sidecar and CMS. */
    static void resign(Path root, String h, long s, ManifestEdit edit) throws Exception {
        SegmentManifest m = edit.apply(ManifestCodec.decode(Bytes.wrap(Files.readAllBytes(file(root, man(h, s))))));
        Bytes bytes = ManifestCodec.encode(m);
        Bytes cms = fixture.signer.sign(bytes, Instant.parse(m.createdAt()));
        ParquetSurgery.rewrite(file(root, seg(h, s)), rows -> rows, ParquetSurgery.footer(bytes, cms));
        Files.write(file(root, man(h, s)), bytes.toArray());
        Files.write(file(root, sig(h, s)), cms.toArray());
    }

    static SegmentManifest withQuote(SegmentManifest m, QuoteEvidence q) {
        return new SegmentManifest(m.formatVersion(), m.hostId(), m.boot(), m.sequence(), m.firstIndex(), m.recordCount(), m.base(),
                m.end(), q, m.nonceDerivation(), m.replay(), m.createdAt(), m.producer(), m.dataDigest(), m.previousManifestDigest(),
                new ArrayList<>(m.checkpoints()));
    }
}

package org.imaarchiver.jobs.compact;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.imaarchiver.archive.chain.ArchiveFixture;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.chain.ArchiveLayout.ObjectKind;
import org.imaarchiver.archive.chain.ChainListing;
import org.imaarchiver.archive.chain.ChainReport;
import org.imaarchiver.archive.chain.ChainVerifier;
import org.imaarchiver.archive.chain.FakeTpm;
import org.imaarchiver.archive.chain.SegmentUnit;
import org.imaarchiver.archive.chain.TrustStore;
import org.imaarchiver.archive.segment.SegmentReader;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.LocalDirectoryStore;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * A generated multi-host archive (archive-format's {@link ArchiveFixture}: the real packer, fake-TPM
 * quotes with derived nonces), a trust directory that also trusts a compactor key, and helpers that
 * look at a store directory independently of the compactor: verification (ChainVerifier), the chain's
 * rows, and a digest of every object.
 */
final class CompactArchive {
    /** Host "multi": boot 1 quoted after 8, 15, 22, 30, 40 (5 segments); boot 2 after 5, 12, 20 (3 segments). */
    static final String MULTI = "multi";
    /** Host "even": one boot, 4 segments of 6 records each. */
    static final String EVEN = "even";
    /** Host "bad": one boot, 3 segments; {@link #tamper} flips a byte in its segment 1. */
    static final String BAD = "bad";

    final Path golden;
    final Path trust;
    final Path compactorKeys;

    private CompactArchive(Path golden, Path trust, Path compactorKeys) {
        this.golden = golden;
        this.trust = trust;
        this.compactorKeys = compactorKeys;
    }

    /** Builds the archive under {@code dir} (golden/, trust/, compactor-keys/). */
    static CompactArchive build(Path dir) throws Exception {
        ArchiveFixture f = new ArchiveFixture();
        Path golden = dir.resolve("golden");
        Path work = dir.resolve("pack-work");
        FakeTpm[] tpms = {new FakeTpm(3), new FakeTpm(4), new FakeTpm(5)};
        f.build(golden, work, MULTI, tpms[0], List.of(new ArchiveFixture.Boot(11, 40, List.of(8, 15, 22, 30, 40)),
                new ArchiveFixture.Boot(12, 20, List.of(5, 12, 20))));
        f.build(golden, work, EVEN, tpms[1], List.of(new ArchiveFixture.Boot(21, 24, List.of(6, 12, 18, 24))));
        f.build(golden, work, BAD, tpms[2], List.of(new ArchiveFixture.Boot(31, 15, List.of(5, 10, 15))));
        Path trust = f.trustDir(dir.resolve("trust"), new String[] {MULTI, EVEN, BAD}, tpms);
        // The compact command signs on the real clock: the certificate is valid around it, whatever today is.
        java.time.Instant now = java.time.Instant.now();
        KeyMaterial key = KeyMaterial.generate(KeyMaterial.KeyType.P256, "compactor", now.minusSeconds(86400),
                now.plusSeconds(3650L * 86400));
        Path keys = dir.resolve("compactor-keys");
        key.writePem(keys);
        Files.copy(keys.resolve(KeyMaterial.CERT_FILE), trust.resolve("signers").resolve("compactor.pem"));
        return new CompactArchive(golden, trust, keys);
    }

    /** A fresh copy of the golden archive. */
    Path copy(Path to) throws IOException {
        ArchiveFixture.copyTree(golden, to);
        return to;
    }

    /** Flips one byte in the middle of the {@code raw} column of {@link #BAD}'s segment 1. */
    static void tamper(Path root) throws IOException {
        Path f = root.resolve(ArchiveLayout.segmentKey(BAD, 1));
        byte[] b = Files.readAllBytes(f);
        b[(int) org.imaarchiver.archive.chain.ParquetSurgery.middleOfColumn(f, org.imaarchiver.archive.segment.SegmentSchema.RAW)] ^= 0x01;
        Files.write(f, b);
    }

    /** Per host: the verdict and the facts that must not change by compaction. */
    record Verdict(boolean ok, long records, String firstIndex, String lastIndex, List<String> findingKinds) {}

    Map<String, Verdict> verify(Path root, Path work) throws IOException {
        Map<String, Verdict> out = new TreeMap<>();
        try (ArchiveStore store = LocalDirectoryStore.open(root)) {
            for (ChainReport r : new ChainVerifier(TrustStore.load(trust), 2, work).verify(store, ChainVerifier.HostFilter.all()).hosts()) {
                out.put(r.host(), new Verdict(r.ok(), r.records(), r.firstIndex().toString(), r.lastIndex().toString(),
                        r.findings().stream().map(x -> x.kind().id()).toList()));
            }
        }
        return out;
    }

    /** The effective chain segments (count) of a host. */
    static int chainSegments(Path root, String host) throws IOException {
        try (ArchiveStore store = LocalDirectoryStore.open(root)) {
            return ChainListing.of(store, host).effective().size();
        }
    }

    static ChainListing listing(Path root, String host) throws IOException {
        try (ArchiveStore store = LocalDirectoryStore.open(root)) {
            return ChainListing.of(store, host);
        }
    }

    /** Every row (record_index:raw) of the host's chain, in chain order, read from the Parquet files. */
    static List<String> rows(Path root, String host) throws Exception {
        List<String> out = new ArrayList<>();
        for (SegmentUnit u : listing(root, host).effective()) {
            SegmentReader r = SegmentReader.open(root.resolve(u.key(ObjectKind.SEGMENT)));
            try (SegmentReader.Cursor<SegmentReader.Row> c = r.rows()) {
                for (var row = c.next(); row.isPresent(); row = c.next()) out.add(row.get().recordIndex() + ":" + row.get().raw().hex());
            }
        }
        return out;
    }

    /** Relative path → SHA-256 of every file under {@code dir} (prefix filter on the relative path). */
    static Map<String, String> tree(Path dir, String prefix) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String rel = dir.relativize(p).toString();
                if (!rel.startsWith(prefix)) continue;
                MessageDigest md = HashAlgorithm.SHA256.newDigest();
                out.put(rel, HexFormat.of().formatHex(md.digest(Files.readAllBytes(p))));
            }
        }
        return out;
    }
}

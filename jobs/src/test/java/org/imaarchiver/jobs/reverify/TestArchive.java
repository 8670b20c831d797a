package org.imaarchiver.jobs.reverify;

import org.imaarchiver.archive.chain.FakeTpm;
import org.imaarchiver.archive.chain.GeneratedList;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.chain.PackNonce;
import org.imaarchiver.archive.chain.PackPlan;
import org.imaarchiver.archive.chain.PackRequest;
import org.imaarchiver.archive.chain.PackResult;
import org.imaarchiver.archive.chain.SegmentPacker;
import org.imaarchiver.replay.quote.QuoteEvidence;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.sign.SegmentSigner;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.LocalDirectoryStore;
import org.imaarchiver.replay.log.BinaryLogReader;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.LogReadOptions;
import org.imaarchiver.replay.replay.Replayer;

/**
 * Generated archives packed by the real SegmentPacker (derived nonces, {@link FakeTpm} quotes), one
 * {@link Host} history per host that can be continued (more segments, reboots) between runs.
 */
public final class TestArchive {
    public static final Instant T0 = Instant.parse("2026-11-27T00:00:00Z");

    public final Path root;
    public final KeyMaterial signerKey = KeyMaterial.generate(KeyMaterial.KeyType.P256, "archiver", T0.minusSeconds(3600),
            T0.plusSeconds(365L * 86400));
    final SegmentSigner signer = new SegmentSigner(signerKey, Optional.empty());
    final java.security.KeyPair ak;
    private final String akPem;
    private long minute;

    public TestArchive(Path root) throws Exception {
        this.root = root;
        this.ak = FakeTpm.newAk();
        this.akPem = new FakeTpm(ak, 0).akPem();
    }

    /** One host's TPM and its current boot's list. */
    public final class Host {
        final String id;
        final FakeTpm tpm;
        GeneratedList list;
        int extended;
        long seed;

        Host(String id, long seed, int count) throws Exception {
            this.id = id;
            this.tpm = new FakeTpm(ak, 5 + seed);
            this.seed = seed;
            this.list = new GeneratedList(seed, count);
        }

        /** Packs a segment ending with a quote after record {@code upTo} (exclusive), signed by {@code by}. */
        public Host segment(int upTo, SegmentSigner by) throws Exception {
            while (extended < upTo) tpm.extend(list.records.get(extended++));
            try (ArchiveStore store = LocalDirectoryStore.open(root)) {
                SegmentPacker packer = new SegmentPacker(store, by, root.resolveSibling(root.getFileName() + "-work"), Replayer.sequential());
                SegmentPacker.PlanResult pr = packer.plan(id, Optional.of(list.records.get(0)), tpm.resetCount, tpm.restartCount, tpm.akName);
                assertThat(pr).isInstanceOf(SegmentPacker.Planned.class);
                PackPlan plan = ((SegmentPacker.Planned) pr).plan();
                QuoteEvidence quote = tpm.quote(Bytes.wrap(plan.derivedNonce().bytes()));
                BinaryLogReader reader = BinaryLogReader.open(new ByteArrayInputStream(list.bytes(list.records.size())),
                        LogReadOptions.of(id + "-" + seed));
                PackResult r = packer.pack(plan, new PackRequest(id, reader, quote, tpm.akPublic(), new PackNonce.Derived(),
                        T0.plusSeconds(60 * minute++), "ima-archiver/test", Optional.empty()));
                assertThat(r).as(id).isInstanceOf(PackResult.Packed.class);
            }
            return this;
        }

        public Host segment(int upTo) throws Exception { return segment(upTo, signer); }

        /** The current boot's first {@code upTo} records as the generator wrote them (legacy binary list, SHA-1 digests). */
        public byte[] listBytes(int upTo) { return list.bytes(upTo); }

        /** The current boot's first {@code upTo} records' template data, in order. */
        public java.util.List<Bytes> templateData(int upTo) {
            return list.records.subList(0, upTo).stream().map(org.imaarchiver.replay.log.MeasurementRecord::templateData).toList();
        }

        /** A reboot into a new generated list of {@code count} records. */
        public Host reboot(long newSeed, int count) throws Exception {
            tpm.reboot();
            seed = newSeed;
            list = new GeneratedList(newSeed, count);
            extended = 0;
            return this;
        }
    }

    public Host host(String id, long seed, int count) throws Exception { return new Host(id, seed, count); }

    public Path segmentFile(String host, long seq) { return root.resolve(ArchiveLayout.segmentKey(host, seq)); }

    /** Deletes the three objects of one segment (a "lost" middle segment). */
    void deleteSegment(String host, long seq) throws IOException {
        Files.delete(root.resolve(ArchiveLayout.segmentKey(host, seq)));
        Files.delete(root.resolve(ArchiveLayout.manifestKey(host, seq)));
        Files.delete(root.resolve(ArchiveLayout.signatureKey(host, seq)));
    }

    /**
     * Segment {@code seq} replaced by a copy of segment {@code from}'s file, its sidecar manifest and
     * signature deleted: verifiers fall back to the footer manifest, which is {@code from}'s.
     */
    void replaceWithoutSidecar(String host, long seq, long from) throws IOException {
        Files.copy(segmentFile(host, from), segmentFile(host, seq), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.delete(root.resolve(ArchiveLayout.manifestKey(host, seq)));
        Files.delete(root.resolve(ArchiveLayout.signatureKey(host, seq)));
    }

    /** Flips one byte in the middle of a segment file. */
    public void flipByte(String host, long seq) throws IOException {
        Path f = segmentFile(host, seq);
        byte[] b = Files.readAllBytes(f);
        b[b.length / 2] ^= 0x01;
        Files.write(f, b);
    }

    /** A trust directory enrolling the shared AK for {@code hosts} and this archive's signer. */
    public Path trustDir(Path dir, Iterable<String> hosts) throws IOException {
        for (String h : hosts) {
            Path d = Files.createDirectories(dir.resolve("hosts").resolve(h));
            Files.writeString(d.resolve("ak.pem"), akPem);
        }
        Path keys = dir.resolveSibling(dir.getFileName() + "-signer");
        signerKey.writePem(keys);
        Files.createDirectories(dir.resolve("signers"));
        Files.copy(keys.resolve(KeyMaterial.CERT_FILE), dir.resolve("signers").resolve("archiver.pem"));
        return dir;
    }
}

package org.imaarchiver.archive.compact;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.chain.ArchiveLayout.ObjectKind;
import org.imaarchiver.archive.chain.ChainReport;
import org.imaarchiver.archive.chain.ChainVerifier;
import org.imaarchiver.archive.chain.PackNonce;
import org.imaarchiver.archive.chain.PackRequest;
import org.imaarchiver.archive.chain.PackResult;
import org.imaarchiver.archive.chain.SegmentPacker;
import org.imaarchiver.archive.chain.TrustStore;
import org.imaarchiver.archive.segment.Checkpoint;
import org.imaarchiver.archive.segment.ManifestCodec;
import org.imaarchiver.replay.quote.QuoteEvidence;
import org.imaarchiver.archive.segment.SegmentManifest;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.sign.SegmentSigner;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.LocalDirectoryStore;
import org.imaarchiver.replay.log.BinaryLogReader;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.LogReadOptions;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.quote.AkPublicKey;
import org.imaarchiver.replay.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real ibmtss list packed as two segments with the swtpm quotes after records 200 and 362
 * (imported evidence, README), compacted into one: both real quotes verify as checkpoints, at the
 * README's PCR values.
 */
class CompactorRealDataTest {
    private static final String DIR = "derived-swtpm-quotes-over-ibmtss-sha1log/";
    private static final String HOST = "ibmtss-host";
    private static final Instant T0 = Instant.parse("2026-11-27T00:00:00Z");

    @TempDir Path dir;

    @Test
    void twoRealQuotesBecomeCheckpointsOfOneSegment() throws Exception {
        Path list = TestData.ima("kgoldman+ibmtss/sha1.log");
        KeyMaterial signerKey = KeyMaterial.generate(KeyMaterial.KeyType.P256, "archiver", T0.minusSeconds(3600),
                T0.plusSeconds(365L * 86400));
        AkPublicKey ak = AkPublicKey.load(Files.readAllBytes(TestData.ima(DIR + "ak.pub.tss")));
        Path trustDir = dir.resolve("trust");
        Files.createDirectories(trustDir.resolve("hosts").resolve(HOST));
        Files.copy(TestData.ima(DIR + "ak.pub.tss"), trustDir.resolve("hosts").resolve(HOST).resolve("ak.pub"));
        signerKey.writePem(dir.resolve("keys"));
        Files.createDirectories(trustDir.resolve("signers"));
        Files.copy(dir.resolve("keys").resolve(KeyMaterial.CERT_FILE), trustDir.resolve("signers").resolve("archiver.pem"));
        ChainVerifier verifier = new ChainVerifier(TrustStore.load(trustDir), 2, dir.resolve("verify"));
        SegmentSigner signer = new SegmentSigner(signerKey, Optional.empty());

        try (ArchiveStore store = LocalDirectoryStore.open(dir.resolve("store"))) {
            SegmentPacker packer = new SegmentPacker(store, signer, dir.resolve("work"));
            assertThat(pack(packer, list, ak, 200, T0)).isInstanceOf(PackResult.Packed.class);
            assertThat(pack(packer, list, ak, 362, T0.plusSeconds(60))).isInstanceOf(PackResult.Packed.class);
            ChainReport before = verifier.verifyHost(store, HOST);
            assertThat(before.findings()).isEmpty();

            Compactor c = new Compactor(store, verifier, signer, dir.resolve("compact"),
                    Clock.fixed(T0.plus(Duration.ofDays(2)), ZoneOffset.UTC), CompactionPolicy.defaults(), RetentionPolicy.none(),
                    "ima-archiver/test");
            Compactor.Run run = c.compact(HOST);
            assertThat(run.results()).containsExactly(new CompactionResult.Compacted(ArchiveLayout.rangeKey(HOST, 0, 1, ObjectKind.SEGMENT),
                    0, 1, 362, 2, 0));

            ChainReport after = verifier.verifyHost(store, HOST);
            assertThat(after.findings()).isEmpty();
            assertThat(after.segments()).isEqualTo(1);
            assertThat(after.records()).isEqualTo(362);
            assertThat(after.lastIndex()).hasValue(361);

            SegmentManifest m = ManifestCodec.decode(store.readAll(ArchiveLayout.rangeKey(HOST, 0, 1, ObjectKind.MANIFEST)));
            assertThat(m.checkpoints()).extracting(Checkpoint::quotePoint).containsExactly(200L, 362L);
            // README: PCR 10 after record 200 and after 362.
            assertThat(m.checkpoints().get(0).end().value(10, HashAlgorithm.SHA1))
                    .isEqualTo(Digest.ofHex("e8c1a2b5ea7424f71404e9295f9616663f56aba2"));
            assertThat(m.end().value(10, HashAlgorithm.SHA1)).isEqualTo(Digest.ofHex("9be6bac02bf18d09d17e726c2df00bca4e8831ea"));
            assertThat(m.checkpoints().get(0).nonceDerivation().nonce()).isEqualTo(Bytes.ofHex("00000000000000000000000000000000000000c8"));
        }
    }

    private static PackResult pack(SegmentPacker packer, Path list, AkPublicKey ak, int n, Instant at) throws Exception {
        QuoteEvidence q = new QuoteEvidence(Bytes.wrap(Files.readAllBytes(TestData.ima(DIR + "quote-" + n + ".msg"))),
                Bytes.wrap(Files.readAllBytes(TestData.ima(DIR + "quote-" + n + ".sig"))),
                Bytes.wrap(Files.readAllBytes(TestData.ima(DIR + "ak.name"))));
        byte[] nonce = new byte[20]; // README: the record count as 20 big-endian bytes
        nonce[18] = (byte) (n >>> 8);
        nonce[19] = (byte) n;
        try (InputStream in = Files.newInputStream(list)) {
            BinaryLogReader reader = BinaryLogReader.open(in, LogReadOptions.of(list.toString()));
            return packer.pack(new PackRequest(HOST, reader, q, ak, new PackNonce.External(Bytes.wrap(nonce)), at, "ima-archiver/test",
                    Optional.empty()));
        }
    }
}

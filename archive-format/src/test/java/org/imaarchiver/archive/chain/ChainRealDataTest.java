package org.imaarchiver.archive.chain;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.imaarchiver.archive.segment.ManifestCodec;
import org.imaarchiver.replay.quote.QuoteEvidence;
import org.imaarchiver.archive.segment.SegmentManifest;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.sign.SegmentSigner;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.LocalDirectoryStore;
import org.imaarchiver.replay.json.Json;
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
 * Packs the real ibmtss list as two segments with the swtpm quotes taken after records 200 and 362
 * (imported evidence: the nonce is the 20-byte big-endian record count, README), then verifies the
 * chain offline. PCR values are the README's, not values this code computes.
 */
class ChainRealDataTest {
    private static final String DIR = "derived-swtpm-quotes-over-ibmtss-sha1log/";
    private static final String HOST = "ibmtss-host";
    private static final Instant T0 = Instant.parse("2026-11-27T00:00:00Z");

    @TempDir Path dir;

    @Test
    void packsTwoSegmentsAndVerifiesTheChain() throws Exception {
        Path list = TestData.ima("kgoldman+ibmtss/sha1.log");
        KeyMaterial signerKey = KeyMaterial.generate(KeyMaterial.KeyType.P256, "archiver", T0.minusSeconds(3600),
                T0.plusSeconds(365L * 86400));
        // TPM2B_PUBLIC: the packer also checks the evidence's AK name against the key's TPM name.
        AkPublicKey ak = AkPublicKey.load(Files.readAllBytes(TestData.ima(DIR + "ak.pub.tss")));
        assertThat(ak.tpmName()).contains(Bytes.wrap(Files.readAllBytes(TestData.ima(DIR + "ak.name"))));
        try (ArchiveStore store = LocalDirectoryStore.open(dir.resolve("store"))) {
            SegmentPacker packer = new SegmentPacker(store, new SegmentSigner(signerKey, Optional.empty()), dir.resolve("work"));

            PackResult r0 = pack(packer, list, ak, 200, T0);
            assertThat(r0).isEqualTo(new PackResult.Packed(ArchiveLayout.segmentKey(HOST, 0), 0, 200, 200, true));
            PackResult r1 = pack(packer, list, ak, 362, T0.plusSeconds(60));
            assertThat(r1).isEqualTo(new PackResult.Packed(ArchiveLayout.segmentKey(HOST, 1), 1, 162, 362, false));
            // The same quote again: the head already ends there.
            assertThat(pack(packer, list, ak, 362, T0.plusSeconds(120))).isEqualTo(new PackResult.NothingToPack(362));
            // An older quote does not match anything from the head on.
            assertThat(pack(packer, list, ak, 200, T0.plusSeconds(180))).isInstanceOf(PackResult.NoQuotePoint.class);
            // A quote with another nonce than the one claimed.
            assertThat(pack(packer, list, ak, 362, Bytes.ofHex("00".repeat(20)), T0)).isInstanceOf(PackResult.QuoteInvalid.class);

            ChainHead head = new ChainIndex(store).head(HOST).orElseThrow();
            SegmentManifest m1 = head.manifest();
            assertThat(head.sequence()).isEqualTo(1);
            // README: PCR 10 after record 362.
            assertThat(m1.end().value(10, HashAlgorithm.SHA1)).isEqualTo(Digest.ofHex("9be6bac02bf18d09d17e726c2df00bca4e8831ea"));
            assertThat(m1.end().value(10, HashAlgorithm.SHA256))
                    .isEqualTo(Digest.ofHex("7fac48c81837d6d29046008aef0cdad8c2745cc98c3340cbba9bfdf39b4124b8"));
            // README: PCR 10 after record 200 is segment 1's base.
            assertThat(m1.base().value(10, HashAlgorithm.SHA1)).isEqualTo(Digest.ofHex("e8c1a2b5ea7424f71404e9295f9616663f56aba2"));
            SegmentManifest m0 = ManifestCodec.decode(Bytes.wrap(store.readAll(ArchiveLayout.manifestKey(HOST, 0))));
            assertThat(m1.previousManifestDigest()).contains(ManifestCodec.digest(m0));
            assertThat(m0.nonceDerivation().nonce()).isEqualTo(Bytes.ofHex("00000000000000000000000000000000000000c8"));

            // Trust directory: the AK as TPM2B_PUBLIC (tpm2-tools ak.pub) and the signer certificate.
            Path trustDir = dir.resolve("trust");
            Files.createDirectories(trustDir.resolve("hosts").resolve(HOST));
            Files.copy(TestData.ima(DIR + "ak.pub.tss"), trustDir.resolve("hosts").resolve(HOST).resolve("ak.pub"));
            signerKey.writePem(dir.resolve("keys"));
            Files.createDirectories(trustDir.resolve("signers"));
            Files.copy(dir.resolve("keys").resolve(KeyMaterial.CERT_FILE), trustDir.resolve("signers").resolve("archiver.pem"));
            TrustStore trust = TrustStore.load(trustDir);

            ArchiveReport report = new ChainVerifier(trust, 2, dir.resolve("verify")).verify(store, ChainVerifier.HostFilter.all());
            assertThat(report.hosts()).hasSize(1);
            ChainReport h = report.hosts().get(0);
            assertThat(h.findings()).isEmpty();
            assertThat(h.status()).isEqualTo(ChainReport.Status.OK);
            assertThat(h.segments()).isEqualTo(2);
            assertThat(h.records()).isEqualTo(362);
            assertThat(h.firstIndex()).hasValue(0);
            assertThat(h.lastIndex()).hasValue(361);
            assertThat(h.firstCreatedAt()).contains(T0);

            @SuppressWarnings("unchecked")
            Map<String, Object> json = (Map<String, Object>) Json.parse(ArchiveReportJson.encode(report));
            @SuppressWarnings("unchecked")
            Map<String, Object> host = (Map<String, Object>) ((List<Object>) json.get("hosts")).get(0);
            assertThat(host).containsEntry("host", HOST).containsEntry("status", "ok").containsEntry("segments", 2L)
                    .containsEntry("records", 362L).containsEntry("failures", List.of());

            // Without the AK enrolled, both quotes are untrusted.
            ArchiveReport noAk = new ChainVerifier(new TrustStore(Map.of(), trust.signers()), 1, dir.resolve("verify2"))
                    .verify(store, ChainVerifier.HostFilter.all());
            assertThat(noAk.hosts().get(0).findings()).extracting(ChainFinding::kind).containsOnly(FindingKind.UNTRUSTED_AK);
        }
    }

    private static PackResult pack(SegmentPacker packer, Path list, AkPublicKey ak, int n, Instant at) throws Exception {
        return pack(packer, list, ak, n, countNonce(n), at);
    }

    private static PackResult pack(SegmentPacker packer, Path list, AkPublicKey ak, int n, Bytes nonce, Instant at) throws Exception {
        QuoteEvidence q = new QuoteEvidence(Bytes.wrap(Files.readAllBytes(TestData.ima(DIR + "quote-" + n + ".msg"))),
                Bytes.wrap(Files.readAllBytes(TestData.ima(DIR + "quote-" + n + ".sig"))),
                Bytes.wrap(Files.readAllBytes(TestData.ima(DIR + "ak.name"))));
        try (InputStream in = Files.newInputStream(list)) {
            BinaryLogReader reader = BinaryLogReader.open(in, LogReadOptions.of(list.toString()));
            return packer.pack(new PackRequest(HOST, reader, q, ak, new PackNonce.External(nonce), at, "ima-archiver/test",
                    Optional.empty()));
        }
    }

    /** README: the quotes' qualifying data is the record count as 20 big-endian bytes. */
    private static Bytes countNonce(int n) {
        byte[] b = new byte[20];
        b[18] = (byte) (n >>> 8);
        b[19] = (byte) n;
        return Bytes.wrap(b);
    }
}

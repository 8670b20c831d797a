package org.imaarchiver.archive.vectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.imaarchiver.archive.chain.ChainFinding;
import org.imaarchiver.archive.chain.ChainLink;
import org.imaarchiver.archive.chain.ChainPredecessor;
import org.imaarchiver.archive.chain.TrustStore;
import org.imaarchiver.archive.receipt.VerificationReceipt;
import org.imaarchiver.archive.segment.ManifestCodec;
import org.imaarchiver.archive.segment.SegmentManifest;
import org.imaarchiver.archive.sign.SignatureVerificationException;
import org.imaarchiver.archive.sign.SignatureVerifier;
import org.imaarchiver.archive.sign.TrustedKeys;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The test vectors of docs/archive-format.md Appendix A, as committed files (src/test/resources/vectors):
 * a real CMS signature over the A.1 manifest (A.3), a verification receipt with its signature and
 * the verifier's certificate (A.4), and a chain with a gap (A.5). The expected values are the
 * document's, typed in here; OpenSSL verifies both signatures too (the command is in the document).
 */
class FormatVectorsTest {
    static final String A1_DIGEST = "c9d9596c455c0ea5b5f01989596d3751bbb4b1906ac90d396c4902a792d1cd83";

    @TempDir Path tmp;

    static Path vectors() throws Exception { return Path.of(FormatVectorsTest.class.getResource("/vectors").toURI()); }

    static Bytes read(String name) throws Exception { return Bytes.wrap(Files.readAllBytes(vectors().resolve(name))); }

    @Test
    void a1IsTheDocumentsManifest() throws Exception {
        Bytes a1 = read("a1.manifest.json");
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(a1.toArray()))).isEqualTo(A1_DIGEST);
        assertThat(ManifestCodec.encode(ManifestCodec.decode(a1))).isEqualTo(a1);
    }

    @Test
    void a3TheManifestSignatureVerifiesUnderTheArchiversCertificateOnly() throws Exception {
        Bytes a1 = read("a1.manifest.json");
        Bytes cms = read("a1.manifest.cms");
        TrustedKeys archiver = TrustStore.loadSigners(vectors().resolve("signers"));
        assertThat(SignatureVerifier.trusting(archiver).verify(a1, cms)).isNotNull();
        byte[] flipped = a1.toArray();
        flipped[flipped.length - 2] ^= 1;
        assertThatThrownBy(() -> SignatureVerifier.trusting(archiver).verify(Bytes.wrap(flipped), cms))
                .isInstanceOf(SignatureVerificationException.class);
        TrustedKeys verifierOnly = TrustStore.loadSigners(vectors().resolve("receipt-signers"));
        assertThatThrownBy(() -> SignatureVerifier.trusting(verifierOnly).verify(a1, cms)).isInstanceOf(SignatureVerificationException.class);
    }

    @Test
    void a4TheReceiptVerifiesAndSaysWhatTheDocumentSays() throws Exception {
        TrustedKeys verifier = TrustStore.loadSigners(vectors().resolve("receipt-signers"));
        VerificationReceipt r = VerificationReceipt.read(vectors().resolve("receipt"), "host-1", verifier).orElseThrow();
        assertThat(r.host()).isEqualTo("host-1");
        assertThat(r.sequence()).isZero();
        assertThat(r.manifestDigest().hex()).isEqualTo(A1_DIGEST);
        assertThat(r.boot().bootAggregateAlgorithm()).isEqualTo(HashAlgorithm.SHA1);
        assertThat(r.boot().bootAggregate().hex()).isEqualTo("aa".repeat(20));
        assertThat(List.of(r.boot().resetCount(), r.boot().restartCount(), r.boot().bootCounter())).containsExactly(7L, 1L, 0L);
        assertThat(r.end().nextIndex()).isEqualTo(2);
        assertThat(r.verifiedAt()).isEqualTo(Instant.parse("2026-01-02T00:00:00Z"));
        assertThat(r.verifier()).isEqualTo("ima-archiver/1");
        assertThat(r.canonicalBytes()).isEqualTo(read("receipt/host-1.receipt.json"));
        // Its end and boot are A.1's: the receipt stands in for A.1 as a chain predecessor.
        SegmentManifest a1 = ManifestCodec.decode(read("a1.manifest.json"));
        assertThat(r.end()).isEqualTo(a1.end());
        assertThat(r.boot()).isEqualTo(a1.boot());
    }

    @Test
    void a4AChangedReceiptOrAnotherSignerIsRefused() throws Exception {
        Path dir = tmp.resolve("r");
        Files.createDirectories(dir);
        Files.copy(vectors().resolve("receipt/host-1.receipt.cms"), dir.resolve("host-1.receipt.cms"));
        String json = Files.readString(vectors().resolve("receipt/host-1.receipt.json")).replace("\"sequence\":0", "\"sequence\":1");
        Files.writeString(dir.resolve("host-1.receipt.json"), json);
        TrustedKeys verifier = TrustStore.loadSigners(vectors().resolve("receipt-signers"));
        assertThatThrownBy(() -> VerificationReceipt.read(dir, "host-1", verifier)).isInstanceOf(VerificationReceipt.ReceiptException.class);
        TrustedKeys archiver = TrustStore.loadSigners(vectors().resolve("signers"));
        assertThatThrownBy(() -> VerificationReceipt.read(vectors().resolve("receipt"), "host-1", archiver))
                .isInstanceOf(VerificationReceipt.ReceiptException.class);
    }

    @Test
    void a5AChainWithAGapIsOneSequenceGapAfterTheSegmentAndAfterTheReceipt() throws Exception {
        Bytes a1Bytes = read("a1.manifest.json");
        SegmentManifest a1 = ManifestCodec.decode(a1Bytes);
        SegmentManifest two = ManifestCodec.decode(read("gap/2.manifest.json"));
        assertThat(two.previousManifestDigest().orElseThrow().hex()).isEqualTo(A1_DIGEST);
        assertThat(ChainLink.check("host-1", new ChainPredecessor.Start(0), 0, Optional.of(a1))).isEmpty();

        List<ChainFinding> afterSegment = ChainLink.check("host-1", new ChainPredecessor.Segment(0, a1, ManifestCodec.digestOf(a1Bytes)), 2,
                Optional.of(two));
        assertThat(afterSegment).singleElement().satisfies(f -> {
            assertThat(f.kind().id()).isEqualTo("sequence-gap");
            assertThat(f.segment()).hasValue(2);
            assertThat(f.expected()).isEqualTo("1");
            assertThat(f.found()).isEqualTo("2");
        });
        VerificationReceipt r = VerificationReceipt.read(vectors().resolve("receipt"), "host-1",
                TrustStore.loadSigners(vectors().resolve("receipt-signers"))).orElseThrow();
        List<ChainFinding> afterReceipt = ChainLink.check("host-1", new ChainPredecessor.Receipt(r, false), 2, Optional.of(two));
        assertThat(afterReceipt).extracting(ChainFinding::kind, ChainFinding::expected, ChainFinding::found)
                .isEqualTo(afterSegment.stream().map(f -> org.assertj.core.groups.Tuple.tuple(f.kind(), f.expected(), f.found())).toList());
        // Renumbered as 1, the same manifest would link: the gap is the only thing wrong.
        assertThat(ChainLink.check("host-1", new ChainPredecessor.Receipt(r, false), 1, Optional.of(two))).isEmpty();
    }

    // ---- A.7 a closing segment ----

    static final String A7_DIGEST = "fb4d55174bc0039a3ef9f2bf4f8b635dd20088a5866b8444141ac93e69e16cca";
    static final String A7_NONCE = "9dff7d6f108502a5a1e159a1b32673cc190476dc1dafc8160a1cdf229f2ff0d2";

    @Test
    void a7TheClosingSegmentIsTheDocumentsAndClosesA1sBoot() throws Exception {
        Bytes a7 = read("closing/1.manifest.json");
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(a7.toArray()))).isEqualTo(A7_DIGEST);
        SegmentManifest m = ManifestCodec.decode(a7);
        assertThat(m.closesBoot()).isTrue();
        assertThat(m.recordCount()).isZero();
        assertThat(ManifestCodec.encode(m)).isEqualTo(a7);
        assertThat(m.nonceDerivation().nonce().hex()).isEqualTo(A7_NONCE);
        assertThat(org.imaarchiver.archive.segment.QuoteNonce.derive("host-1", m.boot(), 1, m.previousManifestDigest()).hex())
                .isEqualTo(A7_NONCE);
        // A.7 follows A.1 within its boot: no chain finding, and A.1's boot now ends closed.
        SegmentManifest a1 = ManifestCodec.decode(read("a1.manifest.json"));
        ChainPredecessor afterA1 = new ChainPredecessor.Segment(0, a1, ManifestCodec.digestOf(read("a1.manifest.json")));
        assertThat(ChainLink.check("host-1", afterA1, 1, Optional.of(m))).isEmpty();
        ChainPredecessor afterA7 = new ChainPredecessor.Segment(1, m, ManifestCodec.digestOf(a7));
        SegmentManifest nextBootAfterA7 = nextBoot(m, 2, ManifestCodec.digestOf(a7).hex());
        assertThat(ChainLink.unclosedBoot("host-1", afterA7, 2, Optional.of(nextBootAfterA7))).isEmpty();
        // The next boot directly after A.1 (never closed) is the unclosed-boot finding, on A.1's segment.
        SegmentManifest nextBootAfterA1 = nextBoot(m, 1, A1_DIGEST);
        assertThat(ChainLink.unclosedBoot("host-1", afterA1, 1, Optional.of(nextBootAfterA1))).hasValueSatisfying(f -> {
            assertThat(f.kind().id()).isEqualTo("unclosed-boot");
            assertThat(f.segment()).hasValue(0);
        });
    }

    @Test
    void a7TheMarkIsPresentOnlyAsTrue() throws Exception {
        String a7 = new String(read("closing/1.manifest.json").toArray(), java.nio.charset.StandardCharsets.US_ASCII);
        for (String other : List.of("\"closesBoot\":false,", "\"closesBoot\":1,", "\"closesBoot\":\"true\",")) {
            String changed = a7.replace("\"closesBoot\":true,", other);
            assertThat(changed).isNotEqualTo(a7);
            assertThatThrownBy(() -> ManifestCodec.decode(changed.getBytes(java.nio.charset.StandardCharsets.US_ASCII)))
                    .isInstanceOfSatisfying(org.imaarchiver.archive.segment.MalformedManifestException.class,
                            e -> assertThat(e.kind()).isEqualTo(org.imaarchiver.archive.segment.MalformedManifestException.Kind.BAD_FIELD));
        }
        // Without the key: the same segment not closing its boot, another digest.
        String stripped = a7.replace("\"closesBoot\":true,", "");
        SegmentManifest open = ManifestCodec.decode(stripped.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertThat(open.closesBoot()).isFalse();
        assertThat(ManifestCodec.digest(open).hex()).isNotEqualTo(A7_DIGEST);
    }

    @Test
    void a7TheSignatureCoversTheMark() throws Exception {
        org.imaarchiver.archive.sign.KeyMaterial key = org.imaarchiver.archive.sign.KeyMaterial.generate(
                org.imaarchiver.archive.sign.KeyMaterial.KeyType.P256, "a7", Instant.parse("2025-12-31T00:00:00Z"),
                Instant.parse("2036-01-01T00:00:00Z"));
        key.writePem(tmp.resolve("key"));
        Files.createDirectories(tmp.resolve("signers"));
        Files.copy(tmp.resolve("key").resolve(org.imaarchiver.archive.sign.KeyMaterial.CERT_FILE), tmp.resolve("signers/a7.pem"));
        TrustedKeys trusted = TrustStore.loadSigners(tmp.resolve("signers"));
        Bytes a7 = read("closing/1.manifest.json");
        Bytes cms = new org.imaarchiver.archive.sign.SegmentSigner(key, Optional.empty()).sign(a7, Instant.parse("2026-01-01T06:00:00Z"));
        assertThat(SignatureVerifier.trusting(trusted).verify(a7, cms)).isNotNull();
        // Stripping the mark (a boot made to look unclosed) or adding it to A.1 breaks the signature.
        Bytes stripped = Bytes.wrap(new String(a7.toArray(), java.nio.charset.StandardCharsets.US_ASCII)
                .replace("\"closesBoot\":true,", "").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> SignatureVerifier.trusting(trusted).verify(stripped, cms)).isInstanceOf(SignatureVerificationException.class);
        Bytes a1Marked = Bytes.wrap(new String(read("a1.manifest.json").toArray(), java.nio.charset.StandardCharsets.US_ASCII)
                .replace("\"checkpoints\":[],", "\"checkpoints\":[],\"closesBoot\":true,").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertThat(ManifestCodec.decode(a1Marked).closesBoot()).isTrue();
        assertThatThrownBy(() -> SignatureVerifier.trusting(TrustStore.loadSigners(vectors().resolve("signers"))).verify(a1Marked, read("a1.manifest.cms")))
                .isInstanceOf(SignatureVerificationException.class);
    }

    /** A new boot's first segment (boot counter + 1, from zeros) after {@code before}, at {@code sequence}. */
    private static SegmentManifest nextBoot(SegmentManifest before, long sequence, String previousDigest) {
        org.imaarchiver.archive.segment.BootIdentity b = before.boot();
        org.imaarchiver.archive.segment.BootIdentity next = new org.imaarchiver.archive.segment.BootIdentity(b.bootAggregateAlgorithm(),
                b.bootAggregate(), b.resetCount() + 1, 0, b.bootCounter() + 1);
        org.imaarchiver.replay.pcr.PcrState zero = org.imaarchiver.replay.pcr.PcrState.initial(before.base().banks());
        return new SegmentManifest(1, "host-1", next, sequence, 0, 0, zero, zero, before.quote(), before.nonceDerivation(), before.replay(),
                before.createdAt(), before.producer(), before.dataDigest(), Optional.of(org.imaarchiver.replay.pcr.Digest.ofHex(previousDigest)),
                List.of());
    }
}

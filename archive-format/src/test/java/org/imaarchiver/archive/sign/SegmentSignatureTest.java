package org.imaarchiver.archive.sign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.SignerInformationStore;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.testsupport.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SegmentSignatureTest {
    static final Instant NOT_BEFORE = Instant.parse("2026-01-01T00:00:00Z");
    static final Instant NOT_AFTER = Instant.parse("2036-01-01T00:00:00Z");
    static final Instant SIGNING_TIME = Instant.parse("2026-06-01T11:59:00Z");
    static final Bytes MANIFEST = Bytes.wrap("{\"formatVersion\":1,\"hostId\":\"h\"}".getBytes(StandardCharsets.US_ASCII));

    @TempDir Path dir;

    static KeyMaterial key(KeyMaterial.KeyType type) {
        return KeyMaterial.generate(type, "ima-archiver test", NOT_BEFORE, NOT_AFTER);
    }

    @ParameterizedTest
    @EnumSource(KeyMaterial.KeyType.class)
    void signsAndVerifiesDetachedCms(KeyMaterial.KeyType type) throws Exception {
        KeyMaterial km = key(type);
        Bytes cms = new SegmentSigner(km, Optional.empty()).sign(MANIFEST, SIGNING_TIME);
        VerifiedSignature v = SignatureVerifier.trusting(TrustedKeys.ofCertificates(List.of(km.certificate()))).verify(MANIFEST, cms);
        assertThat(v.signer()).isEqualTo(km.certificate());
        assertThat(v.timestampTime()).isEmpty();

        // Detached: the CMS does not carry the manifest.
        assertThat(new CMSSignedData(cms.toArray()).getSignedContent()).isNull();
    }

    /**
     * Peer check with openssl cms. P-256 only: OpenSSL 3.0 cannot verify Ed25519 SignerInfos with
     * signed attributes ("eddsa_digest_signverify_init: invalid digest"); Ed25519 is covered by BC.
     */
    @Test
    void opensslVerifiesTheP256Cms() throws Exception {
        Tools.require("openssl", "openssl");
        KeyMaterial km = key(KeyMaterial.KeyType.P256);
        Bytes cms = new SegmentSigner(km, Optional.empty()).sign(MANIFEST, SIGNING_TIME);
        Path content = Files.write(dir.resolve("m.json"), MANIFEST.toArray());
        Path sig = Files.write(dir.resolve("m.p7s"), cms.toArray());
        km.writePem(dir.resolve("keys"));
        Process p = new ProcessBuilder("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", sig.toString(),
                "-content", content.toString(), "-CAfile", dir.resolve("keys").resolve(KeyMaterial.CERT_FILE).toString(),
                "-purpose", "any", "-attime", Long.toString(SIGNING_TIME.getEpochSecond()), "-out", "/dev/null")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
    }

    @Test
    void untrustedSignerIsRejected() throws Exception {
        KeyMaterial signer = key(KeyMaterial.KeyType.P256);
        KeyMaterial other = key(KeyMaterial.KeyType.P256);
        Bytes cms = new SegmentSigner(signer, Optional.empty()).sign(MANIFEST, SIGNING_TIME);
        var e = assertThrows(SignatureVerificationException.class,
                () -> SignatureVerifier.trusting(TrustedKeys.ofCertificates(List.of(other.certificate()))).verify(MANIFEST, cms));
        assertThat(e.kind()).isEqualTo(SignatureVerificationException.Kind.UNTRUSTED_SIGNER);
    }

    @ParameterizedTest
    @EnumSource(KeyMaterial.KeyType.class)
    void tamperedManifestIsRejected(KeyMaterial.KeyType type) throws Exception {
        KeyMaterial km = key(type);
        Bytes cms = new SegmentSigner(km, Optional.empty()).sign(MANIFEST, SIGNING_TIME);
        byte[] tampered = MANIFEST.toArray();
        tampered[tampered.length - 3] ^= 1;
        var e = assertThrows(SignatureVerificationException.class, () -> SignatureVerifier
                .trusting(TrustedKeys.ofCertificates(List.of(km.certificate()))).verify(Bytes.wrap(tampered), cms));
        assertThat(e.kind()).isEqualTo(SignatureVerificationException.Kind.BAD_SIGNATURE);
    }

    @Test
    void garbageIsMalformed() {
        KeyMaterial km = key(KeyMaterial.KeyType.ED25519);
        var e = assertThrows(SignatureVerificationException.class, () -> SignatureVerifier
                .trusting(TrustedKeys.ofCertificates(List.of(km.certificate()))).verify(MANIFEST, Bytes.ofHex("3003020101")));
        assertThat(e.kind()).isEqualTo(SignatureVerificationException.Kind.MALFORMED);
    }

    @ParameterizedTest
    @EnumSource(KeyMaterial.KeyType.class)
    void pemRoundTrip(KeyMaterial.KeyType type) throws Exception {
        KeyMaterial km = key(type);
        km.writePem(dir);
        assertThat(Files.readString(dir.resolve(KeyMaterial.KEY_FILE))).startsWith("-----BEGIN PRIVATE KEY-----");
        KeyMaterial back = KeyMaterial.readPem(dir);
        assertThat(back.certificate()).isEqualTo(km.certificate());
        assertThat(back.privateKey().getEncoded()).isEqualTo(km.privateKey().getEncoded());
        assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> km.writePem(dir));
    }

    @Test
    void timestampFromLocalTsaAttachesAndVerifies() throws Exception {
        KeyMaterial km = key(KeyMaterial.KeyType.P256);
        try (LocalTsa tsa = new LocalTsa()) {
            var signer = new SegmentSigner(km, Optional.of(new HttpTimestampAuthority(tsa.url(), Duration.ofSeconds(10))));
            Bytes cms = signer.sign(MANIFEST, SIGNING_TIME);
            var verifier = new SignatureVerifier(TrustedKeys.ofCertificates(List.of(km.certificate())),
                    TrustedKeys.ofCertificates(List.of(tsa.certificate)), true);
            VerifiedSignature v = verifier.verify(MANIFEST, cms);
            assertThat(v.timestampTime()).contains(LocalTsa.GEN_TIME);
            assertThat(v.timestampAuthority()).contains(tsa.certificate);

            // The same token grafted onto another signature (over another manifest) is rejected.
            Bytes otherManifest = Bytes.wrap("{\"other\":1}".getBytes(StandardCharsets.US_ASCII));
            Bytes plain = new SegmentSigner(km, Optional.empty()).sign(otherManifest, SIGNING_TIME);
            Bytes grafted = graftUnsignedAttributes(cms, plain);
            var e = assertThrows(SignatureVerificationException.class, () -> verifier.verify(otherManifest, grafted));
            assertThat(e.kind()).isEqualTo(SignatureVerificationException.Kind.BAD_TIMESTAMP);

            // A TSA whose key is not trusted.
            var strict = new SignatureVerifier(TrustedKeys.ofCertificates(List.of(km.certificate())), TrustedKeys.none(), true);
            assertThat(assertThrows(SignatureVerificationException.class, () -> strict.verify(MANIFEST, cms)).kind())
                    .isEqualTo(SignatureVerificationException.Kind.UNTRUSTED_TIMESTAMP_AUTHORITY);
            // A timestamp is required but absent.
            assertThat(assertThrows(SignatureVerificationException.class, () -> verifier.verify(otherManifest, plain)).kind())
                    .isEqualTo(SignatureVerificationException.Kind.TIMESTAMP_MISSING);
        }
    }

    /** Copies the unsigned attributes (the timestamp) of {@code from}'s signer onto {@code to}'s signer. */
    private static Bytes graftUnsignedAttributes(Bytes from, Bytes to) throws Exception {
        SignerInformation src = new CMSSignedData(from.toArray()).getSignerInfos().getSigners().iterator().next();
        CMSSignedData dst = new CMSSignedData(to.toArray());
        SignerInformation target = dst.getSignerInfos().getSigners().iterator().next();
        SignerInformation grafted = SignerInformation.replaceUnsignedAttributes(target, src.getUnsignedAttributes());
        return Bytes.wrap(CMSSignedData.replaceSigners(dst, new SignerInformationStore(grafted)).getEncoded("DER"));
    }
}

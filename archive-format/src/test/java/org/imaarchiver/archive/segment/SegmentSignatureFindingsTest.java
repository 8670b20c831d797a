package org.imaarchiver.archive.segment;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.sign.SegmentSigner;
import org.imaarchiver.archive.sign.SignatureVerificationException;
import org.imaarchiver.archive.sign.SignatureVerifier;
import org.imaarchiver.archive.sign.TrustedKeys;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signed segments end to end: signature in the footer, sidecar, and signature findings. */
class SegmentSignatureFindingsTest {
    @TempDir Path dir;

    @Test
    void signedSegmentVerifiesAndBadSignaturesBecomeFindings() throws Exception {
        KeyMaterial key = KeyMaterial.generate(KeyMaterial.KeyType.ED25519, "archiver", Instant.parse("2026-01-01T00:00:00Z"),
                Instant.parse("2030-01-01T00:00:00Z"));
        KeyMaterial stranger = KeyMaterial.generate(KeyMaterial.KeyType.P256, "stranger", Instant.parse("2026-01-01T00:00:00Z"),
                Instant.parse("2030-01-01T00:00:00Z"));
        List<MeasurementRecord> records = ImaRecordGenerator.generate(31, 0, 200, true);
        Path file = dir.resolve("signed.parquet");
        WrittenSegment ws;
        try (SegmentWriter w = SegmentWriter.create(file, 0, QueryColumns::of)) {
            for (MeasurementRecord r : records) w.write(r);
            SegmentManifest m = TestManifests.forSummary("host-s", 0, w.summary(), Optional.empty());
            Bytes cms = new SegmentSigner(key, Optional.empty()).sign(ManifestCodec.encode(m), Instant.parse(m.createdAt()));
            ws = w.finish(m, Optional.of(cms));
        }
        Path sidecar = Files.write(dir.resolve("signed.manifest.json"), ws.manifestBytes().toArray());

        SegmentReader reader = SegmentReader.open(file);
        assertThat(reader.signature()).isPresent();
        SignatureVerifier trusted = SignatureVerifier.trusting(TrustedKeys.ofCertificates(List.of(key.certificate())));
        assertThat(SegmentVerifier.verifySignature(reader.manifest(), reader.manifestBytes(), reader.signature(), trusted)).isEmpty();
        assertThat(SegmentVerifier.compareSidecar(reader, Bytes.wrap(Files.readAllBytes(sidecar)))).isEmpty();
        assertThat(SegmentVerifier.verifyData(reader)).isEmpty();

        SignatureVerifier wrongTrust = SignatureVerifier.trusting(TrustedKeys.ofCertificates(List.of(stranger.certificate())));
        assertThat(SegmentVerifier.verifySignature(reader.manifest(), reader.manifestBytes(), reader.signature(), wrongTrust))
                .singleElement().isInstanceOf(SegmentFinding.UntrustedSigner.class);

        byte[] tampered = reader.manifestBytes().toArray();
        tampered[10] ^= 1;
        assertThat(SegmentVerifier.verifySignature(reader.manifest(), Bytes.wrap(tampered), reader.signature(), trusted))
                .singleElement()
                .satisfies(f -> {
                    assertThat(f).isInstanceOf(SegmentFinding.BadSignature.class);
                    assertThat(((SegmentFinding.BadSignature) f).kind()).isEqualTo(SignatureVerificationException.Kind.BAD_SIGNATURE);
                    assertThat(f.hostId()).isEqualTo("host-s");
                    assertThat(f.sequence()).isZero();
                });
        assertThat(SegmentVerifier.verifySignature(reader.manifest(), reader.manifestBytes(), Optional.empty(), trusted))
                .containsExactly(new SegmentFinding.MissingSignature("host-s", 0));
    }
}

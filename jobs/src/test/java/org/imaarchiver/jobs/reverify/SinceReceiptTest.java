package org.imaarchiver.jobs.reverify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.imaarchiver.archive.receipt.VerificationReceipt;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.sign.SegmentSigner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Receipts as starting points: a second run with {@code --since-receipt} verifies only the segments
 * added after the receipts (an attack on an older segment goes unseen: proof it was skipped), still
 * detects tampering after a receipt, and does not trust a receipt signed by an unknown key.
 */
class SinceReceiptTest {
    static final Instant NOW = Instant.parse("2026-11-28T08:00:00Z");

    @TempDir Path dir;

    @Test
    void verifiesOnlyAfterTheReceiptAndStillDetectsTamperingThere() throws Exception {
        TestArchive archive = new TestArchive(dir.resolve("store"));
        TestArchive.Host a = archive.host("a", 1, 20).segment(5).segment(9);
        TestArchive.Host b = archive.host("b", 2, 20).segment(6).segment(10);
        TestArchive.Host c = archive.host("c", 3, 20).segment(7);
        TestArchive.Host d = archive.host("d", 4, 20).segment(8);
        Path trust = archive.trustDir(dir.resolve("trust"), List.of("a", "b", "c", "d"));
        KeyMaterial verifier = KeyMaterial.generate(KeyMaterial.KeyType.ED25519, "verifier", NOW.minusSeconds(86400), NOW.plusSeconds(86400));

        VerifyJobResult first = new VerifyJobRunner().run(VerifyJobRequest.of(archive.root.toString(), trust, dir.resolve("state"),
                dir.resolve("out1")).withParallel(2, 1).withProgress(VerifyJobRequest.ProgressMode.NONE).withReceiptKey(verifier)
                .withClock(Clock.fixed(NOW, ZoneOffset.UTC)));
        assertThat(first.ok()).isTrue();
        Path receipts = first.receiptsDir();

        // After the receipts: a grows by one segment; b grows by one, whose signature is then deleted;
        // c's old (receipted) segment is tampered with; d gets a receipt forged by another key; c reboots.
        a.segment(14);
        b.segment(15);
        Files.delete(archive.root.resolve(org.imaarchiver.archive.chain.ArchiveLayout.signatureKey("b", 2)));
        archive.flipByte("c", 0);
        c.reboot(33, 6).segment(6);
        KeyMaterial forger = KeyMaterial.generate(KeyMaterial.KeyType.P256, "forger", NOW.minusSeconds(86400), NOW.plusSeconds(86400));
        VerificationReceipt dReceipt = VerificationReceipt.parse(org.imaarchiver.replay.bytes.Bytes.wrap(
                Files.readAllBytes(receipts.resolve("d" + VerificationReceipt.JSON_SUFFIX))));
        Path forged = dir.resolve("receipts-with-forgery");
        ArchiveCopy.copyTree(receipts, forged);
        dReceipt.write(forged, new SegmentSigner(forger, Optional.empty()));

        VerifyJobResult second = new VerifyJobRunner().run(VerifyJobRequest.of(archive.root.toString(), trust, dir.resolve("state"),
                dir.resolve("out2")).withParallel(2, 1).withProgress(VerifyJobRequest.ProgressMode.NONE).withReceiptKey(verifier)
                .withSinceReceipts(forged, Optional.empty()).withClock(Clock.fixed(NOW.plusSeconds(3600), ZoneOffset.UTC)));
        assertThat(second.completed()).isTrue();
        Map<String, Map<String, Object>> hosts = ReverifyJobTest.hostsOf(second.jsonReport());

        assertThat(hosts.get("a")).containsEntry("status", "ok").containsEntry("segments", 1L).containsEntry("records", 5L)
                .containsEntry("sinceReceipt", 1L).containsEntry("verifiedFromSegment", 2L);
        assertThat(hosts.get("b")).containsEntry("status", "failed").containsEntry("sinceReceipt", 1L);
        assertThat(ReverifyJobTest.kinds(hosts.get("b"))).isNotEmpty();
        @SuppressWarnings("unchecked")
        List<Object> bFailures = (List<Object>) hosts.get("b").get("failures");
        assertThat(bFailures).allSatisfy(f -> assertThat(((Map<?, ?>) f).get("segment")).isEqualTo(2L));
        // c: segment 0 is tampered but covered by the receipt; the new boot links to it correctly.
        assertThat(hosts.get("c")).containsEntry("status", "ok").containsEntry("segments", 1L).containsEntry("sinceReceipt", 0L);
        // d: the forged receipt is refused and the whole chain verified.
        assertThat(hosts.get("d")).containsEntry("status", "ok").containsEntry("verifiedFromSegment", 0L)
                .containsEntry("sinceReceipt", org.imaarchiver.replay.json.Json.NULL);
        assertThat(hosts.get("d").get("receiptRejected")).isInstanceOf(String.class);

        // New receipts move forward: a's names segment 2 now.
        VerificationReceipt aNext = VerificationReceipt.read(second.receiptsDir(), "a",
                org.imaarchiver.archive.sign.TrustedKeys.ofCertificates(List.of(verifier.certificate()))).orElseThrow();
        assertThat(aNext.sequence()).isEqualTo(2);
        assertThat(aNext.verifiedAt()).isEqualTo(NOW.plusSeconds(3600));
        assertThat(Files.exists(second.receiptsDir().resolve("b" + VerificationReceipt.JSON_SUFFIX))).isFalse();
    }

    @Test
    void aReceiptWhoseManifestWasReplacedIsABrokenLink() throws Exception {
        TestArchive archive = new TestArchive(dir.resolve("store"));
        archive.host("e", 5, 20).segment(5).segment(9);
        Path trust = archive.trustDir(dir.resolve("trust"), List.of("e"));
        KeyMaterial verifier = KeyMaterial.generate(KeyMaterial.KeyType.P256, "verifier", NOW.minusSeconds(86400), NOW.plusSeconds(86400));
        VerifyJobResult first = new VerifyJobRunner().run(VerifyJobRequest.of(archive.root.toString(), trust, dir.resolve("state"),
                dir.resolve("out1")).withParallel(1, 1).withProgress(VerifyJobRequest.ProgressMode.NONE).withReceiptKey(verifier)
                .withClock(Clock.fixed(NOW, ZoneOffset.UTC)));
        // A receipt claiming another manifest digest for segment 1 (signed by the verifier: a stale or mixed-up receipt).
        VerificationReceipt real = VerificationReceipt.read(first.receiptsDir(), "e",
                org.imaarchiver.archive.sign.TrustedKeys.ofCertificates(List.of(verifier.certificate()))).orElseThrow();
        VerificationReceipt other = new VerificationReceipt("e", real.boot(), real.sequence(),
                org.imaarchiver.replay.pcr.Digest.filled(32, (byte) 7), real.end(), real.verifiedAt(), real.verifier());
        Path dirR = dir.resolve("r");
        other.write(dirR, new SegmentSigner(verifier, Optional.empty()));
        VerifyJobResult second = new VerifyJobRunner().run(VerifyJobRequest.of(archive.root.toString(), trust, dir.resolve("state"),
                dir.resolve("out2")).withParallel(1, 1).withProgress(VerifyJobRequest.ProgressMode.NONE).withReceiptKey(verifier)
                .withSinceReceipts(dirR, Optional.empty()).withClock(Clock.fixed(NOW.plusSeconds(3600), ZoneOffset.UTC)));
        assertThat(ReverifyJobTest.kinds(ReverifyJobTest.hostsOf(second.jsonReport()).get("e"))).containsExactly("broken-link");
    }
}

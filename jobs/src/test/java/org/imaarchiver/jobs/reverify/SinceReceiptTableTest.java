package org.imaarchiver.jobs.reverify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.zaxxer.hikari.HikariDataSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.imaarchiver.archive.receipt.VerificationReceipt;
import org.imaarchiver.archive.segment.BootIdentity;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.sign.SegmentSigner;
import org.imaarchiver.archive.sign.TrustedKeys;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The manager's receipt verdicts for remote workers: what a worker reads back for each host is what
 * local mode decides from the directory itself ({@link SinceReceiptTable#read}), refusals included.
 */
class SinceReceiptTableTest {
    static final Instant NOW = Instant.parse("2026-11-28T08:00:00Z");

    @TempDir Path dir;
    HikariDataSource ds;
    KeyMaterial verifier;
    TrustedKeys signers;
    Path receipts;

    @BeforeEach
    void setUp() throws Exception {
        ds = ReverifyInfrastructure.open(new ReverifyInfrastructure.RepositoryDb(ReverifyInfrastructure.RepositoryDb.h2(dir.resolve("db"), false), 2));
        verifier = KeyMaterial.generate(KeyMaterial.KeyType.P256, "verifier", NOW.minusSeconds(60), NOW.plusSeconds(86400));
        signers = TrustedKeys.ofCertificates(List.of(verifier.certificate()));
        receipts = dir.resolve("receipts");
        SegmentSigner signer = new SegmentSigner(verifier, Optional.empty());
        for (String h : List.of("good", "tampered", "nocms", "named-wrong", "filtered")) receipt(h, 3).write(receipts, signer);
        // tampered: a byte of the signed body changes (the sequence 3 -> 4)
        Path t = receipts.resolve("tampered" + VerificationReceipt.JSON_SUFFIX);
        Files.writeString(t, Files.readString(t).replace("\"sequence\":3", "\"sequence\":4"));
        // foreign: a receipt signed by a key that is not a receipt signer
        KeyMaterial other = KeyMaterial.generate(KeyMaterial.KeyType.P256, "other", NOW.minusSeconds(60), NOW.plusSeconds(86400));
        receipt("foreign", 5).write(receipts, new SegmentSigner(other, Optional.empty()));
        Files.delete(receipts.resolve("nocms" + VerificationReceipt.CMS_SUFFIX));
        // named-wrong: host good's receipt under another host's name
        Files.copy(receipts.resolve("good" + VerificationReceipt.JSON_SUFFIX), receipts.resolve("named-wrong" + VerificationReceipt.JSON_SUFFIX),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(receipts.resolve("good" + VerificationReceipt.CMS_SUFFIX), receipts.resolve("named-wrong" + VerificationReceipt.CMS_SUFFIX),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(receipts.resolve("not a host!" + VerificationReceipt.JSON_SUFFIX), "{}");
    }

    @AfterEach
    void tearDown() {
        ds.close();
    }

    static VerificationReceipt receipt(String host, long sequence) {
        return new VerificationReceipt(host, new BootIdentity(HashAlgorithm.SHA256, Digest.filled(32, (byte) 1), 2, 0, 0), sequence,
                Digest.filled(32, (byte) 9), PcrState.initial(Set.of(HashAlgorithm.SHA256)), NOW, "test");
    }

    @Test
    void workersReadBackExactlyLocalModesVerdicts() throws Exception {
        SinceReceiptTable table = new SinceReceiptTable(ds, "set-1");
        long stored = table.fill(receipts, signers, h -> !h.equals("filtered"), 3);
        assertThat(stored).isEqualTo(5); // good, tampered, nocms, named-wrong, foreign

        for (String h : List.of("good", "tampered", "nocms", "named-wrong", "foreign")) {
            assertThat(table.get(h)).as(h).isEqualTo(SinceReceiptTable.read(receipts, h, signers));
        }
        assertThat(table.get("good")).get().isInstanceOfSatisfying(SinceReceiptTable.Accepted.class,
                a -> assertThat(a.receipt()).isEqualTo(receipt("good", 3)));
        for (String h : List.of("tampered", "nocms", "named-wrong", "foreign")) {
            assertThat(table.get(h)).as(h).get().isInstanceOf(SinceReceiptTable.Rejected.class);
        }
        assertThat(table.get("filtered")).isEmpty();
        assertThat(table.get("absent")).isEmpty();
        assertThat(new SinceReceiptTable(ds, "set-2").get("good")).as("another run's rows").isEmpty();
    }

    @Test
    void aRefillReplacesTheRowsAndDeleteAllEmptiesTheSet() throws Exception {
        SinceReceiptTable table = new SinceReceiptTable(ds, "set-1");
        table.fill(receipts, signers, h -> true, 2);
        Files.delete(receipts.resolve("good" + VerificationReceipt.JSON_SUFFIX));
        // the resumed run trusts no signer any more: every receipt is refused now
        table.fill(receipts, TrustedKeys.none(), h -> true, 2);
        assertThat(table.get("good")).isEmpty();
        assertThat(table.get("filtered")).get().isInstanceOf(SinceReceiptTable.Rejected.class);
        table.deleteAll();
        assertThat(table.get("filtered")).isEmpty();
    }

    @Test
    void aCorruptAcceptedRowIsAnErrorNotAVerdict() throws Exception {
        SinceReceiptTable table = new SinceReceiptTable(ds, "set-1");
        table.fill(receipts, signers, h -> true, 1);
        try (Connection c = ds.getConnection();
             PreparedStatement u = c.prepareStatement("UPDATE " + SinceReceiptTable.TABLE + " SET RECEIPT = ? WHERE HOST = 'good'")) {
            u.setString(1, new String("{\"x\":1}".getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
            u.executeUpdate();
        }
        assertThat(catchThrowableOfType(java.io.IOException.class, () -> table.get("good"))).isNotNull();
    }
}

package org.imaarchiver.jobs.nightly;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.LocalDirectoryStore;
import org.imaarchiver.replay.pcr.Digest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kept excess of staging with prompt: two copies, each checked against the digest in its name. */
class ExcessRecordsTest {
    @TempDir
    Path dir;

    private static final byte[] RAW = "records of the excess".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private ExcessRecords.Excess kept(ExcessRecords excess) throws Exception {
        Path raw = Files.write(dir.resolve("raw"), RAW);
        ExcessRecords.Excess e = new ExcessRecords.Excess(2, 40, 3, Digest.wrap(MessageDigest.getInstance("SHA-256").digest(RAW)));
        excess.keep(e, raw);
        return e;
    }

    @Test
    void aNameCarriesBootRangeAndDigest() throws Exception {
        Digest d = Digest.wrap(MessageDigest.getInstance("SHA-256").digest(RAW));
        ExcessRecords.Excess e = new ExcessRecords.Excess(1, 100, 7, d);
        assertThat(ExcessRecords.Excess.parse(e.fileName())).contains(e);
        assertThat(ExcessRecords.Excess.parse("1-100-7-zz.raw")).isEmpty();
        assertThat(e.end()).isEqualTo(107);
    }

    @Test
    void bothCopiesAreKeptAndTheStoreCopyReplacesACorruptLocalOne() throws Exception {
        try (ArchiveStore store = LocalDirectoryStore.open(Files.createDirectories(dir.resolve("archive")))) {
            ExcessRecords excess = new ExcessRecords(dir.resolve("state"), store, "h1");
            ExcessRecords.Excess e = kept(excess);
            assertThat(excess.local()).containsExactly(e);
            assertThat(excess.inStore()).containsExactly(e);

            Files.write(dir.resolve("state/excess").resolve(e.fileName()), "tampered".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertThat(excess.copyTo(e, out)).isTrue();
            assertThat(out.toByteArray()).isEqualTo(RAW);

            store.delete(ExcessRecords.prefix("h1") + e.fileName());
            assertThat(excess.copyTo(e, new ByteArrayOutputStream())).isFalse(); // both gone or wrong: lost
        }
    }

    @Test
    void setAsideKeepsTheStoreCopyAndDeleteRemovesBoth() throws Exception {
        try (ArchiveStore store = LocalDirectoryStore.open(Files.createDirectories(dir.resolve("archive")))) {
            ExcessRecords excess = new ExcessRecords(dir.resolve("state"), store, "h1");
            ExcessRecords.Excess e = kept(excess);
            excess.setAside(e);
            assertThat(excess.local()).isEmpty();
            assertThat(excess.unverified()).containsExactly(e);
            assertThat(excess.inStore()).containsExactly(e);

            ExcessRecords.Excess other = new ExcessRecords.Excess(3, 40, 3, e.sha256());
            Path raw = Files.write(dir.resolve("raw2"), RAW);
            excess.keep(other, raw);
            excess.delete(other);
            assertThat(excess.local()).isEmpty();
            assertThat(excess.inStore()).containsExactly(e);
        }
    }
}

package org.imaarchiver.jobs.host.securityfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.imaarchiver.jobs.host.imafs.ImafsEmulator;
import org.imaarchiver.jobs.host.securityfs.SecurityfsFeatures.Mode;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** D.2 step 0 against the emulated securityfs. */
class SecurityfsLogTest {
    @TempDir
    Path dir;

    @Test
    void stagingKernelMayBeTrimmedByCount() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir, "--banks", "sha1,sha256,sha384")) {
            SecurityfsFeatures f = SecurityfsLog.at(emu.mountPoint(), Kernel.cmdline(dir, "ro quiet ima_policy=tcb")).features();
            assertThat(f.banks()).isEqualTo(Set.of(HashAlgorithm.SHA1, HashAlgorithm.SHA256, HashAlgorithm.SHA384));
            assertThat(f.unsupportedBanks()).isEmpty();
            assertThat(f.legacyFile()).isTrue();
            assertThat(f.staging()).isTrue();
            assertThat(f.flushHtable()).isFalse();
            assertThat(f.mode()).isEqualTo(Mode.TRIM_BY_COUNT);
        }
    }

    @Test
    void bankTheReplayEngineDoesNotKnowIsListedApart() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir, "--banks", "sha256,sm3")) {
            SecurityfsFeatures f = SecurityfsLog.at(emu.mountPoint(), dir.resolve("no-cmdline")).features();
            // the _sha1 files exist even without a sha1 bank (B.1)
            assertThat(f.banks()).isEqualTo(Set.of(HashAlgorithm.SHA1, HashAlgorithm.SHA256));
            assertThat(f.unsupportedBanks()).containsExactly("sm3");
        }
    }

    @Test
    void withoutStagingFilesTheKernelIsArchiveOnly() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir, "--no-staging")) {
            SecurityfsFeatures f = SecurityfsLog.at(emu.mountPoint(), Kernel.cmdline(dir, "ima_flush_htable")).features();
            assertThat(f.staging()).isFalse();
            assertThat(f.legacyFile()).isTrue();
            assertThat(f.banks()).contains(HashAlgorithm.SHA1, HashAlgorithm.SHA256);
            assertThat(f.mode()).isEqualTo(Mode.ARCHIVE_ONLY);
        }
    }

    @Test
    void flushHtableOnTheCommandLineMeansStagingWithPrompt() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir, "--flush-htable")) {
            SecurityfsLog log = SecurityfsLog.at(emu.mountPoint(), Kernel.cmdline(dir, "BOOT_IMAGE=/vmlinuz ima_flush_htable ro"));
            assertThat(log.features().flushHtable()).isTrue();
            assertThat(log.features().mode()).isEqualTo(Mode.STAGE_WITH_PROMPT);
            // a similar-looking parameter is not it
            SecurityfsLog other = SecurityfsLog.at(emu.mountPoint(), Kernel.cmdline(dir, "ima_flush_htable_not ro"));
            assertThat(other.features().mode()).isEqualTo(Mode.TRIM_BY_COUNT);
            assertThat(other.features().withFlushHtable().mode()).isEqualTo(Mode.STAGE_WITH_PROMPT);
        }
    }

    @Test
    void kernelBefore610HasOnlyTheSha1ListUnderTheLegacyName() throws Exception {
        // the directory layout of Debian 12's 6.1 kernel (testdata/qemu-debian-6.1/kernel.txt): no per-bank files
        Path root = Files.createDirectories(dir.resolve("ima"));
        for (String name : List.of("ascii_runtime_measurements", "binary_runtime_measurements", "policy",
                "runtime_measurements_count", "violations")) {
            Files.writeString(root.resolve(name), "");
        }
        SecurityfsLog log = SecurityfsLog.at(root, dir.resolve("no-cmdline"));
        SecurityfsFeatures f = log.features();
        assertThat(f.banks()).isEqualTo(Set.of(HashAlgorithm.SHA1));
        assertThat(f.legacyOnly()).isTrue();
        assertThat(f.mode()).isEqualTo(Mode.ARCHIVE_ONLY);
        assertThat(log.binaryFile(HashAlgorithm.SHA1)).isEqualTo(root.resolve("binary_runtime_measurements"));
        assertThat(log.binaryFile(HashAlgorithm.SHA256)).isEqualTo(root.resolve("binary_runtime_measurements_sha256"));
    }

    @Test
    void withPerBankFilesTheSha1BankIsItsOwnFile() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir, "--no-staging")) {
            SecurityfsLog log = SecurityfsLog.at(emu.mountPoint(), dir.resolve("no-cmdline"));
            assertThat(log.binaryFile(HashAlgorithm.SHA1)).isEqualTo(emu.mountPoint().resolve("binary_runtime_measurements_sha1"));
            assertThat(log.features().legacyOnly()).isFalse();
        }
    }

    @Test
    void fileNames() {
        SecurityfsLog log = SecurityfsLog.at(SecurityfsLog.INTEGRITY_ROOT, SecurityfsLog.DEFAULT_CMDLINE);
        assertThat(log.binaryFile(HashAlgorithm.SHA256)).isEqualTo(Path.of("/sys/kernel/security/integrity/ima/binary_runtime_measurements_sha256"));
        assertThat(log.stagedFile(HashAlgorithm.SHA1)).isEqualTo(Path.of("/sys/kernel/security/integrity/ima/binary_runtime_measurements_sha1_staged"));
        assertThat(log.legacyFile()).isEqualTo(Path.of("/sys/kernel/security/integrity/ima/binary_runtime_measurements"));
    }
}

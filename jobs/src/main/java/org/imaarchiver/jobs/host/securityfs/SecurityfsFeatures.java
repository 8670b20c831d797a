package org.imaarchiver.jobs.host.securityfs;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * What the kernel's measurement interface offers (kernel-interface.md D.2 step 0), as found on disk.
 *
 * @param root              the directory that was inspected
 * @param banks             banks with a {@code binary_runtime_measurements_<bank>} file (B.1); on a
 *                          kernel before 6.10, which has only the legacy file, SHA-1 alone
 * @param unsupportedBanks  per-bank files whose algorithm the replay engine does not know
 *                          ({@code sm3}, {@code tpm_alg_<hex>}, ...): their suffixes, sorted
 * @param legacyFile        {@code binary_runtime_measurements} (the SHA-1 view) exists
 * @param staging           {@code _staged} files exist: the kernel has 7.2 staging and deletion (A.8)
 * @param flushHtable       {@code ima_flush_htable} is on the kernel command line (A.8): N deletion
 *                          gives EINVAL, only "staging with prompt" trims
 */
public record SecurityfsFeatures(Path root, Set<HashAlgorithm> banks, List<String> unsupportedBanks,
                                 boolean legacyFile, boolean staging, boolean flushHtable) {
    /** How the archiver may touch this kernel. */
    public enum Mode {
        /** 7.2 "staging and deleting": read, persist, write {@code N\n} on the original file (D.2). */
        TRIM_BY_COUNT,
        /** 7.2 with {@code ima_flush_htable}: {@code A\n}, read {@code _staged}, persist, {@code D\n}. */
        STAGE_WITH_PROMPT,
        /** No staging support: read and archive only, never write to the kernel (D.2 step 0). */
        ARCHIVE_ONLY
    }

    public SecurityfsFeatures {
        Objects.requireNonNull(root, "root");
        banks = Set.copyOf(banks);
        unsupportedBanks = List.copyOf(unsupportedBanks);
    }

    public Mode mode() {
        if (!staging) return Mode.ARCHIVE_ONLY;
        return flushHtable ? Mode.STAGE_WITH_PROMPT : Mode.TRIM_BY_COUNT;
    }

    /** A kernel before 6.10: only {@code binary_runtime_measurements}, the SHA-1 view (B.1). */
    public boolean legacyOnly() {
        return legacyFile && banks.equals(Set.of(HashAlgorithm.SHA1)) && unsupportedBanks.isEmpty();
    }

    /**
     * The same features after a write of {@code N\n} failed with EINVAL for a valid N: the kernel
     * has {@code ima_flush_htable} even though the command line read did not show it (A.8 table).
     */
    public SecurityfsFeatures withFlushHtable() {
        return new SecurityfsFeatures(root, banks, unsupportedBanks, legacyFile, staging, true);
    }
}

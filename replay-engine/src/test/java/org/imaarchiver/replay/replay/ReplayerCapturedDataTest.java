package org.imaarchiver.replay.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.ExtendMode;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.pcr.PcrState;
import org.imaarchiver.replay.testsupport.CapturedData;
import org.imaarchiver.replay.testsupport.CapturedData.Debian61;
import org.imaarchiver.replay.testsupport.CapturedData.Debian612;
import org.junit.jupiter.api.Test;

/**
 * Replays of the lists the project captured from Debian's 6.1 and 6.12 kernels under QEMU (testdata/README.md)
 * against the values the peers gave there: tpm2_pcrread after the list, tpm2_quote at each quote
 * point, the kernel's own record counts. Never skips: the data is in the repository.
 */
class ReplayerCapturedDataTest {
    static final Set<HashAlgorithm> ALL = EnumSet.allOf(HashAlgorithm.class);
    static final Set<HashAlgorithm> SHA1_SHA256 = EnumSet.of(HashAlgorithm.SHA1, HashAlgorithm.SHA256);

    static SimpleBinaryLog list() throws Exception {
        return SimpleBinaryLog.open(CapturedData.file(CapturedData.DEBIAN_6_1, "binary_runtime_measurements"), 20);
    }

    static Map<HashAlgorithm, String> pcrread() {
        return Map.of(HashAlgorithm.SHA1, Debian61.PCR10_SHA1, HashAlgorithm.SHA256, Debian61.PCR10_SHA256,
                HashAlgorithm.SHA384, Debian61.PCR10_SHA384, HashAlgorithm.SHA512, Debian61.PCR10_SHA512);
    }

    @Test
    void theExpectedValuesAreWhatThePeerFilesSay() {
        Path pcrread = CapturedData.file(CapturedData.DEBIAN_6_1, "pcrread.yaml");
        for (var e : pcrread().entrySet()) {
            assertThat(CapturedData.tpm2YamlPcr(pcrread, e.getKey().kernelName(), 10)).as(e.getKey().kernelName())
                    .contains(e.getValue());
        }
        assertThat(CapturedData.text(CapturedData.DEBIAN_6_1, "runtime_measurements_count"))
                .isEqualTo(Long.toString(Debian61.RECORDS));
        for (CapturedData.Quote q : new CapturedData.Quote[] {Debian61.RSA, Debian61.ECC}) {
            assertThat(CapturedData.tpm2YamlPcr(q.yaml(), "sha1", 10)).as(q.key()).contains(q.pcr10Sha1());
            assertThat(CapturedData.tpm2YamlPcr(q.yaml(), "sha256", 10)).as(q.key()).contains(q.pcr10Sha256());
            assertThat(CapturedData.text(CapturedData.DEBIAN_6_1, "quote-" + q.key() + ".count"))
                    .isEqualTo(Long.toString(q.point()));
            assertThat(CapturedData.text(CapturedData.DEBIAN_6_1, "quote-" + q.key() + ".nonce")).isEqualTo(q.nonceHex());
        }
    }

    @Test
    void theWholeListReplaysToTpm2PcrreadsPcr10InTheSha1AndSha256Banks() throws Exception {
        try (SimpleBinaryLog log = list()) {
            ReplayResult r = Replayer.parallel().replay(PcrState.initial(SHA1_SHA256), log);

            assertThat(r.failures()).isEmpty();
            assertThat(r.reachedEnd()).isTrue();
            assertThat(r.recordsReplayed()).isEqualTo(Debian61.RECORDS);
            assertThat(r.violations()).isZero();
            assertThat(r.state().pcrIndices()).containsExactly(10);
            assertThat(r.value(10, HashAlgorithm.SHA1).hex()).isEqualTo(Debian61.PCR10_SHA1);
            assertThat(r.value(10, HashAlgorithm.SHA256).hex()).isEqualTo(Debian61.PCR10_SHA256);
        }
    }

    /**
     * Debian builds sha384 and sha512 as modules, absent when IMA starts ("ima: Can not allocate
     * sha384"), so this kernel fed those banks the SHA-1 template digest zero-padded, and sha1 and
     * sha256 their own hash: the mode selection must find exactly that, per bank, on one boot.
     */
    @Test
    void modeSelectionFindsPerBankHashForSha1AndSha256AndZeroPaddedSha1ForTheBanksTheKernelCouldNotHash()
            throws Exception {
        TreeMap<PcrBank, Digest> expected = new TreeMap<>();
        for (var e : pcrread().entrySet()) expected.put(PcrBank.of(10, e.getKey()), Digest.ofHex(e.getValue()));
        try (SimpleBinaryLog log = list()) {
            Replayer.ModeSelection s = Replayer.parallel().replaySelectingModes(PcrState.initial(ALL), log, expected);

            assertThat(s.allMatched()).as(s.mismatches().toString()).isTrue();
            assertThat(s.matchedModes()).isEqualTo(Map.of(
                    HashAlgorithm.SHA1, ExtendMode.PER_BANK_HASH, HashAlgorithm.SHA256, ExtendMode.PER_BANK_HASH,
                    HashAlgorithm.SHA384, ExtendMode.SHA1_ZERO_PADDED, HashAlgorithm.SHA512, ExtendMode.SHA1_ZERO_PADDED));
            assertThat(s.replay().state().values()).isEqualTo(expected);
        }
        // Under the per-bank hash alone the two banks the kernel could not hash do not match.
        try (SimpleBinaryLog log = list()) {
            ReplayResult perBank = Replayer.parallel().replay(PcrState.initial(ALL), log);
            assertThat(perBank.value(10, HashAlgorithm.SHA384).hex()).isNotEqualTo(Debian61.PCR10_SHA384);
            assertThat(perBank.value(10, HashAlgorithm.SHA512).hex()).isNotEqualTo(Debian61.PCR10_SHA512);
        }
    }

    @Test
    void theRecordsUpToQuote1ReplayToTheValuesTpm2QuoteReported() throws Exception {
        CapturedData.Quote q = Debian61.RSA;
        try (SimpleBinaryLog log = list()) {
            ReplayResult r = Replayer.parallel().replay(PcrState.initial(SHA1_SHA256), Sources.limit(log, q.point()));

            assertThat(r.failures()).isEmpty();
            assertThat(r.recordsReplayed()).isEqualTo(q.point());
            assertThat(r.value(10, HashAlgorithm.SHA1).hex()).isEqualTo(q.pcr10Sha1());
            assertThat(r.value(10, HashAlgorithm.SHA256).hex()).isEqualTo(q.pcr10Sha256());
        }
    }

    @Test
    void continuingFromQuote1sStateReachesTheEndOfTheList() throws Exception {
        PcrState atQuote1;
        try (SimpleBinaryLog log = list()) {
            atQuote1 = Replayer.parallel().replay(PcrState.initial(SHA1_SHA256), Sources.limit(log, Debian61.RSA.point())).state();
        }
        PcrState restored = PcrStateJson.parse(PcrStateJson.write(atQuote1));
        try (SimpleBinaryLog log = list()) {
            var rest = Sources.readAll(log).subList((int) Debian61.RSA.point(), (int) Debian61.RECORDS);
            ReplayResult r = Replayer.parallel().replay(restored, Sources.of(rest));

            assertThat(r.failures()).isEmpty();
            assertThat(r.recordsReplayed()).isEqualTo(Debian61.RECORDS - Debian61.RSA.point());
            assertThat(r.value(10, HashAlgorithm.SHA1).hex()).isEqualTo(Debian61.ECC.pcr10Sha1());
            assertThat(r.value(10, HashAlgorithm.SHA256).hex()).isEqualTo(Debian61.ECC.pcr10Sha256());
        }
    }

    // ---- Debian 12's 6.12 kernel: per-bank lists, every bank hashed by the kernel itself ----

    static Map<HashAlgorithm, String> pcrread612() {
        return Map.of(HashAlgorithm.SHA1, Debian612.PCR10_SHA1, HashAlgorithm.SHA256, Debian612.PCR10_SHA256,
                HashAlgorithm.SHA384, Debian612.PCR10_SHA384, HashAlgorithm.SHA512, Debian612.PCR10_SHA512);
    }

    static SimpleBinaryLog perBankList(HashAlgorithm bank) throws Exception {
        return SimpleBinaryLog.open(CapturedData.file(CapturedData.DEBIAN_6_12, "binary_runtime_measurements_" + bank.kernelName()),
                bank.digestLength());
    }

    @Test
    void the612ExpectedValuesAreWhatThePeerFilesSay() {
        Path pcrread = CapturedData.file(CapturedData.DEBIAN_6_12, "pcrread.yaml");
        for (var e : pcrread612().entrySet()) {
            assertThat(CapturedData.tpm2YamlPcr(pcrread, e.getKey().kernelName(), 10)).as(e.getKey().kernelName())
                    .contains(e.getValue());
        }
        assertThat(CapturedData.text(CapturedData.DEBIAN_6_12, "runtime_measurements_count"))
                .isEqualTo(Long.toString(Debian612.RECORDS));
        for (CapturedData.Quote q : new CapturedData.Quote[] {Debian612.RSA, Debian612.ECC}) {
            assertThat(CapturedData.tpm2YamlPcr(q.yaml(), "sha1", 10)).as(q.key()).contains(q.pcr10Sha1());
            assertThat(CapturedData.tpm2YamlPcr(q.yaml(), "sha256", 10)).as(q.key()).contains(q.pcr10Sha256());
            assertThat(CapturedData.text(CapturedData.DEBIAN_6_12, "quote-" + q.key() + ".count"))
                    .isEqualTo(Long.toString(q.point()));
            assertThat(CapturedData.text(CapturedData.DEBIAN_6_12, "quote-" + q.key() + ".nonce")).isEqualTo(q.nonceHex());
        }
    }

    /**
     * Each per-bank file carries that bank's template digests (kernel-interface.md B.1); replayed
     * alone, each gives tpm2_pcrread's PCR 10 of its own bank, and of every other bank too (the
     * template data is the same; the digests are recomputed per bank).
     */
    @Test
    void eachPerBankListOf612ReplaysToTpm2PcrreadsPcr10InAllFourBanks() throws Exception {
        for (HashAlgorithm bank : ALL) {
            try (SimpleBinaryLog log = perBankList(bank)) {
                ReplayResult r = Replayer.parallel().replay(PcrState.initial(ALL), log);

                assertThat(r.failures()).as(bank.kernelName()).isEmpty();
                assertThat(r.recordsReplayed()).as(bank.kernelName()).isEqualTo(Debian612.RECORDS);
                for (var e : pcrread612().entrySet()) {
                    assertThat(r.value(10, e.getKey()).hex()).as(bank.kernelName() + " list, " + e.getKey().kernelName() + " bank")
                            .isEqualTo(e.getValue());
                }
            }
        }
    }

    /** Unlike 6.1 (sha384/sha512 zero-padded SHA-1), this kernel allocated every bank's hash: per-bank-hash everywhere. */
    @Test
    void modeSelectionOn612FindsPerBankHashInEveryBank() throws Exception {
        TreeMap<PcrBank, Digest> expected = new TreeMap<>();
        for (var e : pcrread612().entrySet()) expected.put(PcrBank.of(10, e.getKey()), Digest.ofHex(e.getValue()));
        try (SimpleBinaryLog log = perBankList(HashAlgorithm.SHA256)) {
            Replayer.ModeSelection s = Replayer.parallel().replaySelectingModes(PcrState.initial(ALL), log, expected);

            assertThat(s.allMatched()).as(s.mismatches().toString()).isTrue();
            assertThat(s.matchedModes()).isEqualTo(Map.of(
                    HashAlgorithm.SHA1, ExtendMode.PER_BANK_HASH, HashAlgorithm.SHA256, ExtendMode.PER_BANK_HASH,
                    HashAlgorithm.SHA384, ExtendMode.PER_BANK_HASH, HashAlgorithm.SHA512, ExtendMode.PER_BANK_HASH));
        }
    }

    @Test
    void the612RecordsUpToEachQuoteReplayToTheValuesTpm2QuoteReported() throws Exception {
        for (CapturedData.Quote q : new CapturedData.Quote[] {Debian612.RSA, Debian612.ECC}) {
            for (HashAlgorithm bank : SHA1_SHA256) {
                try (SimpleBinaryLog log = perBankList(bank)) {
                    ReplayResult r = Replayer.parallel().replay(PcrState.initial(SHA1_SHA256), Sources.limit(log, q.point()));

                    assertThat(r.failures()).isEmpty();
                    assertThat(r.recordsReplayed()).isEqualTo(q.point());
                    assertThat(r.value(10, HashAlgorithm.SHA1).hex()).as(q + " from the " + bank.kernelName() + " list").isEqualTo(q.pcr10Sha1());
                    assertThat(r.value(10, HashAlgorithm.SHA256).hex()).as(q + " from the " + bank.kernelName() + " list").isEqualTo(q.pcr10Sha256());
                }
            }
        }
    }
}

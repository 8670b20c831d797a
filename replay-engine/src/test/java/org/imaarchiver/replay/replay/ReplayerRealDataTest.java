package org.imaarchiver.replay.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.ExtendMode;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.pcr.PcrState;
import org.imaarchiver.replay.testsupport.TestData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Replays of real lists against the PCR values given or computed in the public IMA test data's README (docs/testing.md). */
class ReplayerRealDataTest {
    static final Set<HashAlgorithm> ALL = EnumSet.allOf(HashAlgorithm.class);
    static final Set<HashAlgorithm> SHA1_SHA256 = EnumSet.of(HashAlgorithm.SHA1, HashAlgorithm.SHA256);

    // Given by the origin (imakvtpcr10.txt), quoted in the README.
    static final Map<HashAlgorithm, String> KGOLDMAN_PCR10 = Map.of(
            HashAlgorithm.SHA1, "9be6bac02bf18d09d17e726c2df00bca4e8831ea",
            HashAlgorithm.SHA256, "7fac48c81837d6d29046008aef0cdad8c2745cc98c3340cbba9bfdf39b4124b8",
            HashAlgorithm.SHA384, "e8923687b18847064ff3af89fd7ed088fa03c8b2467f7f8648bab264684575beb92e707d813ed561189492bb4b6e5c8b",
            HashAlgorithm.SHA512, "698dab0fbb7c4ae0ec4ecae0d3890e9635cc2ba97b9dec459f9ef867b96d858843697c701e580931d6f2cf1e18acb2b3192eb660e871a37cf5b45392086ce807");

    static SimpleBinaryLog kgoldman(HashAlgorithm file) throws Exception {
        return SimpleBinaryLog.open(TestData.ima("kgoldman+ibmtss/" + file.kernelName() + ".log"), file.digestLength());
    }

    @ParameterizedTest
    @ValueSource(strings = {"sha1", "sha256", "sha384", "sha512"})
    void kgoldmanListReplaysToGivenPcr10InAllBanks(String fileBank) throws Exception {
        HashAlgorithm file = HashAlgorithm.byKernelName(fileBank).orElseThrow();
        try (SimpleBinaryLog log = kgoldman(file)) {
            ReplayResult r = Replayer.parallel().replay(PcrState.initial(ALL), log);

            assertThat(r.failures()).isEmpty();
            assertThat(r.reachedEnd()).isTrue();
            assertThat(r.recordsReplayed()).isEqualTo(362);
            assertThat(r.state().nextIndex()).isEqualTo(362);
            assertThat(r.state().pcrIndices()).containsExactly(10);
            for (HashAlgorithm a : ALL) assertThat(r.value(10, a).hex()).as(a.kernelName()).isEqualTo(KGOLDMAN_PCR10.get(a));
        }
    }

    @Test
    void imatestWithManyTemplatesAndOneViolation() throws Exception {
        try (SimpleBinaryLog log = SimpleBinaryLog.open(TestData.ima("kgoldman+ibmtss/imatest.log"), 20)) {
            ReplayResult r = Replayer.parallel().replay(PcrState.initial(SHA1_SHA256), log);

            assertThat(r.failures()).isEmpty();
            assertThat(r.recordsReplayed()).isEqualTo(17);
            assertThat(r.violations()).isEqualTo(1);
            assertThat(r.value(10, HashAlgorithm.SHA1).hex()).isEqualTo("0ff68e1da514770e85581bffe693809776302a63");
            assertThat(r.value(10, HashAlgorithm.SHA256).hex())
                    .isEqualTo("af02ae09413721fddb71250ae26383de73cc78d5df37fbebadacedeaeacddb18");
        }
    }

    @Test
    void embraveRaspberryPiBoot() throws Exception {
        Path p = TestData.ima("Cybersecurity-LINKS+embrave/binary_runtime_measurements");
        try (SimpleBinaryLog log = SimpleBinaryLog.open(p, 20)) {
            ReplayResult r = Replayer.parallel().replay(PcrState.initial(SHA1_SHA256), log);

            assertThat(r.failures()).isEmpty();
            assertThat(r.recordsReplayed()).isEqualTo(922);
            assertThat(r.value(10, HashAlgorithm.SHA1).hex()).isEqualTo("f38695bbd9479953543813fb13bb88235440504e");
            assertThat(r.value(10, HashAlgorithm.SHA256).hex())
                    .isEqualTo("0d204f41041c48fe0d2e1ef0a6c308412c27304a68519d3ce3568a692d3fea83");
        }
    }

    @Test
    void continuationFromAJsonStateAfterRecord200EqualsTheWholeReplay() throws Exception {
        PcrState at200;
        try (SimpleBinaryLog log = kgoldman(HashAlgorithm.SHA1)) {
            ReplayResult first = Replayer.parallel().replay(PcrState.initial(SHA1_SHA256), Sources.limit(log, 200));
            assertThat(first.failures()).isEmpty();
            at200 = first.state();
        }
        // Given for the derived quotes (README): PCR 10 after record 200.
        assertThat(at200.nextIndex()).isEqualTo(200);
        assertThat(at200.value(10, HashAlgorithm.SHA1).hex()).isEqualTo("e8c1a2b5ea7424f71404e9295f9616663f56aba2");
        assertThat(at200.value(10, HashAlgorithm.SHA256).hex())
                .isEqualTo("e8d3f4485df1ab1fe30bccb943b65e4530a80c1683ef21192404c79f728fe39e");

        PcrState restored = PcrStateJson.parse(PcrStateJson.write(at200));
        assertThat(restored).isEqualTo(at200);

        List<MeasurementRecord> all;
        try (SimpleBinaryLog log = kgoldman(HashAlgorithm.SHA1)) {
            all = Sources.readAll(log);
        }
        ReplayResult second = Replayer.parallel().replay(restored, Sources.of(all.subList(200, 362)));
        ReplayResult whole = Replayer.parallel().replay(PcrState.initial(SHA1_SHA256), Sources.of(all));

        assertThat(second.failures()).isEmpty();
        assertThat(second.recordsReplayed()).isEqualTo(162);
        assertThat(second.state()).isEqualTo(whole.state());
        assertThat(second.value(10, HashAlgorithm.SHA1).hex()).isEqualTo(KGOLDMAN_PCR10.get(HashAlgorithm.SHA1));
    }

    @Test
    void continuationMustStartAtTheBaseIndex() throws Exception {
        List<MeasurementRecord> all;
        try (SimpleBinaryLog log = kgoldman(HashAlgorithm.SHA1)) {
            all = Sources.readAll(log);
        }
        PcrState base = new PcrState(200, SHA1_SHA256, new TreeMap<>(), Map.of());
        ReplayResult r = Replayer.parallel().replay(base, Sources.of(all.subList(201, 362)));

        assertThat(r.recordsReplayed()).isZero();
        assertThat(r.failures()).containsExactly(new ReplayFailure.IndexGap(200, 201, all.get(201).offset()));
        assertThat(r.state()).isEqualTo(base);
    }

    @Test
    void alteredTemplateDataIsReportedWithIndexAndBankAndTheRecomputedDigestIsExtended() throws Exception {
        List<MeasurementRecord> all;
        try (SimpleBinaryLog log = kgoldman(HashAlgorithm.SHA256)) {
            all = Sources.readAll(log);
        }
        MeasurementRecord orig = all.get(57);
        byte[] data = orig.templateData().toArray();
        data[data.length / 2] ^= 0x01;
        MeasurementRecord altered = new MeasurementRecord(orig.index(), orig.offset(), orig.pcr(), orig.templateDigest(),
                orig.templateName(), Bytes.wrap(data), ByteOrder.LITTLE_ENDIAN, orig.raw());
        List<MeasurementRecord> tampered = new java.util.ArrayList<>(all);
        tampered.set(57, altered);

        ReplayResult r = Replayer.parallel().replay(PcrState.initial(ALL), Sources.of(tampered));

        assertThat(r.isClean()).isFalse();
        assertThat(r.reachedEnd()).isTrue();
        assertThat(r.failureCount()).isEqualTo(1);
        var m = (ReplayFailure.TemplateDigestMismatch) r.failures().get(0);
        assertThat(m.recordIndex()).isEqualTo(57);
        assertThat(m.offset()).isEqualTo(orig.offset());
        assertThat(m.bank()).isEqualTo(HashAlgorithm.SHA256);
        assertThat(m.stored()).isEqualTo(orig.templateDigest());
        assertThat(m.computed().bytes()).isEqualTo(ReferenceReplay.hash(HashAlgorithm.SHA256, data));
        // The recomputed (altered) digest went into the PCRs, so they no longer match the given values.
        Map<HashAlgorithm, ExtendMode> modes = new java.util.EnumMap<>(HashAlgorithm.class);
        for (HashAlgorithm a : ALL) modes.put(a, ExtendMode.PER_BANK_HASH);
        assertThat(r.state().values()).isEqualTo(ReferenceReplay.replay(tampered, modes));
        assertThat(r.value(10, HashAlgorithm.SHA1).hex()).isNotEqualTo(KGOLDMAN_PCR10.get(HashAlgorithm.SHA1));
    }

    @Test
    void tinyBatchesAndSequentialGiveTheSameState() throws Exception {
        List<MeasurementRecord> all;
        try (SimpleBinaryLog log = kgoldman(HashAlgorithm.SHA1)) {
            all = Sources.readAll(log);
        }
        PcrState expected = Replayer.sequential().replay(PcrState.initial(ALL), Sources.of(all)).state();
        for (Replayer rp : List.of(Replayer.of(2, 7), Replayer.of(1, 1), Replayer.of(3, 361), Replayer.of(0, 5))) {
            assertThat(rp.replay(PcrState.initial(ALL), Sources.of(all)).state()).isEqualTo(expected);
        }
        assertThat(expected.value(10, HashAlgorithm.SHA512).hex()).isEqualTo(KGOLDMAN_PCR10.get(HashAlgorithm.SHA512));
    }

    @Test
    void modeSelectionPicksPerBankHashForAModernKernel() throws Exception {
        TreeMap<PcrBank, Digest> expected = new TreeMap<>();
        for (HashAlgorithm a : ALL) expected.put(PcrBank.of(10, a), Digest.ofHex(KGOLDMAN_PCR10.get(a)));
        try (SimpleBinaryLog log = kgoldman(HashAlgorithm.SHA1)) {
            Replayer.ModeSelection s = Replayer.parallel().replaySelectingModes(PcrState.initial(ALL), log, expected);

            assertThat(s.allMatched()).isTrue();
            assertThat(s.matchedModes()).containsOnlyKeys(ALL).allSatisfy((k, v) -> assertThat(v).isEqualTo(ExtendMode.PER_BANK_HASH));
            assertThat(s.replay().state().values()).isEqualTo(expected);
        }
    }
}

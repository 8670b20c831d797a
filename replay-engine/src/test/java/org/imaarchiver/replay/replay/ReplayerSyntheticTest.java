package org.imaarchiver.replay.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.ExtendMode;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.pcr.PcrState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The parallel replayer against {@link ReferenceReplay} on generated records, and its failure paths. */
class ReplayerSyntheticTest {
    static final Set<HashAlgorithm> ALL = EnumSet.allOf(HashAlgorithm.class);

    static Map<HashAlgorithm, ExtendMode> modes(ExtendMode m) {
        Map<HashAlgorithm, ExtendMode> out = new EnumMap<>(HashAlgorithm.class);
        for (HashAlgorithm a : ALL) out.put(a, m);
        return out;
    }

    @ParameterizedTest
    @EnumSource(ExtendMode.class)
    void agreesWithTheReferenceReplayForAllBanks(ExtendMode mode) throws Exception {
        for (HashAlgorithm fileBank : ALL) {
            List<MeasurementRecord> records = SyntheticLog.generate(fileBank.ordinal() * 31L + mode.ordinal(), 3000,
                    SyntheticLog.Shape.mixed(fileBank));
            PcrState base = new PcrState(0, ALL, new TreeMap<>(), modes(mode));

            ReplayResult r = Replayer.of(2, 64).replay(base, Sources.of(records));

            assertThat(r.failures()).as("file bank %s", fileBank).isEmpty();
            assertThat(r.recordsReplayed()).isEqualTo(3000);
            assertThat(r.violations()).isEqualTo(records.stream().filter(MeasurementRecord::isViolation).count()).isPositive();
            assertThat(r.state().values()).isEqualTo(ReferenceReplay.replay(records, modes(mode)));
            assertThat(r.state().pcrIndices()).containsExactly(0, 4, 10, 11, 23);
            assertThat(r.state().extendModes()).isEqualTo(modes(mode));
        }
    }

    @Test
    void continuesFromANonZeroBaseWithMixedModes() throws Exception {
        List<MeasurementRecord> records = SyntheticLog.generate(7, 500, SyntheticLog.Shape.mixed(HashAlgorithm.SHA1));
        Map<HashAlgorithm, ExtendMode> mixed = modes(ExtendMode.PER_BANK_HASH);
        mixed.put(HashAlgorithm.SHA256, ExtendMode.SHA1_ZERO_PADDED);
        mixed.put(HashAlgorithm.SHA512, ExtendMode.SHA1_ZERO_PADDED);
        SortedMap<PcrBank, Digest> start = ReferenceReplay.replay(records.subList(0, 123), mixed);
        PcrState base = new PcrState(123, ALL, start, mixed);

        ReplayResult r = Replayer.of(2, 10).replay(base, Sources.of(records.subList(123, 500)));

        assertThat(r.failures()).isEmpty();
        assertThat(r.state().nextIndex()).isEqualTo(500);
        assertThat(r.state().values()).isEqualTo(ReferenceReplay.replay(records, mixed));
    }

    @Test
    void observerSeesEveryStateInOrderAndCanStop() throws Exception {
        List<MeasurementRecord> records = SyntheticLog.generate(3, 1000, SyntheticLog.Shape.mixed(HashAlgorithm.SHA1));
        List<Long> seen = new ArrayList<>();
        ReplayResult r = Replayer.of(2, 16).replay(PcrState.initial(ALL), Sources.of(records), (rec, view) -> {
            assertThat(view.nextIndex()).isEqualTo(rec.index() + 1);
            seen.add(rec.index());
            if (rec.index() == 400) {
                SortedMap<PcrBank, Digest> ref = ReferenceReplay.replay(records.subList(0, 401), modes(ExtendMode.PER_BANK_HASH));
                assertThat(view.snapshot().values()).isEqualTo(ref);
                assertThat(view.valueEquals(10, HashAlgorithm.SHA256, ref.get(PcrBank.of(10, HashAlgorithm.SHA256)))).isTrue();
                assertThat(view.value(11, HashAlgorithm.SHA384)).isEqualTo(ref.get(PcrBank.of(11, HashAlgorithm.SHA384)));
            }
            return rec.index() < 599;
        });

        assertThat(seen).hasSize(600).isSorted();
        assertThat(r.reachedEnd()).isFalse();
        assertThat(r.failures()).isEmpty();
        assertThat(r.state().nextIndex()).isEqualTo(600);
        assertThat(r.state().values()).isEqualTo(ReferenceReplay.replay(records.subList(0, 600), modes(ExtendMode.PER_BANK_HASH)));
    }

    @Test
    void mismatchesAreAllReportedUpToTheBoundAndCounted() throws Exception {
        List<MeasurementRecord> records = new ArrayList<>(SyntheticLog.generate(5, 2000, new SyntheticLog.Shape(
                HashAlgorithm.SHA1, 0, new int[] {10}, true)));
        for (int i = 0; i < records.size(); i += 10) {
            MeasurementRecord r = records.get(i);
            byte[] stored = r.templateDigest().bytes();
            stored[0] ^= 0x40;
            records.set(i, new MeasurementRecord(r.index(), r.offset(), r.pcr(), Digest.wrap(stored), r.templateName(),
                    r.templateData(), r.byteOrder(), r.raw()));
        }
        ReplayResult r = Replayer.of(2, 128).replay(PcrState.initial(EnumSet.of(HashAlgorithm.SHA256)), Sources.of(records));

        assertThat(r.failureCount()).isEqualTo(200);
        assertThat(r.failures()).hasSize(Replayer.MAX_REPORTED_FAILURES)
                .allMatch(f -> f instanceof ReplayFailure.TemplateDigestMismatch m && m.recordIndex() % 10 == 0
                        && m.bank() == HashAlgorithm.SHA1);
        assertThat(((ReplayFailure.TemplateDigestMismatch) r.failures().get(99)).recordIndex()).isEqualTo(990);
        assertThat(r.reachedEnd()).isTrue();
        // The sha1 file bank was checked although only sha256 is replayed; stored values are never extended.
        assertThat(r.state().values()).isEqualTo(ReferenceReplay.replay(records, Map.of(HashAlgorithm.SHA256, ExtendMode.PER_BANK_HASH)));
    }

    @Test
    void stopsAtARecordWithAnUnsupportedDigestLength() throws Exception {
        List<MeasurementRecord> records = new ArrayList<>(SyntheticLog.generate(9, 50, SyntheticLog.Shape.imaNg()));
        MeasurementRecord r = records.get(30);
        records.set(30, new MeasurementRecord(30, 4711, r.pcr(), Digest.filled(28, (byte) 1), r.templateName(),
                r.templateData(), r.byteOrder(), r.raw()));

        ReplayResult res = Replayer.of(2, 8).replay(PcrState.initial(ALL), Sources.of(records));

        assertThat(res.failures()).containsExactly(new ReplayFailure.UnsupportedDigestLength(30, 4711, 28));
        assertThat(res.stoppingFailure()).isPresent();
        assertThat(res.state().nextIndex()).isEqualTo(30);
        assertThat(res.state().values()).isEqualTo(ReferenceReplay.replay(records.subList(0, 30), modes(ExtendMode.PER_BANK_HASH)));
    }

    @Test
    void stopsAtAnImaTemplateWhoseNameDoesNotFitTheKernelBuffer() throws Exception {
        List<MeasurementRecord> records = new ArrayList<>(SyntheticLog.generate(9, 20, SyntheticLog.Shape.imaNg()));
        byte[] name = new byte[256];
        byte[] data = SyntheticLog.cat(new byte[20], SyntheticLog.le(256), name);
        records.set(12, new MeasurementRecord(12, 99, 10, Digest.filled(20, (byte) 7), "ima", Bytes.wrap(data),
                ByteOrder.LITTLE_ENDIAN, Bytes.EMPTY));

        ReplayResult res = Replayer.sequential().replay(PcrState.initial(ALL), Sources.of(records));

        assertThat(res.failures()).singleElement().isInstanceOfSatisfying(ReplayFailure.UnhashableTemplate.class, f -> {
            assertThat(f.recordIndex()).isEqualTo(12);
            assertThat(f.offset()).isEqualTo(99);
            assertThat(f.templateName()).isEqualTo("ima");
        });
        assertThat(res.state().nextIndex()).isEqualTo(12);
    }

    @Test
    void stopsAtAPcrOutOfRange() throws Exception {
        List<MeasurementRecord> records = new ArrayList<>(SyntheticLog.generate(9, 20, SyntheticLog.Shape.imaNg()));
        MeasurementRecord r = records.get(5);
        records.set(5, new MeasurementRecord(5, 77, 24, r.templateDigest(), r.templateName(), r.templateData(), r.byteOrder(), r.raw()));

        ReplayResult res = Replayer.parallel().replay(PcrState.initial(ALL), Sources.of(records));

        assertThat(res.failures()).containsExactly(new ReplayFailure.PcrOutOfRange(5, 77, 24));
        assertThat(res.state().nextIndex()).isEqualTo(5);
    }

    @Test
    void aMalformedTailEndsTheReplayWithTheStateBeforeIt() throws Exception {
        List<MeasurementRecord> records = SyntheticLog.generate(11, 3_000, SyntheticLog.Shape.imaNg());
        RecordSource limited = Sources.limit(Sources.of(records), 2_500);
        long[] calls = {0};
        RecordSource torn = () -> {
            if (calls[0]++ == 2_500) {
                throw new MalformedLogException(MalformedLogException.Kind.TORN_TAIL, "list", 2_500, 123_456, "ends inside a record");
            }
            return limited.next();
        };

        ReplayResult res = Replayer.of(2, 300).replay(PcrState.initial(ALL), torn);

        assertThat(res.failures()).containsExactly(new ReplayFailure.MalformedInput(MalformedLogException.Kind.TORN_TAIL,
                "list", 2_500, 123_456, "ends inside a record"));
        assertThat(res.reachedEnd()).isFalse();
        assertThat(res.state().nextIndex()).isEqualTo(2_500);
        assertThat(res.state().values()).isEqualTo(ReferenceReplay.replay(records.subList(0, 2_500), modes(ExtendMode.PER_BANK_HASH)));
    }

    @Test
    void anIoErrorOfTheSourceIsThrown() {
        List<MeasurementRecord> records = SyntheticLog.generate(11, 100, SyntheticLog.Shape.imaNg());
        RecordSource limited = Sources.limit(Sources.of(records), 50);
        RecordSource failing = () -> {
            Optional<MeasurementRecord> r = limited.next();
            if (r.isEmpty()) throw new IOException("disk gone");
            return r;
        };
        assertThatThrownBy(() -> Replayer.of(2, 8).replay(PcrState.initial(ALL), failing))
                .isInstanceOf(IOException.class).hasMessage("disk gone");
    }

    @Test
    void modeSelectionFindsZeroPaddingForThePre58BankOnly() throws Exception {
        List<MeasurementRecord> records = SyntheticLog.generate(13, 700, SyntheticLog.Shape.mixed(HashAlgorithm.SHA1));
        Map<HashAlgorithm, ExtendMode> truth = modes(ExtendMode.PER_BANK_HASH);
        truth.put(HashAlgorithm.SHA256, ExtendMode.SHA1_ZERO_PADDED);
        SortedMap<PcrBank, Digest> expected = ReferenceReplay.replay(records, truth);

        Replayer.ModeSelection s = Replayer.of(2, 50).replaySelectingModes(PcrState.initial(ALL), Sources.of(records), expected);

        assertThat(s.allMatched()).isTrue();
        assertThat(s.matchedModes()).isEqualTo(truth);
        assertThat(s.replay().state().extendModes()).isEqualTo(truth);
        assertThat(s.replay().state().values()).isEqualTo(expected);
    }

    @Test
    void modeSelectionReportsAMismatchWhenNoModeFits() throws Exception {
        List<MeasurementRecord> records = SyntheticLog.generate(13, 100, SyntheticLog.Shape.imaNg());
        SortedMap<PcrBank, Digest> expected = new TreeMap<>(ReferenceReplay.replay(records, modes(ExtendMode.PER_BANK_HASH)));
        Digest wrong = Digest.filled(48, (byte) 0x5a);
        expected.put(PcrBank.of(10, HashAlgorithm.SHA384), wrong);

        Replayer.ModeSelection s = Replayer.sequential().replaySelectingModes(PcrState.initial(ALL), Sources.of(records), expected);

        assertThat(s.allMatched()).isFalse();
        assertThat(s.matchedModes()).containsOnlyKeys(HashAlgorithm.SHA1, HashAlgorithm.SHA256, HashAlgorithm.SHA512);
        assertThat(s.mismatches()).singleElement().isInstanceOfSatisfying(ReplayFailure.PcrMismatch.class, m -> {
            assertThat(m.pcr()).isEqualTo(10);
            assertThat(m.bank()).isEqualTo(HashAlgorithm.SHA384);
            assertThat(m.expected()).isEqualTo(wrong);
            assertThat(m.recordsReplayed()).isEqualTo(100);
        });
        assertThat(s.replay().state().extendMode(HashAlgorithm.SHA384)).isEqualTo(ExtendMode.PER_BANK_HASH);
    }

    @Test
    void modeSelectionRefusesABankThatIsNotReplayed() throws Exception {
        SortedMap<PcrBank, Digest> expected = new TreeMap<>(Map.of(PcrBank.of(10, HashAlgorithm.SHA384), Digest.zeros(48)));
        Replayer.ModeSelection s = Replayer.sequential().replaySelectingModes(
                PcrState.initial(EnumSet.of(HashAlgorithm.SHA1)), Sources.of(List.of()), expected);
        assertThat(s.mismatches()).containsExactly(new ReplayFailure.BankNotReplayed(HashAlgorithm.SHA384));
    }
}

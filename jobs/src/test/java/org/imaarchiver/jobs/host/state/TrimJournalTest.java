package org.imaarchiver.jobs.host.state;

import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.imaarchiver.jobs.host.imafs.ImafsEmulator;
import org.imaarchiver.jobs.host.state.TrimJournal.NoIntent;
import org.imaarchiver.jobs.host.state.TrimJournal.TrimApplied;
import org.imaarchiver.jobs.host.state.TrimJournal.TrimNotApplied;
import org.imaarchiver.jobs.host.state.TrimJournal.Unknown;
import org.imaarchiver.jobs.host.state.TrimJournal.Why;
import org.imaarchiver.replay.log.BinaryLogReader;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.LogReadOptions;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** D.2 step 6: after a crash, the kernel's head tells whether the journaled trim happened. */
class TrimJournalTest {
    @TempDir
    Path dir;

    /** A record as the kernel serves it; a violation stores zeros (B.8). */
    private static MeasurementRecord record(long index, String name, boolean violation) {
        byte[] data = ImafsEmulator.imaNg("sha256", new byte[32], name);
        Digest digest = violation ? Digest.zeros(32) : sha256(data);
        byte[] template = "ima-ng".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer raw = ByteBuffer.allocate(4 + 32 + 4 + template.length + 4 + data.length).order(ByteOrder.LITTLE_ENDIAN);
        raw.putInt(10).put(digest.bytes()).putInt(template.length).put(template).putInt(data.length).put(data);
        return new MeasurementRecord(index, 0, 10, digest, "ima-ng", Bytes.wrap(data), ByteOrder.LITTLE_ENDIAN, Bytes.wrap(raw.array()));
    }

    private static Digest sha256(byte[] b) {
        var md = HashAlgorithm.SHA256.newDigest();
        md.update(b);
        return Digest.wrap(md.digest());
    }

    private static TrimIntent intent(List<MeasurementRecord> archived, long start, int n, boolean withAfterLast) {
        int s = (int) (archived.get(0).index());
        return new TrimIntent(n, start, HashAlgorithm.SHA256,
                RecordId.of(archived.get((int) start - s)), RecordId.of(archived.get((int) start - s + n - 1)),
                withAfterLast ? Optional.of(RecordId.of(archived.get((int) start - s + n))) : Optional.empty(),
                "hosts/h1/boot-7/segment-000012");
    }

    private static List<MeasurementRecord> records(long from, int count) {
        List<MeasurementRecord> r = new ArrayList<>();
        for (int i = 0; i < count; i++) r.add(record(from + i, "/bin/f" + (from + i), false));
        return r;
    }

    @Test
    void noIntentWhenNothingWasJournaled() throws Exception {
        TrimJournal j = new TrimJournal(dir.resolve("trim-intent.json"));
        assertThat(j.pending()).isEmpty();
        assertThat(j.recover(Optional.of(record(0, "/x", false)))).isEqualTo(new NoIntent());
    }

    @Test
    void intentSurvivesARestartAndIsCleared() throws Exception {
        List<MeasurementRecord> archived = records(100, 20);
        TrimIntent intent = intent(archived, 100, 12, true);
        new TrimJournal(dir.resolve("state/trim-intent.json")).record(intent);
        TrimJournal reopened = new TrimJournal(dir.resolve("state/trim-intent.json"));
        assertThat(reopened.pending()).contains(intent);
        assertThat(Files.list(dir.resolve("state")).map(p -> p.getFileName().toString())).containsExactly("trim-intent.json");
        reopened.clear();
        assertThat(reopened.pending()).isEmpty();
        reopened.clear(); // idempotent
    }

    @Test
    void headAtStartMeansTheTrimDidNotHappen() throws Exception {
        List<MeasurementRecord> archived = records(100, 20);
        TrimJournal j = new TrimJournal(dir.resolve("j.json"));
        TrimIntent intent = intent(archived, 100, 12, true);
        j.record(intent);
        assertThat(j.recover(Optional.of(archived.get(0)))).isEqualTo(new TrimNotApplied(intent));
        // without the record after the last, the start still proves "not applied"
        TrimIntent noAfter = intent(archived, 100, 20, false);
        j.record(noAfter);
        assertThat(j.recover(Optional.of(archived.get(0)))).isEqualTo(new TrimNotApplied(noAfter));
    }

    @Test
    void headAtStartPlusNMeansTheTrimHappened() throws Exception {
        List<MeasurementRecord> archived = records(100, 20);
        TrimJournal j = new TrimJournal(dir.resolve("j.json"));
        TrimIntent intent = intent(archived, 100, 12, true);
        j.record(intent);
        var r = j.recover(Optional.of(archived.get(12)));
        assertThat(r).isEqualTo(new TrimApplied(intent));
        assertThat(((TrimApplied) r).trimmedSoFar()).isEqualTo(112);
    }

    @Test
    void anyOtherHeadIsUnknown() throws Exception {
        List<MeasurementRecord> archived = records(100, 20);
        TrimJournal j = new TrimJournal(dir.resolve("j.json"));
        TrimIntent intent = intent(archived, 100, 12, true);
        j.record(intent);
        // a foreign trimmer deleted one record more, or fewer
        assertThat(j.recover(Optional.of(archived.get(13)))).isEqualTo(new Unknown(intent, Why.HEAD_UNRECOGNISED));
        assertThat(j.recover(Optional.of(archived.get(5)))).isEqualTo(new Unknown(intent, Why.HEAD_UNRECOGNISED));
        // the same template digest with other bytes is not the same record
        assertThat(j.recover(Optional.of(record(100, "/bin/f100-other", false)))).isEqualTo(new Unknown(intent, Why.HEAD_UNRECOGNISED));
        assertThat(j.recover(Optional.empty())).isEqualTo(new Unknown(intent, Why.KERNEL_LIST_EMPTY));

        TrimIntent all = intent(archived, 100, 20, false); // record 120 had not been read
        j.record(all);
        assertThat(j.recover(Optional.of(record(120, "/bin/new", false)))).isEqualTo(new Unknown(all, Why.AFTER_LAST_NOT_JOURNALED));
    }

    @Test
    void identicalStartAndAfterLastAreAmbiguous() throws Exception {
        List<MeasurementRecord> archived = new ArrayList<>(records(0, 4));
        MeasurementRecord v = record(0, "/tmp/tomtou", true);
        archived.set(0, v);
        archived.set(2, record(2, "/tmp/tomtou", true)); // the same violation again (D.1 item 9)
        TrimJournal j = new TrimJournal(dir.resolve("j.json"));
        TrimIntent intent = intent(archived, 0, 2, true);
        j.record(intent);
        assertThat(j.recover(Optional.of(archived.get(2)))).isEqualTo(new Unknown(intent, Why.AMBIGUOUS_HEAD));
    }

    @Test
    void aFileThatIsNotAnIntentIsRefused() throws Exception {
        Path f = Files.writeString(dir.resolve("j.json"), "{\"version\":1,\"plannedN\":3}");
        assertThatThrownBy(() -> new TrimJournal(f).pending()).isInstanceOf(StateFileException.class);
        Files.writeString(f, "not json");
        assertThatThrownBy(() -> new TrimJournal(f).recover(Optional.empty())).isInstanceOf(StateFileException.class);
    }

    /** The whole story through the emulated kernel: journal, trim, "crash", recover from the live head. */
    @Test
    void recoverFromTheLiveKernelHead() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir)) {
            for (int i = 0; i < 8; i++) {
                assertThat(emu.measure(10, "ima-ng", ImafsEmulator.imaNg("sha256", new byte[32], "/k/" + i)).ok()).isTrue();
            }
            Path file = emu.file("binary_runtime_measurements_sha256");
            List<MeasurementRecord> archived = readAll(file, 50);
            TrimJournal j = new TrimJournal(dir.resolve("j.json"));
            TrimIntent intent = intent(archived, 50, 5, true);
            j.record(intent);
            assertThat(j.recover(Optional.of(readAll(file, 50).get(0)))).isEqualTo(new TrimNotApplied(intent));
            try (FileChannel ch = FileChannel.open(file, READ, WRITE)) {
                ch.write(ByteBuffer.wrap("5\n".getBytes(StandardCharsets.US_ASCII)));
            }
            MeasurementRecord head = readAll(file, 55).get(0);
            assertThat(j.recover(Optional.of(head))).isEqualTo(new TrimApplied(intent));
        }
    }

    private static List<MeasurementRecord> readAll(Path file, long firstIndex) throws Exception {
        List<MeasurementRecord> out = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(file, READ)) {
            BinaryLogReader r = BinaryLogReader.open(ch, LogReadOptions.of(file.toString()).withBank(HashAlgorithm.SHA256).withFirstIndex(firstIndex));
            for (var m = r.next(); m.isPresent(); m = r.next()) out.add(m.get());
        }
        return out;
    }
}

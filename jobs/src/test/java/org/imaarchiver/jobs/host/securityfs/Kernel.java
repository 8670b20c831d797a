package org.imaarchiver.jobs.host.securityfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.imaarchiver.jobs.host.imafs.ImafsEmulator;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;

/** Test helpers: records measured into the emulator, and what the kernel said it stored. */
final class Kernel {
    private Kernel() {}

    /** Measures {@code n} distinct ima-ng records; returns the sha256 template digests the emulator stored. */
    static List<Digest> measure(ImafsEmulator emu, String prefix, int n) throws Exception {
        List<Digest> sha256 = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] fileDigest = new byte[32];
            fileDigest[0] = (byte) i;
            ImafsEmulator.Reply r = emu.measure(10, "ima-ng", ImafsEmulator.imaNg("sha256", fileDigest, "/" + prefix + "/" + i));
            assertThat(r.ok()).as("measure %s %d: %s", prefix, i, r).isTrue();
            sha256.add(Digest.ofHex(r.field("sha256").orElseThrow()));
        }
        return sha256;
    }

    /** A /proc/cmdline stand-in. */
    static Path cmdline(Path dir, String text) throws Exception {
        return Files.writeString(dir.resolve("cmdline"), text + "\n");
    }

    /**
     * A callback (or batch reader) that reads every record, keeps them, and answers with
     * {@code decide(records)}.
     */
    static final class Collecting implements TrimCallback, BatchReader {
        final List<MeasurementRecord> records = new ArrayList<>();
        final List<RecordBatch.Kind> kinds = new ArrayList<>();
        final List<Thread> threads = new ArrayList<>();
        private final java.util.function.Function<List<MeasurementRecord>, TrimDecision> decide;

        Collecting(java.util.function.Function<List<MeasurementRecord>, TrimDecision> decide) {
            this.decide = decide;
        }

        static Collecting trimming(long n) { return new Collecting(r -> TrimDecision.trim(n)); }

        static Collecting all() { return new Collecting(r -> TrimDecision.trim(r.size())); }

        @Override
        public TrimDecision persist(RecordBatch batch) throws java.io.IOException, org.imaarchiver.replay.log.MalformedLogException {
            threads.add(Thread.currentThread());
            kinds.add(batch.kind());
            List<MeasurementRecord> mine = new ArrayList<>();
            for (var r = batch.next(); r.isPresent(); r = batch.next()) mine.add(r.get());
            records.addAll(mine);
            return decide.apply(mine);
        }

        @Override
        public void read(RecordBatch batch) throws java.io.IOException, org.imaarchiver.replay.log.MalformedLogException {
            persist(batch);
        }
    }
}

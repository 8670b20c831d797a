package org.imaarchiver.jobs.logview;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.imaarchiver.replay.pcr.Digest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where the live list joins the kept records, without FUSE or a kernel: the "kernel" is a directory
 * of plain files that the test rewrites as a trim would, and the records and their edges are built
 * here (B.3 layout, SHA-256 computed by the test).
 */
class LogViewPlacementTest {
    private static final String LIST = "binary_runtime_measurements_sha256";

    @TempDir
    Path dir;

    private Path kernel;
    private Path state;
    private final List<byte[]> records = new ArrayList<>();

    @BeforeEach
    void records() throws Exception {
        kernel = Files.createDirectories(dir.resolve("ima"));
        state = Files.createDirectories(dir.resolve("state"));
        records.add(record("boot_aggregate", "boot 1"));
        for (int i = 1; i < 12; i++) records.add(record("/usr/bin/f" + i, "file " + i));
        Files.writeString(kernel.resolve(ListFiles.COUNT), "0\n");
    }

    @Test
    void beforeAnyTrimTheViewIsTheLiveList() throws Exception {
        live(0);
        assertThat(readView()).isEqualTo(concat(0, 12));
    }

    @Test
    void afterATrimTheKeptRecordsComeFirstAndOffsetsStayValid() throws Exception {
        keep(0, 0, 5);
        live(0); // the chunk was written, the trim has not happened yet: the live list still starts at 0
        LogView view = view();
        try (ViewReader reader = view.reader(list(view))) {
            ByteBuffer first = ByteBuffer.allocate(300);
            int n = reader.read(0, first, 0);
            assertThat(n).isEqualTo(300);
            reader.close(); // the reader lets go of the list; now the trim happens
            live(5);
            ByteBuffer rest = ByteBuffer.allocate(64 * 1024);
            int m = reader.read(300, rest, 1);
            byte[] whole = new byte[300 + m];
            System.arraycopy(first.array(), 0, whole, 0, 300);
            System.arraycopy(rest.array(), 0, whole, 300, m);
            assertThat(whole).isEqualTo(concat(0, 12));
        }
        assertThat(readView()).isEqualTo(concat(0, 12));
        Files.writeString(kernel.resolve(ListFiles.COUNT), "7\n");
        assertThat(new String(view().count(), StandardCharsets.US_ASCII)).isEqualTo("12\n");
    }

    @Test
    void aSecondTrimAndASeekBack() throws Exception {
        keep(0, 0, 5);
        keep(0, 5, 4);
        live(9);
        assertThat(readView()).isEqualTo(concat(0, 12));
        LogView view = view();
        try (ViewReader reader = view.reader(list(view))) {
            long offsetOf7 = concat(0, 7).length;
            ByteBuffer b = ByteBuffer.allocate(records.get(7).length);
            reader.read(offsetOf7, b, 0);
            assertThat(b.array()).isEqualTo(records.get(7));
            ByteBuffer tail = ByteBuffer.allocate(records.get(10).length + records.get(11).length);
            reader.read(concat(0, 10).length, tail, 0);
            assertThat(tail.array()).isEqualTo(concat(10, 12));
            ByteBuffer back = ByteBuffer.allocate(records.get(9).length); // live list, behind the fd's position
            reader.read(concat(0, 9).length, back, 0);
            assertThat(back.array()).isEqualTo(records.get(9));
        }
    }

    @Test
    void aListThatDoesNotContinueTheKeptRecordsFailsWithEio() throws Exception {
        keep(0, 0, 5);
        live(7); // someone trimmed records 5 and 6, which this host did not keep
        LogView view = view();
        try (ViewReader reader = view.reader(list(view))) {
            assertThatThrownBy(() -> reader.read(0, ByteBuffer.allocate(100), 0)).isInstanceOfSatisfying(ViewFailure.class,
                    f -> assertThat(f.errno()).isEqualTo(ViewFailure.Errno.EIO)).hasMessageContaining(LIST).hasMessageContaining("[0]");
        }
        // no kept records at all, and a list that does not start at a boot: the same
        Path empty = Files.createDirectories(dir.resolve("empty-state"));
        LogView fresh = new LogView(kernel, empty, new LogView.BusyWait(1, Duration.ZERO));
        try (ViewReader reader = fresh.reader(list(fresh))) {
            assertThatThrownBy(() -> reader.read(0, ByteBuffer.allocate(100), 0)).isInstanceOf(ViewFailure.class);
        }
    }

    @Test
    void aRebootShowsTheNewBootAlone() throws Exception {
        keep(0, 0, 5);
        List<byte[]> boot2 = List.of(record("boot_aggregate", "boot 2"), record("/usr/bin/g", "g"));
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] r : boot2) b.write(r);
        Files.write(kernel.resolve(LIST), b.toByteArray());
        assertThat(readView()).isEqualTo(b.toByteArray());
    }

    @Test
    void aChunkWithAHoleBeforeItFailsWithEio() throws Exception {
        keep(0, 5, 4); // records [0, 5) were never kept
        live(9);
        LogView view = view();
        try (ViewReader reader = view.reader(list(view))) {
            assertThatThrownBy(() -> reader.read(0, ByteBuffer.allocate(10), 0)).isInstanceOf(ViewFailure.class)
                    .hasMessageContaining("records [0, 5)");
        }
    }

    @Test
    void readsWhileTheJobKeepsAndDiscardsADeclinedTrimsChunkSeeTheWholeView() throws Exception {
        keep(0, 0, 5);
        live(5); // the first trim happened; every later one is declined (a reader holds the list)
        byte[] whole = concat(0, 12);
        AtomicReference<Throwable> jobFailure = new AtomicReference<>();
        Thread job = new Thread(() -> {
            try {
                for (int night = 0; night < 300; night++) {
                    keep(0, 5, 4);
                    new KeptRecords(state).discard(0, 5);
                }
            } catch (Throwable e) {
                jobFailure.set(e);
            }
        });
        job.start();
        int reads = 0;
        while (job.isAlive() || reads == 0) {
            assertThat(readView()).as("read %d", reads).isEqualTo(whole);
            reads++;
        }
        job.join();
        assertThat(jobFailure.get()).isNull();
        // a chunk directory left in place without its index is damage, not a removal in progress
        keep(0, 5, 4);
        Files.delete(state.resolve(KeptRecords.DIR).resolve("boot-0").resolve(String.format("%020d", 5)).resolve(KeptRecords.INDEX));
        assertThatThrownBy(this::readView).isInstanceOf(IOException.class).hasMessageContaining("missing");
    }

    private LogView view() throws IOException {
        return new LogView(kernel, state, new LogView.BusyWait(1, Duration.ZERO));
    }

    private static ListFiles.ListFile list(LogView view) {
        return (ListFiles.ListFile) view.entry(LIST).orElseThrow();
    }

    private byte[] readView() throws IOException {
        LogView view = view();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ViewReader reader = view.reader(list(view))) {
            ByteBuffer b = ByteBuffer.allocate(100); // small reads: many crossings of chunk ends
            long offset = 0;
            for (int n = reader.read(offset, b, 0); n > 0; n = reader.read(offset, b.clear(), 0)) {
                out.write(b.array(), 0, n);
                offset += n;
            }
        }
        return out.toByteArray();
    }

    /** The kernel list after {@code from} records were trimmed. */
    private void live(int from) throws IOException {
        Files.write(kernel.resolve(LIST), concat(from, records.size()));
    }

    /** A kept chunk of records [first, first + n), with its edges computed here. */
    private void keep(long boot, int first, int n) throws IOException {
        new KeptRecords(state).keep(boot, first, n, d -> {
            byte[] bytes = concat(first, first + n);
            Files.write(d.resolve(LIST), bytes);
            return Optional.of(Map.of(LIST, new KeptChunk.Extent(bytes.length, edge(records.get(first)), edge(records.get(first + n)))));
        });
    }

    private static KeptChunk.Edge edge(byte[] record) {
        try {
            return new KeptChunk.Edge(record.length, Digest.wrap(MessageDigest.getInstance("SHA-256").digest(record)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private byte[] concat(int from, int to) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = from; i < to; i++) out.writeBytes(records.get(i));
        return out.toByteArray();
    }

    /** An ima-ng record on PCR 10 (B.3, B.5): sha256 template digest over the template data. */
    private static byte[] record(String name, String content) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] algo = "sha256:\0".getBytes(StandardCharsets.US_ASCII);
        byte[] fileDigest = sha.digest(content.getBytes(StandardCharsets.UTF_8));
        byte[] n = (name + "\0").getBytes(StandardCharsets.UTF_8);
        ByteBuffer data = ByteBuffer.allocate(4 + algo.length + fileDigest.length + 4 + n.length).order(ByteOrder.LITTLE_ENDIAN);
        data.putInt(algo.length + fileDigest.length).put(algo).put(fileDigest).putInt(n.length).put(n);
        byte[] td = data.array();
        byte[] template = "ima-ng".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer r = ByteBuffer.allocate(4 + 32 + 4 + template.length + 4 + td.length).order(ByteOrder.LITTLE_ENDIAN);
        r.putInt(10).put(sha.digest(td)).putInt(template.length).put(template).putInt(td.length).put(td);
        return r.array();
    }
}

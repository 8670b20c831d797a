package org.imaarchiver.jobs.host.imafs;

import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** seq_file reading (kernel-interface.md B.1): positions count records, the list only grows under a reader. */
class ImafsReaderTest {
    private static final String FILE = "binary_runtime_measurements_sha256";

    @TempDir
    Path dir;

    private static void add(ImafsEmulator emu, String name) throws Exception {
        assertThat(emu.measure(10, "ima-ng", ImafsEmulator.imaNg("sha256", new byte[32], name)).ok()).isTrue();
    }

    @Test
    void appendsAreVisibleToAnOpenReader() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir)) {
            add(emu, "a");
            add(emu, "b");
            try (FileChannel r = FileChannel.open(emu.file(FILE), READ)) {
                byte[] first = ServedList.readToEof(r);
                assertThat(ServedList.parse(first, 32)).hasSize(2);
                assertThat(ServedList.readToEof(r)).isEmpty(); // EOF, and EOF again
                add(emu, "c");
                add(emu, "d");
                byte[] more = ServedList.readToEof(r);
                assertThat(ServedList.parse(more, 32)).extracting(rec -> new String(rec.data(), rec.data().length - 2, 1, StandardCharsets.US_ASCII))
                        .containsExactly("c", "d");
                byte[] whole = ServedList.readAll(emu.file(FILE));
                assertThat(whole).isEqualTo(concat(first, more));
            }
        }
    }

    @Test
    void smallReadsSplitRecordsAndReassembleTheSameBytes() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir)) {
            for (int i = 0; i < 20; i++) add(emu, "file-" + i);
            byte[] whole = ServedList.readAll(emu.file(FILE));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (FileChannel r = FileChannel.open(emu.file(FILE), READ)) {
                ByteBuffer small = ByteBuffer.allocate(7);
                while (r.read(small) >= 0) {
                    out.write(small.array(), 0, small.position());
                    small.clear();
                }
            }
            assertThat(out.toByteArray()).isEqualTo(whole);
            assertThat(ServedList.parse(whole, 32)).hasSize(20);
        }
    }

    @Test
    void tornTailEndsTheNextReadInsideARecord() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir)) {
            add(emu, "a");
            try (FileChannel r = FileChannel.open(emu.file(FILE), READ)) {
                byte[] first = ServedList.readToEof(r);
                add(emu, "b");
                emu.ok("tear 10");
                ByteBuffer buf = ByteBuffer.allocate(65536);
                assertThat(r.read(buf)).isEqualTo(10); // the reader sees a partial record
                byte[] rest = ServedList.readToEof(r);
                byte[] second = concat(Arrays.copyOf(buf.array(), 10), rest);
                assertThat(concat(first, second)).isEqualTo(ServedList.readAll(emu.file(FILE)));
            }
        }
    }

    @Test
    void tornTailEndsAReadInsideTheLastRecordThenEof() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir)) {
            for (String n : new String[] {"a", "b", "c"}) add(emu, n);
            byte[] whole = ServedList.readAll(emu.file(FILE));
            int lastStart = whole.length - whole.length / 3; // three records of equal size
            emu.ok("tear-tail 12");
            try (FileChannel r = FileChannel.open(emu.file(FILE), READ)) {
                ByteBuffer buf = ByteBuffer.allocate(65536);
                assertThat(r.read(buf)).isEqualTo(lastStart + 12); // two whole records and 12 bytes of the last
                assertThat(r.read(ByteBuffer.allocate(65536))).isEqualTo(-1); // EOF inside the record
                byte[] rest = ServedList.readToEof(r); // a later read continues with the rest
                assertThat(concat(Arrays.copyOf(buf.array(), lastStart + 12), rest)).isEqualTo(whole);
            }
            // one-shot: the next reader sees the whole list
            assertThat(ServedList.readAll(emu.file(FILE))).isEqualTo(whole);
        }
    }

    @Test
    void positionIsARecordIndexAcrossATrimOnTheSameFd() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir)) {
            for (String n : new String[] {"a", "b", "c", "d"}) add(emu, n);
            try (FileChannel rw = FileChannel.open(emu.file(FILE), READ, WRITE)) {
                assertThat(ServedList.parse(ServedList.readToEof(rw), 32)).hasSize(4);
                assertThat(rw.write(ByteBuffer.wrap("2\n".getBytes(StandardCharsets.US_ASCII)))).isEqualTo(2);
                add(emu, "e");
                add(emu, "f");
                add(emu, "g");
                // seq_file: the fd continues at record index 4 of the shortened list (c d e f g): g only
                assertThat(ServedList.parse(ServedList.readToEof(rw), 32))
                        .extracting(rec -> new String(rec.data(), rec.data().length - 2, 1, StandardCharsets.US_ASCII))
                        .containsExactly("g");
                // lseek(0) restarts from the first record
                rw.position(0);
                assertThat(ServedList.parse(ServedList.readToEof(rw), 32)).hasSize(5);
            }
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}

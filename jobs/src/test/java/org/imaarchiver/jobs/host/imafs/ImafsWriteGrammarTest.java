package org.imaarchiver.jobs.host.imafs;

import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The 7.2 write grammar and its errno table (kernel-interface.md A.8), kexec and reboot. */
class ImafsWriteGrammarTest {
    private static final String ORIGINAL = "binary_runtime_measurements_sha256";
    private static final String STAGED = "binary_runtime_measurements_sha256_staged";

    @TempDir
    Path dir;

    private static void addRecords(ImafsEmulator emu, String prefix, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            assertThat(emu.measure(10, "ima-ng", ImafsEmulator.imaNg("sha256", new byte[32], prefix + i)).ok()).isTrue();
        }
    }

    /** One write(2) holding the whole request; returns the errno or "none". */
    private static String request(FileChannel ch, String req) throws Exception {
        return Errno.of(() -> {
            int n = ch.write(ByteBuffer.wrap(req.getBytes(StandardCharsets.US_ASCII)));
            assertThat(n).isEqualTo(req.length()); // a successful write returns the byte count
            return null;
        });
    }

    private static String request(ImafsEmulator emu, String file, String req) throws Exception {
        try (FileChannel ch = FileChannel.open(emu.file(file), READ, WRITE)) {
            return request(ch, req);
        }
    }

    private static List<String> names(ImafsEmulator emu, String file) throws Exception {
        return ServedList.parse(ServedList.readAll(emu.file(file)), 32).stream()
                .map(r -> new String(r.data(), r.data().length - 2, 1, StandardCharsets.US_ASCII)).toList();
    }

    @Test
    void writingNDeletesTheFirstNRecords() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir)) {
            addRecords(emu, "r", 5);
            // Paul Moore's transaction (A.9): one O_RDWR fd, read to EOF, write N, close
            try (FileChannel ch = FileChannel.open(emu.file(ORIGINAL), READ, WRITE)) {
                assertThat(ServedList.parse(ServedList.readToEof(ch), 32)).hasSize(5);
                assertThat(request(ch, "3\n")).isEqualTo("none");
            }
            assertThat(names(emu, ORIGINAL)).containsExactly("3", "4");
            assertThat(Files.readString(emu.file("runtime_measurements_count"))).isEqualTo("2\n");
            // the sha1 view of the one shared list agrees
            assertThat(ServedList.parse(ServedList.readAll(emu.file("binary_runtime_measurements_sha1")), 20)).hasSize(2);
        }
    }

    @Test
    void nErrors() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir)) {
            addRecords(emu, "r", 3);
            assertThat(request(emu, ORIGINAL, "4\n")).isEqualTo("ENOENT");
            assertThat(emu.currentCount()).isEqualTo(3); // nothing deleted
            assertThat(request(emu, ORIGINAL, "0\n")).isEqualTo("EINVAL");
            assertThat(request(emu, ORIGINAL, "1")).isEqualTo("EINVAL");       // no '\n'
            assertThat(request(emu, ORIGINAL, "\n")).isEqualTo("EINVAL");      // 1 byte
            assertThat(request(emu, ORIGINAL, "0".repeat(21) + "\n")).isEqualTo("EINVAL"); // 22 bytes
            assertThat(request(emu, ORIGINAL, "1 \n")).isEqualTo("EINVAL");
            assertThat(request(emu, ORIGINAL, "-1\n")).isEqualTo("EINVAL");
            assertThat(request(emu, ORIGINAL, "A\n")).isEqualTo("EINVAL");     // A only on _staged
            assertThat(request(emu, ORIGINAL, "D\n")).isEqualTo("EINVAL");
            assertThat(request(emu, STAGED, "1\n")).isEqualTo("EINVAL");       // N only on originals
            assertThat(request(emu, "ascii_runtime_measurements_sha1_staged", "X\n")).isEqualTo("EINVAL");
            assertThat(request(emu, ORIGINAL, "18446744073709551615\n")).isEqualTo("ENOENT"); // ULONG_MAX parses
            assertThat(request(emu, ORIGINAL, "18446744073709551616\n")).isEqualTo("ERANGE"); // kstrtoul overflow
            assertThat(emu.currentCount()).isEqualTo(3);
            // a split request is two requests, both malformed
            try (FileChannel ch = FileChannel.open(emu.file(ORIGINAL), READ, WRITE)) {
                assertThat(request(ch, "1")).isEqualTo("EINVAL");
                assertThat(request(ch, "\n")).isEqualTo("EINVAL");
            }
            // any original file, ascii or binary, any bank, and the legacy symlink
            assertThat(request(emu, "ascii_runtime_measurements_sha1", "1\n")).isEqualTo("none");
            assertThat(request(emu, "binary_runtime_measurements", "1\n")).isEqualTo("none");
            assertThat(names(emu, ORIGINAL)).containsExactly("2");
        }
    }

    @Test
    void stageReadThenDeleteInSeparateOpens() throws Exception {
        // staging with prompt as A.8 spells it and the nightly job runs it (TrimSession.stage,
        // readStaged, deleteStaged): A on a writer fd closed at once, the batch read through
        // read-only fds, D on a fresh writer fd after re-reading the batch through it
        try (ImafsEmulator emu = ImafsEmulator.start(dir)) {
            assertThat(request(emu, STAGED, "A\n")).isEqualTo("ENOENT"); // current list empty
            assertThat(request(emu, STAGED, "D\n")).isEqualTo("ENOENT"); // staged list empty
            addRecords(emu, "a", 3);
            assertThat(request(emu, STAGED, "A\n")).isEqualTo("none");
            assertThat(emu.currentCount()).isZero();
            // the staged list survives the writer's close; every staged file shows it
            assertThat(ServedList.parse(ServedList.readAll(emu.file(STAGED)), 32)).hasSize(3);
            assertThat(new String(ServedList.readAll(emu.file("ascii_runtime_measurements_sha1_staged")), StandardCharsets.US_ASCII)
                    .lines()).hasSize(3);
            addRecords(emu, "b", 2); // measurements continue into the current list
            assertThat(request(emu, STAGED, "A\n")).isEqualTo("EEXIST"); // staged list not empty
            try (FileChannel ch = FileChannel.open(emu.file(STAGED), READ, WRITE);
                 FileChannel other = FileChannel.open(emu.file("ascii_runtime_measurements_sha1_staged"), READ, WRITE)) {
                assertThat(ServedList.parse(ServedList.readToEof(ch), 32)).hasSize(3);
                assertThat(new String(ServedList.readToEof(other), StandardCharsets.US_ASCII).lines()).hasSize(3);
                assertThat(request(ch, "D\n")).isEqualTo("none");
                assertThat(request(ch, "D\n")).isEqualTo("ENOENT");
            }
            assertThat(ServedList.readAll(emu.file(STAGED))).isEmpty();
            assertThat(names(emu, ORIGINAL)).containsExactly("0", "1");
            assertThat(emu.ok("count").field("staged")).contains("0");
        }
    }

    @Test
    void suspendedMeasurementRefusesTrims() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir)) {
            addRecords(emu, "s", 3);
            assertThat(request(emu, STAGED, "A\n")).isEqualTo("none");
            addRecords(emu, "t", 2);
            emu.ok("suspend");
            assertThat(request(emu, ORIGINAL, "1\n")).isEqualTo("ESTALE");
            assertThat(request(emu, STAGED, "D\n")).isEqualTo("ESTALE");
            assertThat(request(emu, STAGED, "A\n")).isEqualTo("EACCES");
            assertThat(emu.measure(10, "ima-ng", ImafsEmulator.imaNg("sha256", new byte[32], "late")).errno()).contains("ENODEV");
            emu.ok("resume");
            assertThat(request(emu, STAGED, "D\n")).isEqualTo("none");
            assertThat(request(emu, ORIGINAL, "1\n")).isEqualTo("none");
        }
    }

    @Test
    void flushHtableForbidsNAndForgetsDeletedDigests() throws Exception {
        byte[] rec = ImafsEmulator.imaNg("sha256", new byte[32], "again");
        try (ImafsEmulator emu = ImafsEmulator.start(dir, "--flush-htable")) {
            emu.measure(10, "ima-ng", rec);
            assertThat(request(emu, ORIGINAL, "1\n")).isEqualTo("EINVAL");
            assertThat(request(emu, STAGED, "A\n")).isEqualTo("none");
            assertThat(emu.measure(10, "ima-ng", rec).errno()).contains("EEXIST"); // still in the table
            assertThat(request(emu, STAGED, "D\n")).isEqualTo("none");
            assertThat(emu.measure(10, "ima-ng", rec).ok()).isTrue(); // fresh table: a duplicate across batches
        }
    }

    @Test
    void withoutFlushDeletedDigestsStayInTheHashTable() throws Exception {
        byte[] rec = ImafsEmulator.imaNg("sha256", new byte[32], "again");
        try (ImafsEmulator emu = ImafsEmulator.start(dir)) {
            emu.measure(10, "ima-ng", rec);
            assertThat(request(emu, ORIGINAL, "1\n")).isEqualTo("none");
            assertThat(emu.measure(10, "ima-ng", rec).errno()).contains("EEXIST");
        }
    }

    @Test
    void kexecCarriesStagedRecordsBeforeTheCurrentList() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir)) {
            addRecords(emu, "k", 2);
            assertThat(request(emu, STAGED, "A\n")).isEqualTo("none");
            addRecords(emu, "m", 2);
            emu.ok("suspend");
            assertThat(emu.ok("kexec").field("current")).contains("4");
            emu.measure(10, "ima-ng", ImafsEmulator.imaNg("sha256", new byte[32], "boot_aggregateX"));
            assertThat(names(emu, ORIGINAL)).containsExactly("0", "1", "0", "1", "X");
            assertThat(ServedList.readAll(emu.file(STAGED))).isEmpty();
            assertThat(request(emu, ORIGINAL, "1\n")).isEqualTo("none"); // no longer suspended
            emu.ok("reboot");
            assertThat(emu.currentCount()).isZero();
            assertThat(Files.readString(emu.file("violations"))).isEqualTo("0\n");
        }
    }
}

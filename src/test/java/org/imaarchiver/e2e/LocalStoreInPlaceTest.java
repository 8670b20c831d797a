package org.imaarchiver.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code verify} reads a local archive's segment files in place and checks a segment's size against
 * its sidecar manifest's record count before reading it (issue 13 item 4; archive-format.md §12): a
 * huge sparse file named like a segment is a finding, and nothing of it is copied into the state
 * directory. The test measures bytes written (this JVM's {@code wchar} in {@code /proc/self/io}: the
 * CLI runs in-process) and the bytes the state directory holds afterwards, not time.
 */
class LocalStoreInPlaceTest {
    /** Sparse: no disk used, but far more than a segment of 115 records can have. */
    private static final long HUGE = 5L << 30;
    /** The job repository and reports of one small run are far below this; a copy of the segment is not. */
    private static final long STATE_BOUND = 64L << 20;
    /** Everything one small run writes (job repository, logs, report) is far below this; a copy of the segment is not. */
    private static final long WRITE_BOUND = 256L << 20;

    @TempDir Path dir;
    private CapturedArchive a;
    private Path segment;

    @BeforeEach
    void archive() throws Exception {
        a = CapturedArchive.create(dir);
        segment = a.archive().resolve("hosts/h1/segments/0000000000.parquet");
        assertThat(segment).isRegularFile();
    }

    private void replaceWithHugeSparseFile(Path p) throws Exception {
        Files.delete(p);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(HUGE);
        }
    }

    /** Bytes this process has passed to write(2) so far. */
    private static long bytesWritten() throws Exception {
        return Files.readAllLines(Path.of("/proc/self/io")).stream().filter(l -> l.startsWith("wchar:"))
                .mapToLong(l -> Long.parseLong(l.substring("wchar:".length()).strip())).findFirst().orElseThrow();
    }

    /** {@code verify --json -}, failing if it wrote {@link #WRITE_BOUND} bytes or more. */
    private Cli.Result verifyWritingLittle() throws Exception {
        long before = bytesWritten();
        Cli.Result r = a.verify("--json", "-");
        assertThat(bytesWritten() - before).as("bytes written by verify").isLessThan(WRITE_BOUND);
        assertThat(stateBytes()).as("bytes in the state directory").isLessThan(STATE_BOUND);
        return r;
    }

    private long stateBytes() throws Exception {
        try (Stream<Path> s = Files.walk(a.state())) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    @Test
    void theCapturedArchiveVerifies() throws Exception {
        Cli.Result r = verifyWritingLittle();
        assertThat(r.code()).as(r.toString()).isZero();
    }

    @Test
    void aHugeFileInPlaceOfASegmentWithASidecarIsAStoreErrorAndIsNotRead() throws Exception {
        replaceWithHugeSparseFile(segment);
        Cli.Result r = verifyWritingLittle();
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).contains("store-error", "hosts/h1/segments/0000000000.parquet", HUGE + " bytes");
    }

    @Test
    void aHugeFileInPlaceOfASegmentWithoutASidecarIsReadInPlace() throws Exception {
        replaceWithHugeSparseFile(segment);
        Files.delete(segment.resolveSibling("0000000000.manifest.json"));
        Cli.Result r = verifyWritingLittle();
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.out()).contains("truncated-file");
    }
}

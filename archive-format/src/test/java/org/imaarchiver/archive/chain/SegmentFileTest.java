package org.imaarchiver.archive.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.LocalDirectoryStore;
import org.imaarchiver.archive.store.ObjectInfo;
import org.imaarchiver.archive.store.ObjectTooLargeException;
import org.imaarchiver.archive.store.StoreException;
import org.imaarchiver.archive.store.StoredObject;
import org.imaarchiver.replay.pcr.Digest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A segment is read in place in a local store and downloaded from any other; an object larger than its
 * declared record count allows is refused before a byte is read or downloaded (issue 13 item 4).
 */
class SegmentFileTest {
    private static final String KEY = "hosts/h1/segments/0000000000.parquet";

    @TempDir Path dir;
    private LocalDirectoryStore local;
    private Path work;

    @BeforeEach
    void store() throws Exception {
        local = LocalDirectoryStore.open(Files.createDirectories(dir.resolve("archive")));
        work = Files.createDirectories(dir.resolve("work"));
    }

    private Path object(long size) throws IOException {
        Path p = dir.resolve("archive").resolve(KEY);
        Files.createDirectories(p.getParent());
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size); // sparse
        }
        return p;
    }

    @Test
    void theBoundIsTheOverheadPlusThreeLargestRecordsPerRecord() {
        // An independent computation of kernel-interface.md B.3's largest record: 4 + 64 + 4 + 255 + 4 + 8 MiB.
        long largest = 4 + 64 + 4 + 255 + 4 + 8L * 1024 * 1024;
        assertThat(SegmentFile.maxBytes(0)).isEqualTo(64L << 20);
        assertThat(SegmentFile.maxBytes(100)).isEqualTo((64L << 20) + 100 * 3 * largest);
        assertThat(SegmentFile.maxBytes(Long.MAX_VALUE / 2)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aLocalStoresFileIsReadInPlaceAndLeftAlone() throws Exception {
        Path p = object(1000);
        Path download = work.resolve("dl.parquet");
        try (SegmentFile f = SegmentFile.fetch(local, KEY, download, OptionalLong.of(1))) {
            assertThat(f.path()).isEqualTo(p);
        }
        assertThat(p).exists();
        assertThat(download).doesNotExist();
    }

    @Test
    void aLocalFileLargerThanItsRecordsAllowIsRefusedUnread() throws Exception {
        object(SegmentFile.maxBytes(10) + 1);
        assertThatThrownBy(() -> SegmentFile.fetch(local, KEY, work.resolve("dl.parquet"), OptionalLong.of(10)))
                .isInstanceOf(ObjectTooLargeException.class).hasMessageContaining(KEY);
    }

    @Test
    void aRemoteObjectLargerThanItsRecordsAllowIsNotDownloaded() throws Exception {
        object(5L << 30);
        Remote remote = new Remote(local, new AtomicInteger());
        Path download = work.resolve("dl.parquet");
        assertThatThrownBy(() -> SegmentFile.fetch(remote, KEY, download, OptionalLong.of(100)))
                .isInstanceOf(ObjectTooLargeException.class).hasMessageContaining(String.valueOf(5L << 30));
        assertThat(remote.downloads().get()).isZero();
        assertThat(download).doesNotExist();
    }

    @Test
    void aRemoteObjectIsDownloadedAndTheDownloadDeletedAfter() throws Exception {
        object(1000);
        Remote remote = new Remote(local, new AtomicInteger());
        Path download = work.resolve("dl.parquet");
        try (SegmentFile f = SegmentFile.fetch(remote, KEY, download, OptionalLong.of(1))) {
            assertThat(f.path()).isEqualTo(download);
            assertThat(Files.size(download)).isEqualTo(1000);
        }
        assertThat(remote.downloads().get()).isEqualTo(1);
        assertThat(download).doesNotExist();
    }

    /** A store whose objects are not local files (as S3's): the default {@code localFile}. */
    record Remote(ArchiveStore d, AtomicInteger downloads) implements ArchiveStore {
        @Override public StoredObject createNew(String key, Path file) throws IOException { return d.createNew(key, file); }
        @Override public StoredObject createNew(String key, byte[] bytes) throws StoreException { return d.createNew(key, bytes); }
        @Override public InputStream open(String key) throws StoreException { return d.open(key); }
        @Override public byte[] readAll(String key, long max) throws StoreException { return d.readAll(key, max); }
        @Override public Path download(String key, Path target) throws IOException {
            downloads.incrementAndGet();
            return d.download(key, target);
        }
        @Override public Optional<ObjectInfo> stat(String key) throws StoreException { return d.stat(key); }
        @Override public Stream<String> list(String prefix) throws StoreException { return d.list(prefix); }
        @Override public void delete(String key) throws StoreException { d.delete(key); }
        @Override public boolean verifyDurable(String key, Digest sha) throws StoreException { return d.verifyDurable(key, sha); }
        @Override public String location() { return d.location(); }
        @Override public void close() throws StoreException { d.close(); }
    }
}

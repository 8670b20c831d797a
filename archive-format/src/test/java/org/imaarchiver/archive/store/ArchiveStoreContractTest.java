package org.imaarchiver.archive.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.imaarchiver.replay.pcr.Digest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The behaviour every {@link ArchiveStore} must have. Subclasses supply the store; each test
 * works under its own random namespace so that a shared external bucket is safe.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ArchiveStoreContractTest {
    /** FIPS 180-2 test vectors (independent of our code). */
    static final Digest SHA256_ABC = Digest.ofHex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    static final Digest SHA256_EMPTY = Digest.ofHex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    static final long MIB = 1024 * 1024;

    protected ArchiveStore store;
    /** A per-test namespace: "t-xxxxxxxx/". */
    protected String ns;

    @TempDir
    Path tmp;

    /** A fresh store for one test; S3 stores use a 16 MiB multipart threshold and 5 MiB parts. */
    abstract ArchiveStore openStore() throws Exception;

    /** Replaces the stored bytes of {@code key} without going through the store's API. */
    abstract void overwriteBehindTheStoresBack(String key, byte[] bytes) throws Exception;

    /** Called after listing {@code keyCount} keys; S3 tests check that it took several pages. */
    void assertListWasPaged(int keyCount) {}

    @BeforeEach
    void openIt() throws Exception {
        store = openStore();
        ns = "t-" + UUID.randomUUID().toString().substring(0, 8) + "/";
    }

    @AfterEach
    void closeIt() throws Exception {
        if (store != null) store.close();
    }

    static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    static Digest sha256(byte[] b) throws Exception {
        return Digest.wrap(MessageDigest.getInstance("SHA-256").digest(b));
    }

    static Digest sha256(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) >= 0; ) md.update(buf, 0, n);
        }
        return Digest.wrap(md.digest());
    }

    static Path randomFile(Path dir, long size, long seed) throws IOException {
        Path f = dir.resolve("random-" + seed + ".bin");
        SplittableRandom r = new SplittableRandom(seed);
        byte[] buf = new byte[1 << 16];
        try (OutputStream out = Files.newOutputStream(f)) {
            for (long left = size; left > 0; ) {
                for (int i = 0; i < buf.length; i += 8) {
                    long v = r.nextLong();
                    for (int j = 0; j < 8; j++) buf[i + j] = (byte) (v >>> (8 * j));
                }
                int n = (int) Math.min(buf.length, left);
                out.write(buf, 0, n);
                left -= n;
            }
        }
        return f;
    }

    // ------------------------------------------------------------ create / read

    @Test
    void createNewRecordsTheSha256AndReadsBack() throws Exception {
        String key = ns + "hosts/h1/boots/b1/segments/00000001.parquet";
        StoredObject receipt = store.createNew(key, ascii("abc"));
        assertThat(receipt.key()).isEqualTo(key);
        assertThat(receipt.size()).isEqualTo(3);
        assertThat(receipt.sha256()).isEqualTo(SHA256_ABC);
        assertThat(store.readAll(key)).isEqualTo(ascii("abc"));
        try (InputStream in = store.open(key)) {
            assertThat(in.readAllBytes()).isEqualTo(ascii("abc"));
        }
    }

    @Test
    void emptyObject() throws Exception {
        String key = ns + "empty.sig";
        assertThat(store.createNew(key, new byte[0]).sha256()).isEqualTo(SHA256_EMPTY);
        assertThat(store.readAll(key)).isEmpty();
        assertThat(store.stat(key)).get().extracting(ObjectInfo::size).isEqualTo(0L);
    }

    @Test
    void createNewFromFileAndDownload() throws Exception {
        Path src = randomFile(tmp, 300_000, 1);
        String key = ns + "seg/1.parquet";
        StoredObject receipt = store.createNew(key, src);
        assertThat(receipt.size()).isEqualTo(300_000);
        assertThat(receipt.sha256()).isEqualTo(sha256(src));

        Path target = tmp.resolve("down.parquet");
        assertThat(store.download(key, target)).isEqualTo(target);
        assertThat(Files.readAllBytes(target)).isEqualTo(Files.readAllBytes(src));
        assertThatThrownBy(() -> store.download(key, target)).isInstanceOf(FileAlreadyExistsException.class);
        try (Stream<Path> files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("."));
        }
    }

    @Test
    void statReportsSizeTimeAndRecordedHash() throws Exception {
        String key = ns + "m.manifest.json";
        byte[] content = ascii("{\"segment\":1}");
        store.createNew(key, content);
        Optional<ObjectInfo> info = store.stat(key);
        assertThat(info).isPresent();
        assertThat(info.get().key()).isEqualTo(key);
        assertThat(info.get().size()).isEqualTo(content.length);
        assertThat(info.get().lastModified()).isNotNull();
        info.get().sha256().ifPresent(d -> assertThat(d).isEqualTo(sha256OrFail(content)));
        assertThat(store.stat(ns + "absent")).isEmpty();
    }

    private static Digest sha256OrFail(byte[] b) {
        try {
            return sha256(b);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void readAllHonoursTheBound() throws Exception {
        String key = ns + "k";
        store.createNew(key, new byte[1000]);
        assertThat(store.readAll(key, 1000)).hasSize(1000);
        assertThatThrownBy(() -> store.readAll(key, 999))
                .isInstanceOfSatisfying(ObjectTooLargeException.class, e -> assertThat(e.key()).isEqualTo(key));
    }

    // ------------------------------------------------------------ no overwrite

    @Test
    void neverOverwrites() throws Exception {
        String key = ns + "seg/2.parquet";
        store.createNew(key, ascii("first"));
        assertThatThrownBy(() -> store.createNew(key, ascii("second")))
                .isInstanceOfSatisfying(ObjectAlreadyExistsException.class, e -> assertThat(e.key()).isEqualTo(key));
        Path f = Files.write(tmp.resolve("third"), ascii("third"));
        assertThatThrownBy(() -> store.createNew(key, f)).isInstanceOf(ObjectAlreadyExistsException.class);
        assertThat(store.readAll(key)).isEqualTo(ascii("first"));
    }

    @Test
    void concurrentCreatesOfOneKeyHaveExactlyOneWinner() throws Exception {
        String key = ns + "race.parquet";
        int writers = 8;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Optional<byte[]>>> results = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                byte[] mine = ascii("writer-" + i + "-" + "x".repeat(1000 * i));
                results.add(pool.submit(() -> {
                    start.await();
                    try {
                        store.createNew(key, mine);
                        return Optional.of(mine);
                    } catch (ObjectAlreadyExistsException e) {
                        return Optional.empty();
                    }
                }));
            }
            start.countDown();
            List<byte[]> winners = new ArrayList<>();
            for (Future<Optional<byte[]>> f : results) f.get(60, TimeUnit.SECONDS).ifPresent(winners::add);
            assertThat(winners).hasSize(1);
            assertThat(store.readAll(key)).isEqualTo(winners.get(0));
        } finally {
            pool.shutdownNow();
        }
    }

    // ------------------------------------------------------------ list

    @Test
    void listsInLexicographicOrderByPrefix() throws Exception {
        List<String> names = new ArrayList<>(List.of("x/a-c", "x/a/b", "x/a/c/d", "x/a.b", "x/a0", "x/aa", "x/B", "x/a_",
                "x/a/b0", "y/z"));
        Collections.shuffle(names, new Random(7));
        for (String n : names) store.createNew(ns + n, ascii(n));
        List<String> expected = names.stream().map(n -> ns + n).sorted().collect(Collectors.toList());

        try (Stream<String> all = store.list(ns)) {
            assertThat(all).containsExactlyElementsOf(expected);
        }
        try (Stream<String> dir = store.list(ns + "x/a/")) {
            assertThat(dir).containsExactly(ns + "x/a/b", ns + "x/a/b0", ns + "x/a/c/d");
        }
        try (Stream<String> partial = store.list(ns + "x/a")) {
            assertThat(partial).containsExactlyElementsOf(
                    expected.stream().filter(k -> k.startsWith(ns + "x/a")).collect(Collectors.toList()));
        }
        try (Stream<String> none = store.list(ns + "nothing/")) {
            assertThat(none).isEmpty();
        }
    }

    @Test
    void listStartingAfterAKeyEqualsTheFilteredFullListing() throws Exception {
        List<String> names = new ArrayList<>(List.of("x/a-c", "x/a/b", "x/a/c/d", "x/a.b", "x/a0", "x/aa", "x/B", "x/a_",
                "x/a/b0", "x/a/c/e/f", "x/ab/c", "y/z"));
        Collections.shuffle(names, new Random(11));
        for (String n : names) store.createNew(ns + n, ascii(n));
        List<String> all;
        try (Stream<String> s = store.list(ns)) {
            all = s.collect(Collectors.toList());
        }
        // Start points: every key, every directory prefix with and without '/', and points between keys.
        List<String> starts = new ArrayList<>(List.of("", ns, ns + "x/", ns + "x/a", ns + "x/a/", ns + "x/a/c/", ns + "x/a/c",
                ns + "x/a/c/e/", ns + "x/a.", ns + "x/a0/", ns + "x/ab/", ns + "x/zz", ns + "y/", ns + "z"));
        starts.addAll(all);
        for (String prefix : List.of(ns, ns + "x/", ns + "x/a", ns + "x/a/")) {
            for (String after : starts) {
                List<String> expected = all.stream().filter(k -> k.startsWith(prefix) && k.compareTo(after) > 0).collect(Collectors.toList());
                try (Stream<String> listed = store.list(prefix, after)) {
                    assertThat(listed).as("list(%s, %s)", prefix, after).containsExactlyElementsOf(expected);
                }
            }
        }
    }

    @Test
    void listsManyKeysLazily() throws Exception {
        int count = 1100;
        List<String> keys = IntStream.range(0, count)
                .mapToObj(i -> ns + "many/" + Integer.toString(i * 7919 % 10007, 36))
                .collect(Collectors.toList());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<StoredObject>> done = new ArrayList<>();
            for (String k : keys) done.add(pool.submit(() -> store.createNew(k, ascii(k))));
            for (Future<StoredObject> f : done) f.get(120, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        try (Stream<String> listed = store.list(ns + "many/")) {
            assertThat(listed).containsExactlyElementsOf(keys.stream().sorted().collect(Collectors.toList()));
        }
        assertListWasPaged(count);
    }

    // ------------------------------------------------------------ delete, verify, missing

    @Test
    void deleteRemovesAndIsIdempotent() throws Exception {
        String key = ns + "old/1.parquet";
        store.createNew(key, ascii("old"));
        store.delete(key);
        assertThat(store.stat(key)).isEmpty();
        assertThatThrownBy(() -> store.open(key)).isInstanceOf(ObjectMissingException.class);
        store.delete(key);
        store.delete(ns + "never/existed");
        try (Stream<String> listed = store.list(ns)) {
            assertThat(listed).isEmpty();
        }
    }

    @Test
    void verifyDurableRereadsAndDetectsMismatch() throws Exception {
        String key = ns + "seg/3.parquet";
        StoredObject receipt = store.createNew(key, ascii("abc"));
        assertThat(store.verifyDurable(key, receipt.sha256())).isTrue();
        assertThat(store.verifyDurable(key, SHA256_EMPTY)).isFalse();

        overwriteBehindTheStoresBack(key, ascii("abd"));
        assertThat(store.verifyDurable(key, SHA256_ABC)).isFalse();
        assertThat(store.verifyDurable(key, sha256(ascii("abd")))).isTrue();
    }

    @Test
    void missingKeysRaiseObjectMissing() {
        String key = ns + "missing.parquet";
        assertThatThrownBy(() -> store.open(key))
                .isInstanceOfSatisfying(ObjectMissingException.class, e -> assertThat(e.key()).isEqualTo(key));
        assertThatThrownBy(() -> store.readAll(key)).isInstanceOf(ObjectMissingException.class);
        assertThatThrownBy(() -> store.download(key, tmp.resolve("x"))).isInstanceOf(ObjectMissingException.class);
        assertThat(tmp.resolve("x")).doesNotExist();
        assertThatThrownBy(() -> store.verifyDurable(key, SHA256_ABC)).isInstanceOf(ObjectMissingException.class);
    }

    @Test
    void bigFileGoesThroughWholeAndIntact() throws Exception {
        Path src = randomFile(tmp, 20 * MIB + 12_345, 20);
        Digest expected = sha256(src);
        String key = ns + "big/segment.parquet";
        StoredObject receipt = store.createNew(key, src);
        assertThat(receipt.sha256()).isEqualTo(expected);
        assertThat(receipt.size()).isEqualTo(20 * MIB + 12_345);

        ObjectInfo info = store.stat(key).orElseThrow();
        assertThat(info.size()).isEqualTo(20 * MIB + 12_345);
        info.sha256().ifPresent(d -> assertThat(d).isEqualTo(expected));
        assertThat(store.verifyDurable(key, expected)).isTrue();
        Path back = store.download(key, tmp.resolve("back.bin"));
        assertThat(sha256(back)).isEqualTo(expected);
        assertThatThrownBy(() -> store.createNew(key, src)).isInstanceOf(ObjectAlreadyExistsException.class);
    }

    // ------------------------------------------------------------ keys

    static Stream<String> invalidKeys() {
        return Stream.of("", "/abs", "a/../b", "..", "a/./b", "a//b", "a/", "a b", "\u00e4", "a\u0000b", "a\\b",
                ".hidden", "a/.tmp", "a?b", "a#b", "x".repeat(StoreKeys.MAX_KEY_LENGTH + 1),
                "y".repeat(StoreKeys.MAX_SEGMENT_LENGTH + 1));
    }

    @ParameterizedTest
    @MethodSource("invalidKeys")
    void invalidKeysAreRejectedBeforeAnyIo(String key) {
        assertThatThrownBy(() -> store.createNew(key, ascii("x"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.open(key)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.stat(key)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.delete(key)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.verifyDurable(key, SHA256_ABC)).isInstanceOf(IllegalArgumentException.class);
    }
}

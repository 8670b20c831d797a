package org.imaarchiver.archive.chain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.imaarchiver.archive.segment.SegmentReader;
import org.imaarchiver.archive.segment.SegmentVerifier;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.LocalDirectoryStore;
import org.imaarchiver.replay.bytes.Bytes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every byte of a real (small) segment file, with one bit flipped (twice: bit {@code offset % 8} and
 * bit {@code (offset + 3) % 8}, so every bit position occurs in every structure), must give a finding from the checks the chain verifier runs over the file's
 * bytes (docs/archive-format.md §12 steps 7–9): security code fails closed, and a query engine reading
 * statistics or indexes is a reader too. The only exceptions are listed below with their reason.
 */
class SegmentByteFlipTest {
    @TempDir static Path dir;
    static Path segment;
    static Bytes sidecar;
    static Bytes cms;
    static Path trust;
    static Path store;

    @BeforeAll
    static void build() throws Exception {
        ArchiveFixture fixture = new ArchiveFixture();
        FakeTpm tpm = new FakeTpm(5);
        store = dir.resolve("store");
        fixture.build(store, dir.resolve("work"), "h1", tpm, List.of(new ArchiveFixture.Boot(1, 10, List.of(10))));
        trust = fixture.trustDir(dir.resolve("trust"), new String[] {"h1"}, new FakeTpm[] {tpm});
        try (Stream<Path> s = Files.walk(store)) {
            segment = s.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow();
        }
        String base = segment.toString().substring(0, segment.toString().length() - ".parquet".length());
        sidecar = Bytes.wrap(Files.readAllBytes(Path.of(base + ".manifest.json")));
        cms = Bytes.wrap(Files.readAllBytes(Path.of(base + ".manifest.cms")));
    }

    /** The file checks of ChainVerifier over one segment file: open, footer = sidecar, footer signature, rows and layout. */
    static boolean detected(Path file) {
        try {
            SegmentReader r = SegmentReader.open(file);
            return !SegmentVerifier.compareSidecar(r, sidecar).isEmpty()
                    || !SegmentVerifier.compareFooterSignature(r, Optional.of(cms)).isEmpty()
                    || !SegmentVerifier.verifyData(r).isEmpty();
        } catch (Exception e) {
            return true; // unreadable: ChainVerifier reports malformed-segment / truncated-file
        }
    }

    @Test
    void untouchedSegmentHasNoFinding() throws Exception {
        SegmentReader r = SegmentReader.open(segment);
        assertThat(SegmentVerifier.verifyData(r)).isEmpty();
        assertThat(SegmentVerifier.compareFooterSignature(r, Optional.of(cms))).isEmpty();
        assertThat(detected(segment)).isFalse();
        try (ArchiveStore st = LocalDirectoryStore.open(store)) {
            assertThat(new ChainVerifier(TrustStore.load(trust), 1, dir.resolve("v")).verifyHost(st, "h1").findings()).isEmpty();
        }
    }

    @Test
    void everyFlippedBitIsAFinding() throws Exception {
        byte[] orig = Files.readAllBytes(segment);
        ParquetByteMap map = ParquetByteMap.of(segment);
        int threads = 2;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<List<Integer>>> parts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int part = t;
            parts.add(pool.submit(() -> {
                Path f = dir.resolve("flip-" + part + ".parquet");
                List<Integer> clean = new ArrayList<>();
                for (int i = part; i < orig.length; i += threads) {
                    for (int shift : SHIFTS) {
                        byte[] b = orig.clone();
                        b[i] ^= (byte) (1 << ((i + shift) % 8));
                        Files.write(f, b);
                        if (!detected(f)) clean.add(i * 8 + (i + shift) % 8);
                    }
                }
                return clean;
            }));
        }
        Map<Integer, String> undetected = new TreeMap<>(); // key: offset * 8 + bit
        for (Future<List<Integer>> p : parts) for (int k : p.get()) undetected.put(k, map.at(k / 8));
        pool.shutdown();
        undetected.forEach((k, where) -> System.out.println("undetected flip at " + k / 8 + " bit " + k % 8 + ": " + where));
        assertThat(undetected).allSatisfy((k, where) -> assertThat(justified(orig, k / 8, k % 8, where))
                .as("offset " + k / 8 + " bit " + k % 8 + " in " + where).isTrue());
    }

    static final int[] SHIFTS = {0, 3};

    /**
     * Flips that cannot be detected without pinning the Parquet library's exact version string: digits
     * of the version and build hash in {@code created_by} (any parquet-mr 1.12+ string is accepted).
     */
    static boolean justified(byte[] file, int i, int bit, String where) {
        return where.equals("footer:6") && Character.isLetterOrDigit(file[i] ^ (1 << bit));
    }
}

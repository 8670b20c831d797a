package org.imaarchiver.archive.chain;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.LocalDirectoryStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Throwaway measurement: which single-bit flips of a segment file verify clean. */
class ByteFlipMapTest {
    @TempDir Path dir;

    @Test
    void map() throws Exception {
        ArchiveFixture fixture = new ArchiveFixture();
        FakeTpm tpm = new FakeTpm(5);
        Path store = dir.resolve("store");
        fixture.build(store, dir.resolve("work"), "h1", tpm, List.of(new ArchiveFixture.Boot(1, 24, List.of(24))));
        Path trust = fixture.trustDir(dir.resolve("trust"), new String[] {"h1"}, new FakeTpm[] {tpm});
        Path seg;
        try (Stream<Path> s = Files.walk(store)) {
            seg = s.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow();
        }
        ParquetByteMap map = ParquetByteMap.of(seg);
        byte[] orig = Files.readAllBytes(seg);
        System.out.println("segment bytes " + orig.length);
        ChainVerifier v = new ChainVerifier(TrustStore.load(trust), 1, dir.resolve("verify"));
        Map<String, StringBuilder> undetected = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        int[] masks = {0x01, 0x80};
        try (ArchiveStore st = LocalDirectoryStore.open(store)) {
            if (!v.verifyHost(st, "h1").findings().isEmpty()) throw new AssertionError("golden fails");
            for (int i = 0; i < orig.length; i++) {
                for (int mask : masks) {
                    byte[] b = orig.clone();
                    b[i] ^= (byte) mask;
                    Files.write(seg, b);
                    boolean clean;
                    try {
                        clean = v.verifyHost(st, "h1").findings().isEmpty();
                    } catch (Exception e) {
                        Throwable c = e.getCause() == null ? e : e.getCause();
                        undetected.computeIfAbsent("CRASH " + map.at(i) + " " + c, k -> new StringBuilder()).append(' ').append(i).append('^').append(Integer.toHexString(mask));
                        continue;
                    }
                    if (clean) {
                        undetected.computeIfAbsent(map.at(i), k -> new StringBuilder()).append(' ').append(i).append('^').append(Integer.toHexString(mask));
                    }
                }
            }
            Files.write(seg, orig);
        }
        System.out.println("ms " + (System.nanoTime() - t0) / 1_000_000);
        undetected.forEach((k, val) -> System.out.println("UNDETECTED " + k + " :" + val));
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < orig.length; i++) all.append(i).append(' ').append(map.at(i)).append('\n');
        Files.writeString(Path.of("/tmp/byteflip-map.txt"), all);
    }
}

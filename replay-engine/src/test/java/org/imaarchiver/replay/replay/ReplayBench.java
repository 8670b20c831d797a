package org.imaarchiver.replay.replay;

import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrState;

/**
 * Throughput check for the replay engine, not a test (no wall-clock assertions anywhere). Run with
 * {@code java -Xmx128m -cp replay-engine/target/classes:replay-engine/target/test-classes
 * org.imaarchiver.replay.replay.ReplayBench [cycle N | write N FILE | file FILE]}:
 * <ul>
 *   <li>{@code cycle N} (default, N = 1,000,000): N ima-ng records re-indexed from a pool of 8192
 *       generated ones, replayed into sha1+sha256: the engine's own rate.</li>
 *   <li>{@code write N FILE}: writes N generated ima-ng records as a binary list.</li>
 *   <li>{@code file FILE}: replays a binary list (20-byte digests) read with the test reader.</li>
 * </ul>
 */
public final class ReplayBench {
    private ReplayBench() {}

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "cycle";
        switch (mode) {
            case "cycle" -> cycle(args.length > 1 ? Long.parseLong(args[1]) : 1_000_000);
            case "write" -> write(Long.parseLong(args[1]), Path.of(args[2]));
            case "file" -> file(Path.of(args[1]));
            default -> throw new IllegalArgumentException("usage: [cycle N | write N FILE | file FILE]");
        }
    }

    static void cycle(long n) throws Exception {
        List<MeasurementRecord> pool = SyntheticLog.generate(1, 8192, SyntheticLog.Shape.imaNg());
        PcrState base = PcrState.initial(EnumSet.of(HashAlgorithm.SHA1, HashAlgorithm.SHA256));
        for (int warm = 0; warm < 3; warm++) Replayer.parallel().replay(base, SyntheticLog.cycling(pool, 200_000));
        run("parallel  ", n, () -> Replayer.parallel().replay(base, SyntheticLog.cycling(pool, n)));
        run("sequential", n, () -> Replayer.sequential().replay(base, SyntheticLog.cycling(pool, n)));
        run("parallel  ", n, () -> Replayer.parallel().replay(base, SyntheticLog.cycling(pool, n)));
    }

    static void write(long n, Path file) throws Exception {
        Random rnd = new Random(1);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            for (long i = 0; i < n; i++) out.write(SyntheticLog.record(rnd, i, SyntheticLog.Shape.imaNg()).raw().toArray());
        }
        System.out.println("wrote " + n + " records, " + Files.size(file) + " bytes to " + file);
    }

    static void file(Path file) throws Exception {
        PcrState base = PcrState.initial(EnumSet.of(HashAlgorithm.SHA1, HashAlgorithm.SHA256));
        try (SimpleBinaryLog warm = SimpleBinaryLog.open(file, 20)) {
            Replayer.parallel().replay(base, Sources.limit(warm, 300_000));
        }
        for (int i = 0; i < 2; i++) {
            long[] count = {0};
            run("file      ", -1, () -> {
                try (SimpleBinaryLog log = SimpleBinaryLog.open(file, 20)) {
                    ReplayResult r = Replayer.parallel().replay(base, log);
                    count[0] = r.recordsReplayed();
                    return r;
                }
            });
        }
    }

    interface Body {
        ReplayResult run() throws Exception;
    }

    static void run(String label, long n, Body body) throws Exception {
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long c0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        ReplayResult r = body.run();
        double s = (System.nanoTime() - t0) / 1e9;
        double cpu = (os.getProcessCpuTime() - c0) / 1e9;
        long records = r.recordsReplayed();
        Runtime rt = Runtime.getRuntime();
        // CPU seconds too: on a shared machine the wall-clock rate understates the engine.
        System.out.printf("%s %,d records in %.3f s = %,.0f records/s; %.3f CPU s = %,.0f records per CPU second"
                        + " (clean=%s, sha1 PCR10 %s..., heap max %d MB)%n",
                label, records, s, records / s, cpu, records / cpu, r.isClean(), r.value(10, HashAlgorithm.SHA1).hex().substring(0, 12),
                rt.maxMemory() >> 20);
    }
}

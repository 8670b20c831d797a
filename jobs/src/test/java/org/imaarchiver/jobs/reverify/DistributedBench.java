package org.imaarchiver.jobs.reverify;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Not a test: records/s of {@code reverifyJob} in local mode against {@code --workers N} on one
 * generated archive ({@link TestArchive}), each mode timed as one {@link VerifyJobRunner#run} (worker
 * JVM start-up included). Args: DIR HOSTS RECORDS SEGMENTS MODES, MODES e.g. {@code local,w2,local}
 * (the first run of a JVM is cold). docs/performance.md, "Distributed verify".
 */
public final class DistributedBench {
    public static void main(String[] a) throws Exception {
        Path dir = Path.of(a[0]);
        int hosts = Integer.parseInt(a[1]), records = Integer.parseInt(a[2]), segs = Integer.parseInt(a[3]);
        Path store = dir.resolve("store");
        TestArchive archive = new TestArchive(store);
        List<String> ids = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < hosts; i++) {
            String id = String.format("b-%03d", i);
            ids.add(id);
            TestArchive.Host h = archive.host(id, 100 + i, records);
            for (int s = 1; s <= segs; s++) h.segment(records * s / segs);
        }
        Path trust = archive.trustDir(dir.resolve("trust"), ids);
        System.out.printf("archive: %d hosts x %d records in %d segments each, built in %.1f s%n", hosts, records, segs, (System.nanoTime() - t0) / 1e9);
        for (String mode : a[4].split(",")) {
            int workers = mode.equals("local") ? 0 : Integer.parseInt(mode.substring(1));
            Path state = dir.resolve("state-" + mode);
            long s0 = System.nanoTime();
            VerifyJobResult r = new VerifyJobRunner().run(VerifyJobRequest.of(store.toString(), trust, state, dir.resolve("out-" + mode))
                    .withParallel(2, 1).withProgress(VerifyJobRequest.ProgressMode.NONE)
                    .withDistribution(new VerifyJobRequest.Distribution(Optional.empty(), Optional.empty(), workers)));
            double sec = (System.nanoTime() - s0) / 1e9;
            System.out.printf("%s: %s, %d records, %.1f s, %.0f records/s (incl. worker JVM start-up)%n", mode, r.status(),
                    r.counts().get().records(), sec, r.counts().get().records() / sec);
        }
    }
}

package org.imaarchiver.jobs.logview;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.imaarchiver.replay.log.BinaryLogReader;
import org.imaarchiver.replay.log.LogReadOptions;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.synth.LogGenerator;

/**
 * The log view's read benchmark of docs/performance.md ("Log view"); a command, not a test.
 *
 * <pre>
 * java -cp "$CP" org.imaarchiver.jobs.logview.LogViewBench WORKDIR [RECORDS] [TRIMS] [REPEAT]
 * </pre>
 *
 * Generates a RECORDS-record boot (SHA-1 list, as {@code binary_runtime_measurements}), keeps all but
 * its last record as TRIMS kept chunks (what the nightly job leaves after TRIMS trims) and puts the
 * last record in a plain-file "kernel" directory, mounts the view (FUSE, in this JVM), checks that
 * the view's file equals the generated list (SHA-256) and that evmctl matches it, then times
 * {@code cat FILE > /dev/null} and {@code evmctl ima_measurement} on the view's file and on the
 * generated file, alternating, REPEAT times each (best run counts).
 */
public final class LogViewBench {
    private static final String LIST = "binary_runtime_measurements_sha1";

    private LogViewBench() {}

    public static void main(String[] args) throws Exception {
        Path work = Files.createDirectories(Path.of(args[0]));
        long records = args.length > 1 ? Long.parseLong(args[1]) : 1_000_000;
        int trims = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        int repeat = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        Path plain = work.resolve("list.bin");
        Files.deleteIfExists(plain);
        LogGenerator.Summary gen = LogGenerator.writeFile(plain, records, LogGenerator.Options.defaults(1).withSignatureRate(0));
        System.out.printf("generated   %s: %d records, %d bytes, %d violations%n", plain, records, gen.bytes(), gen.violations());

        long[] offsets = offsets(plain, records);
        Path kernel = Files.createDirectories(work.resolve("kernel"));
        Path state = work.resolve("state");
        deleteTree(state);
        long end = records - 1; // the job leaves the last record in the kernel
        for (int t = 0; t < trims; t++) {
            long first = end * t / trims;
            long last = end * (t + 1) / trims;
            if (last <= first) continue;
            new KeptRecords(state).keep(0, first, last - first, d -> {
                copy(plain, offsets[(int) first], offsets[(int) last], d.resolve(LIST));
                return Optional.of(Map.of(LIST, new KeptChunk.Extent(offsets[(int) last] - offsets[(int) first],
                        edge(plain, offsets, first), edge(plain, offsets, last))));
            });
        }
        Files.deleteIfExists(kernel.resolve(LIST));
        copy(plain, offsets[(int) end], offsets[(int) records], kernel.resolve(LIST));
        Files.deleteIfExists(kernel.resolve("binary_runtime_measurements"));
        Files.createSymbolicLink(kernel.resolve("binary_runtime_measurements"), Path.of(LIST));
        Files.writeString(kernel.resolve(ListFiles.COUNT), "1\n");

        Path sha1Pcrs = Files.writeString(work.resolve("pcrs.sha1"), pcrFile(gen.expectedPcrs(), HashAlgorithm.SHA1));
        Path sha256Pcrs = Files.writeString(work.resolve("pcrs.sha256"), pcrFile(gen.expectedPcrs(), HashAlgorithm.SHA256));
        Path mount = Files.createDirectories(work.resolve("view"));
        try (AutoCloseable view = LogViewDaemon.mountInBackground(kernel, state, mount, System.err)) {
            Path viewed = mount.resolve("binary_runtime_measurements");
            String a = sha256(plain);
            String b = sha256(viewed);
            System.out.printf("same bytes  %s (%s)%n", a.equals(b), a);
            if (!a.equals(b)) throw new IllegalStateException("the view differs from the generated list");
            List<String> evm = List.of("evmctl", "ima_measurement", "--ignore-violations", "--pcrs", "sha1," + sha1Pcrs,
                    "--pcrs", "sha256," + sha256Pcrs);
            List<String> check = new ArrayList<>(evm);
            check.add(1, "-v");
            check.add(viewed.toString());
            String verdict = run(check).out().lines().filter(l -> l.startsWith("Matched") || l.startsWith("Failed to match")).findFirst().orElse("no verdict");
            System.out.printf("evmctl      %s%n", verdict);
            Map<String, double[]> times = new HashMap<>();
            for (int i = 0; i < repeat; i++) {
                for (Path f : List.of(plain, viewed)) {
                    String k = f == plain ? "file" : "view";
                    times.computeIfAbsent("cat " + k, x -> new double[repeat])[i] = run(List.of("sh", "-c", "cat '" + f + "' > /dev/null")).seconds();
                    List<String> e = new ArrayList<>(evm);
                    e.add(f.toString());
                    times.computeIfAbsent("evmctl " + k, x -> new double[repeat])[i] = run(e).seconds();
                }
            }
            double catFile = best(times.get("cat file"));
            double catView = best(times.get("cat view"));
            double evmFile = best(times.get("evmctl file"));
            double evmView = best(times.get("evmctl view"));
            System.out.printf("cat         file %s s, view %s s -> view speed %.0f %% of the file's%n", fmt(times.get("cat file")),
                    fmt(times.get("cat view")), 100 * catFile / catView);
            System.out.printf("evmctl      file %s s, view %s s -> view speed %.0f %% of the file's%n", fmt(times.get("evmctl file")),
                    fmt(times.get("evmctl view")), 100 * evmFile / evmView);
            System.out.printf("| %,d | %d | %.1f MB | %.3f | %.3f | %.0f %% | %.2f | %.2f | %.0f %% |%n", records, trims, gen.bytes() / 1e6,
                    catFile, catView, 100 * catFile / catView, evmFile, evmView, 100 * evmFile / evmView);
        }
    }

    private static long[] offsets(Path list, long records) throws Exception {
        long[] out = new long[(int) records + 1];
        try (InputStream in = new BufferedInputStream(Files.newInputStream(list), 1 << 20)) {
            BinaryLogReader r = BinaryLogReader.open(in, LogReadOptions.of(list.toString()).withBank(HashAlgorithm.SHA1));
            int i = 0;
            for (Optional<MeasurementRecord> m = r.next(); m.isPresent(); m = r.next()) out[i++] = m.get().offset();
            out[i] = r.bytesConsumed();
            if (i != records) throw new IllegalStateException("read " + i + " records, wanted " + records);
        }
        return out;
    }

    private static void copy(Path from, long start, long end, Path to) throws IOException {
        try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(to, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long done = 0;
            while (done < end - start) done += in.transferTo(start + done, end - start - done, out);
        }
    }

    private static KeptChunk.Edge edge(Path list, long[] offsets, long index) {
        try (FileChannel in = FileChannel.open(list, StandardOpenOption.READ)) {
            int len = (int) (offsets[(int) index + 1] - offsets[(int) index]);
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(len);
            while (b.hasRemaining()) in.read(b, offsets[(int) index] + b.position());
            return new KeptChunk.Edge(len, Digest.wrap(MessageDigest.getInstance("SHA-256").digest(b.array())));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pcrFile(Map<PcrBank, Digest> pcrs, HashAlgorithm bank) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i <= PcrBank.MAX_PCR; i++) {
            sb.append(String.format("PCR-%02d: %s%n", i, pcrs.getOrDefault(PcrBank.of(i, bank), bank.zero()).hex()));
        }
        return sb.toString();
    }

    private static String sha256(Path f) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(f)) {
            byte[] b = new byte[1 << 20];
            for (int n = in.read(b); n >= 0; n = in.read(b)) md.update(b, 0, n);
        }
        return java.util.HexFormat.of().formatHex(md.digest());
    }

    private record Run(double seconds, String out) {}

    private static Run run(List<String> cmd) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        p.waitFor();
        return new Run((System.nanoTime() - t0) / 1e9, out);
    }

    private static double best(double[] t) { return Arrays.stream(t).min().orElseThrow(); }

    private static String fmt(double[] t) {
        return String.join(", ", Arrays.stream(t).mapToObj(x -> String.format("%.3f", x)).toList());
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}

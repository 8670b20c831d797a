package org.imaarchiver.cli.archive;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.imaarchiver.cli.BenchCommand;
import org.imaarchiver.cli.CliError;
import org.imaarchiver.cli.ExitCode;
import org.imaarchiver.cli.CliContext;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.synth.LogGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench-verify}: builds an archive from a generated list (cut into segments, each ended by a
 * quote from a software P-256 "AK" over the generator's independently computed PCR values), then
 * times {@code verify} as a whole process against {@code evmctl ima_measurement} on the same list
 * (evmctl only replays whole lists from boot), and reports bytes per record on disk.
 */
@Command(name = "bench-verify", mixinStandardHelpOptions = true,
        description = {"Benchmark verify (a whole process) on a generated archive against evmctl ima_measurement.",
                "Also reports pack throughput and archive bytes per record against the raw list."})
public final class BenchVerifyCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Option(names = "--records", defaultValue = "200000", description = "Records to generate (default ${DEFAULT-VALUE}).")
    long records;

    @Option(names = "--segments", defaultValue = "4", description = "Segments to cut the list into (default ${DEFAULT-VALUE}).")
    int segments;

    @Option(names = "--parallel", paramLabel = "N", description = "verify --parallel (default: CPU count).")
    Integer parallel;

    @Option(names = "--repeat", defaultValue = "3", description = "Timed runs of each tool (default ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--heap", defaultValue = "256m", description = "-Xmx of verify's JVM (default ${DEFAULT-VALUE}).")
    String heap;

    @Option(names = "--out", paramLabel = "DIR", description = "Working directory, kept (default: a temporary one, deleted).")
    Path out;

    @Option(names = "--evmctl", negatable = true, description = "Compare with evmctl (default: when installed).")
    Boolean evmctl;

    @Option(names = "--seed", defaultValue = "1")
    long seed;

    @Option(names = "--fleet", paramLabel = "DIR", description = {"Fleet mode: generate (once; resumable) a fleet archive in DIR",
            "(--hosts x --nights segments) and time the verify job on it; DIR is kept and reused."})
    Path fleet;

    @Option(names = "--hosts", defaultValue = "1000", description = "Fleet mode: hosts (default ${DEFAULT-VALUE}).")
    int hosts;

    @Option(names = "--nights", defaultValue = "30", description = "Fleet mode: nightly segments per host (default ${DEFAULT-VALUE}).")
    int nights;

    @Option(names = "--boot-records", defaultValue = "1500",
            description = "Fleet mode: records of each host's first segment (boot to first night; default ${DEFAULT-VALUE}).")
    int bootRecords;

    @Option(names = "--records-per-night", defaultValue = "500",
            description = "Fleet mode: records of every later segment (default ${DEFAULT-VALUE}).")
    int recordsPerNight;

    @Option(names = "--generate-only", description = "Fleet mode: generate what is missing, time nothing.")
    boolean generateOnly;

    @Option(names = "--subsets", split = ",", paramLabel = "N", description = {"Fleet mode: time verify on the first N hosts",
            "(hard-linked copies of the archive; default: all hosts)."})
    List<Integer> subsets;

    @Option(names = "--threads", split = ",", paramLabel = "T", defaultValue = "1,2",
            description = "verify --threads and --parallel per timed configuration (default ${DEFAULT-VALUE}).")
    List<Integer> threads;

    public BenchVerifyCommand(CliContext ctx) { this.ctx = ctx; }

    @Override
    public Integer call() throws Exception {
        QuietLibraries.apply();
        if (records < 2 || segments < 1 || segments > records || repeat < 1) {
            throw CliError.usage("--records >= 2, 1 <= --segments <= --records and --repeat >= 1 are required");
        }
        if (parallel != null && parallel < 1) throw CliError.usage("--parallel: must be at least 1");
        boolean haveEvmctl = org.imaarchiver.cli.demo.SwtpmProcess.find("evmctl").isPresent();
        if (Boolean.TRUE.equals(evmctl) && !haveEvmctl) throw CliError.environment("evmctl not found (package ima-evm-utils)");
        boolean runEvmctl = haveEvmctl && !Boolean.FALSE.equals(evmctl);
        PrintStream o = ctx.out();
        if (fleet != null) return fleet(o);
        Path dir = out != null ? Files.createDirectories(out) : Files.createTempDirectory("ima-archiver-bench-verify");
        try {
            return run(dir, runEvmctl, o);
        } finally {
            if (out == null) StoreAccess.deleteTree(dir);
        }
    }

    private int run(Path dir, boolean runEvmctl, PrintStream o) throws Exception {
        Path log = dir.resolve("list.bin");
        Path store = dir.resolve("archive");
        Path keys = dir.resolve("keys");
        Path trust = dir.resolve("trust");
        String host = "bench-host";

        // Unsigned records, as in `bench`: evmctl would otherwise look up keys for signed records.
        LogGenerator.Options opts = LogGenerator.Options.defaults(seed).withSignatureRate(0)
                .withExpectedBanks(EnumSet.of(HashAlgorithm.SHA1, HashAlgorithm.SHA256));
        LogGenerator gen = LogGenerator.newList(opts);
        KeyPair ak = newAk();
        List<long[]> cuts = new ArrayList<>();
        List<SortedMap<PcrBank, Digest>> pcrsAtCut = new ArrayList<>();
        long g0 = System.nanoTime();
        long rawBytes = 0;
        try (OutputStream os = new java.io.BufferedOutputStream(Files.newOutputStream(log), 1 << 20)) {
            long done = 0;
            for (int s = 1; s <= segments; s++) {
                long to = records * s / segments;
                LogGenerator.Summary sum = gen.write(os, to - done, null);
                rawBytes += sum.bytes();
                done = to;
                cuts.add(new long[] {to});
                pcrsAtCut.add(sum.expectedPcrs());
            }
        }
        o.printf("generated  %d records (%.1f MB, %.1f B/record) in %.1f s%n", records, rawBytes / 1e6,
                (double) rawBytes / records, (System.nanoTime() - g0) / 1e9);

        // keys and trust
        run(List.of("keygen", "--out", keys.toString()), "keygen");
        Files.createDirectories(trust.resolve("signers"));
        Files.copy(keys.resolve("signing-cert.pem"), trust.resolve("signers/archiver.pem"));
        Files.createDirectories(trust.resolve("hosts/" + host));
        Files.writeString(trust.resolve("hosts/" + host + "/ak.pem"), pem(ak));

        long p0 = System.nanoTime();
        for (int s = 0; s < segments; s++) {
            long point = cuts.get(s)[0];
            byte[] nonce = nonce(point);
            byte[] attest = attest(pcrsAtCut.get(s), nonce);
            Path msg = dir.resolve("quote-" + point + ".msg");
            Path sig = dir.resolve("quote-" + point + ".sig");
            Files.write(msg, attest);
            Files.write(sig, sign(ak.getPrivate(), attest));
            run(List.of("pack", "--log", log.toString(), "--quote", msg.toString(), "--signature", sig.toString(),
                    "--ak", trust.resolve("hosts/" + host + "/ak.pem").toString(), "--nonce", hex(nonce), "--host", host,
                    "--key", keys.resolve("signing-key.pem").toString(), "--cert", keys.resolve("signing-cert.pem").toString(),
                    "--store", store.toString()), "pack");
        }
        double packSeconds = (System.nanoTime() - p0) / 1e9;
        o.printf("pack       %d segments in %.1f s in-process (%,.0f records/s; each pack re-reads the list from record 0)%n",
                segments, packSeconds, records / packSeconds);

        long parquet = 0;
        long sidecars = 0;
        try (Stream<Path> files = Files.walk(store)) {
            for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                if (p.toString().endsWith(".parquet")) parquet += Files.size(p);
                else sidecars += Files.size(p);
            }
        }
        o.printf("size       raw list %.1f B/record; parquet %.1f B/record (%.0f %%); + manifests/CMS %,d B in all%n",
                (double) rawBytes / records, (double) parquet / records, 100.0 * parquet / rawBytes, sidecars);

        double best = Double.MAX_VALUE;
        for (int t : threads) {
            List<String> verify = verifyCommand(store, trust, dir, t, Optional.empty());
            o.println("verify     " + show(verify));
            double[] times = new double[repeat];
            double[] cpus = new double[repeat];
            for (int i = 0; i < repeat; i++) {
                Run r = time(verify, dir);
                if (r.exitCode != 0) throw CliError.environment("verify exited " + r.exitCode + ": " + r.stdout.strip() + " " + r.stderr.strip());
                times[i] = r.seconds;
                cpus[i] = r.cpuSeconds;
                StoreAccess.deleteTree(dir.resolve("verify-state"));
            }
            double b = BenchCommand.min(times);
            best = Math.min(best, b);
            o.printf("verify     --threads %d: runs %s s -> best %,.0f records/s (whole process, %d cores)%s%n", t, BenchCommand.fmt(times),
                    records / b, Runtime.getRuntime().availableProcessors(), cpuNote(cpus));
        }

        if (runEvmctl) {
            SortedMap<PcrBank, Digest> end = pcrsAtCut.get(segments - 1);
            List<String> evm = new ArrayList<>(List.of("evmctl", "ima_measurement", "--ignore-violations"));
            for (HashAlgorithm b : List.of(HashAlgorithm.SHA1, HashAlgorithm.SHA256)) {
                Path f = dir.resolve("pcrs." + b.kernelName());
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i <= PcrBank.MAX_PCR; i++) {
                    sb.append(String.format("PCR-%02d: %s%n", i, end.getOrDefault(PcrBank.of(i, b), b.zero()).hex()));
                }
                Files.writeString(f, sb.toString());
                evm.add("--pcrs");
                evm.add(b.kernelName() + "," + f);
            }
            evm.add(log.toString());
            o.println("evmctl     " + String.join(" ", evm));
            List<String> verbose = new ArrayList<>(evm);
            verbose.add(1, "-v");
            Run check = time(verbose, dir);
            boolean matched = check.stdout.contains("Matched") || check.stderr.contains("Matched");
            o.println("agreement  evmctl " + (matched ? "Matched the generator's PCR values" : "did NOT match the generator's PCR values"));
            double[] evmTimes = new double[repeat];
            double[] evmCpus = new double[repeat];
            for (int i = 0; i < repeat; i++) {
                Run r = time(evm, dir);
                evmTimes[i] = r.seconds;
                evmCpus[i] = r.cpuSeconds;
            }
            double evmBest = BenchCommand.min(evmTimes);
            o.printf("evmctl     runs %s s -> best %,.0f records/s%s%n", BenchCommand.fmt(evmTimes), records / evmBest, cpuNote(evmCpus));
            o.printf("ratio      verify/evmctl = %.2f (records/s; verify also checks signatures, digests, links)%n", evmBest / best);
            if (!matched) return ExitCode.NOT_VERIFIED;
        }
        return ExitCode.OK;
    }

    /**
     * {@code verify} as its own process: {@code --threads t --parallel t} (1 thread: one host and one
     * segment at a time), a state directory under {@code dir} (deleted after each run by the caller),
     * no progress, and with {@code gcLog} a GC log for the heap peak.
     */
    private List<String> verifyCommand(Path store, Path trust, Path dir, int t, Optional<Path> gcLog) {
        List<String> v = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx" + heap));
        gcLog.ifPresent(g -> v.add("-Xlog:gc:file=" + g));
        v.addAll(List.of("-cp", System.getProperty("java.class.path"), ctx.mainClassName(), "verify", store.toString(),
                "--trust", trust.toString(), "--threads", Integer.toString(t), "--parallel", Integer.toString(parallel != null ? parallel : t),
                "--state", dir.resolve("verify-state").toString(), "--progress", "none"));
        return v;
    }

    private static String show(List<String> cmd) {
        return String.join(" ", cmd).replace(System.getProperty("java.class.path"), "<classpath>");
    }

    /** Fleet mode: generate once, then time verify per subset and thread count (wall, CPU, peak RSS, heap). */
    private int fleet(PrintStream o) throws Exception {
        if (hosts < 1 || nights < 1 || bootRecords < 2 || recordsPerNight < 1) {
            throw CliError.usage("--hosts, --nights, --records-per-night >= 1 and --boot-records >= 2 are required");
        }
        FleetArchive.Shape shape = new FleetArchive.Shape(hosts, nights, bootRecords, recordsPerNight);
        FleetArchive fa = new FleetArchive(Files.createDirectories(fleet), shape);
        long g0 = System.nanoTime();
        int made = fa.generate(Runtime.getRuntime().availableProcessors(), o);
        o.printf("fleet      %s: %d hosts x %d segments (%d + %d x %d records) = %,d records, %,d segments; generated %d hosts in %.0f s%n",
                fleet, hosts, nights, bootRecords, nights - 1, recordsPerNight, shape.records(), shape.segments(), made,
                (System.nanoTime() - g0) / 1e9);
        if (generateOnly) return ExitCode.OK;
        List<Integer> sizes = subsets == null ? List.of(hosts) : subsets;
        for (int n : sizes) {
            if (n < 1 || n > hosts) throw CliError.usage("--subsets: " + n + " is not in 1.." + hosts);
            long present;
            try (Stream<Path> h = Files.list(fa.archive().resolve("hosts"))) {
                present = h.count();
            }
            // more hosts on disk than timed (a larger generation, maybe still running): a hard-linked copy of the first n
            Path store = n == present ? fa.archive() : subset(fa, n);
            long recs = (long) n * (bootRecords + (long) (nights - 1) * recordsPerNight);
            for (int t : threads) {
                for (int i = 0; i < repeat; i++) {
                    Path gc = fleet.resolve("gc-" + n + "-" + t + "-" + i + ".log");
                    List<String> verify = verifyCommand(store, fa.trust(), fleet, t, Optional.of(gc));
                    if (i == 0) o.println("verify     " + show(verify));
                    String load = Files.readString(Path.of("/proc/loadavg")).strip();
                    Run r = time(verify, fleet);
                    StoreAccess.deleteTree(fleet.resolve("verify-state"));
                    if (r.exitCode != 0) throw CliError.environment("verify exited " + r.exitCode + ": " + r.stderr.strip());
                    long[] heapMb = heapPeaks(gc);
                    o.printf("fleet      hosts %d threads %d: wall %.1f s, CPU %.1f s, %,.0f records/s, %.1f ms/segment, peak RSS %d MB,"
                                    + " heap max before GC %d MB / after GC %d MB / late after-GC floor %d MB (-Xmx%s); loadavg before: %s%n",
                            n, t, r.seconds, r.cpuSeconds, recs / r.seconds, 1000 * r.seconds / ((long) n * nights),
                            r.maxRssKb / 1024, heapMb[0], heapMb[1], heapMb[2], heap, load);
                }
            }
        }
        return ExitCode.OK;
    }

    /** An archive of the first {@code n} hosts: hard links into the full archive (no copy of the data). */
    private static Path subset(FleetArchive fa, int n) throws IOException {
        Path root = fa.archive().resolveSibling("archive-" + n);
        if (Files.isDirectory(root)) return root;
        Path tmp = fa.archive().resolveSibling("archive-" + n + ".tmp");
        StoreAccess.deleteTree(tmp);
        for (int i = 0; i < n; i++) {
            Path from = fa.archive().resolve("hosts").resolve(FleetArchive.hostId(i));
            try (Stream<Path> files = Files.walk(from)) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    Path to = tmp.resolve(fa.archive().relativize(p));
                    if (Files.isDirectory(p)) Files.createDirectories(to);
                    else Files.createLink(to, p);
                }
            }
        }
        Files.move(tmp, root);
        return root;
    }

    /**
     * From a {@code -Xlog:gc} file, in MB: the largest heap occupancy before a collection, the largest
     * after one, and the smallest after one in the second half of the run. A young pause leaves old
     * garbage in place, so the largest "after" overstates the live set; the late floor is the
     * steady live set, the figure that would grow if something were kept per host.
     */
    static long[] heapPeaks(Path gcLog) throws IOException {
        List<long[]> pauses = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)M->(\\d+)M\\(\\d+M\\)")
                .matcher(Files.exists(gcLog) ? Files.readString(gcLog) : "");
        while (m.find()) pauses.add(new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))});
        long before = 0;
        long after = 0;
        long floor = Long.MAX_VALUE;
        for (int i = 0; i < pauses.size(); i++) {
            before = Math.max(before, pauses.get(i)[0]);
            after = Math.max(after, pauses.get(i)[1]);
            if (i >= pauses.size() / 2) floor = Math.min(floor, pauses.get(i)[1]);
        }
        return new long[] {before, after, floor == Long.MAX_VALUE ? 0 : floor};
    }

    private void run(List<String> args, String what) throws CliError {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = ctx.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        if (code != 0) {
            throw CliError.environment(what + " exited " + code + ": " + (out.toString(StandardCharsets.UTF_8)
                    + err.toString(StandardCharsets.UTF_8)).strip().replace('\n', ' '));
        }
    }

    /** A software attestation key: P-256, as a TPM's ECC AK (ECDSA/SHA-256). */
    static KeyPair newAk() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    static String pem(KeyPair kp) {
        return "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(kp.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }

    /** 20-byte big-endian record count, as the shared test data's swtpm quotes. */
    static byte[] nonce(long point) {
        byte[] n = new byte[20];
        for (int i = 0; i < 8; i++) n[19 - i] = (byte) (point >>> (8 * i));
        return n;
    }

    /**
     * TPMS_ATTEST of a quote (TPM 2.0 Part 2 §10.12.8, kernel-interface.md C.1) over the sha256 bank of
     * every PCR the list touched: pcrDigest = SHA-256 of the selected values in PCR order.
     */
    static byte[] attest(SortedMap<PcrBank, Digest> pcrs, byte[] nonce) throws Exception {
        TreeSet<Integer> selected = new TreeSet<>();
        for (PcrBank b : pcrs.keySet()) if (b.algorithm() == HashAlgorithm.SHA256) selected.add(b.index());
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] bitmap = new byte[3];
        for (int pcr : selected) {
            bitmap[pcr / 8] |= (byte) (1 << (pcr % 8));
            md.update(pcrs.get(PcrBank.of(pcr, HashAlgorithm.SHA256)).bytes());
        }
        byte[] digest = md.digest();
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        u32(o, 0xFF544347L);         // TPM_GENERATED_VALUE
        u16(o, 0x8018);              // TPM_ST_ATTEST_QUOTE
        u16(o, 34);                  // qualifiedSigner: TPM2B_NAME (sha256 name of a software key)
        o.writeBytes(new byte[34]);
        u16(o, nonce.length);        // extraData
        o.writeBytes(nonce);
        u32(o, 0);                   // clockInfo.clock (u64)
        u32(o, 1000);
        u32(o, 1);                   // resetCount
        u32(o, 0);                   // restartCount
        o.write(1);                  // safe
        u32(o, 0);                   // firmwareVersion (u64)
        u32(o, 1);
        u32(o, 1);                   // TPML_PCR_SELECTION.count
        u16(o, 0x000B);              // TPM_ALG_SHA256
        o.write(3);                  // sizeofSelect
        o.writeBytes(bitmap);
        u16(o, digest.length);       // pcrDigest
        o.writeBytes(digest);
        return o.toByteArray();
    }

    /** TPMT_SIGNATURE: TPM_ALG_ECDSA, TPM_ALG_SHA256, TPM2B r, TPM2B s. */
    static byte[] sign(PrivateKey key, byte[] attest) throws Exception {
        Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
        s.initSign(key);
        s.update(attest);
        byte[] rs = s.sign();
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        u16(o, 0x0018);
        u16(o, 0x000B);
        u16(o, 32);
        o.write(rs, 0, 32);
        u16(o, 32);
        o.write(rs, 32, 32);
        return o.toByteArray();
    }

    private static void u16(ByteArrayOutputStream o, int v) {
        o.write(v >> 8);
        o.write(v);
    }

    private static void u32(ByteArrayOutputStream o, long v) {
        o.write((int) (v >> 24));
        o.write((int) (v >> 16));
        o.write((int) (v >> 8));
        o.write((int) v);
    }

    private static String hex(byte[] b) { return java.util.HexFormat.of().formatHex(b); }

    /**
     * One timed process: wall seconds and, when /usr/bin/time exists, user+system CPU seconds and the
     * peak resident set size in KiB (else -1).
     */
    record Run(int exitCode, double seconds, double cpuSeconds, long maxRssKb, String stdout, String stderr) {}

    private static final Path GNU_TIME = Path.of("/usr/bin/time");
    private static final String CPU_MARK = "ima-archiver-cpu ";

    static Run time(List<String> cmd, Path dir) throws IOException, InterruptedException {
        Path so = Files.createTempFile(dir, "out", ".txt");
        Path se = Files.createTempFile(dir, "err", ".txt");
        try {
            List<String> full = new ArrayList<>();
            // CPU time next to wall time: on a shared, loaded machine wall time mostly measures the neighbours
            if (Files.isExecutable(GNU_TIME)) full.addAll(List.of(GNU_TIME.toString(), "-f", CPU_MARK + "%U %S %M"));
            full.addAll(cmd);
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(full).redirectOutput(so.toFile()).redirectError(se.toFile()).start();
            if (!p.waitFor(30, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException(cmd.get(0) + " timed out");
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            String err = Files.readString(se, StandardCharsets.UTF_8);
            double cpu = -1;
            long rss = -1;
            int at = err.lastIndexOf(CPU_MARK);
            if (at >= 0) {
                String[] f = err.substring(at + CPU_MARK.length()).strip().split("\\s+");
                try {
                    cpu = Double.parseDouble(f[0]) + Double.parseDouble(f[1]);
                    rss = Long.parseLong(f[2]);
                } catch (RuntimeException e) {
                    cpu = -1;
                }
                err = err.substring(0, at);
            }
            return new Run(p.exitValue(), secs, cpu, rss, Files.readString(so, StandardCharsets.UTF_8), err);
        } finally {
            Files.deleteIfExists(so);
            Files.deleteIfExists(se);
        }
    }

    private static String cpuNote(double[] cpus) {
        if (BenchCommand.min(cpus) < 0) return "";
        return "; CPU (user+sys) " + BenchCommand.fmt(cpus) + " s";
    }
}

package org.imaarchiver.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.imaarchiver.archive.io.OutputTargets;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.synth.LogGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench}: whole-process throughput of our replay (a fresh JVM with a small heap, parse +
 * template-digest verification + PCR replay) against {@code evmctl ima_measurement} on the same file
 * in the same run, plus the per-core hash limit measured by {@code openssl speed}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmark our replay (as a whole process) against evmctl ima_measurement on a generated list."})
public final class BenchCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Option(names = "--records", defaultValue = "1000000", description = "Records to generate (default ${DEFAULT-VALUE}).")
    long records;

    @Option(names = "--banks", defaultValue = Inputs.DEFAULT_BANKS, description = "Banks (default ${DEFAULT-VALUE}).")
    String banks;

    @Option(names = "--threads", defaultValue = "0", description = "Hashing threads for our replay (default: one per core).")
    int threads;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the list and PCR files go (default: a temporary directory).")
    Path out;

    @Option(names = "--evmctl", negatable = true,
            description = "Compare with evmctl (default: when installed; --evmctl makes it mandatory).")
    Boolean evmctl;

    @Option(names = "--repeat", defaultValue = "3", description = "Timed runs of each tool (default ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--heap", defaultValue = "128m", description = "-Xmx of our replay's JVM (default ${DEFAULT-VALUE}).")
    String heap;

    @Option(names = "--jvm-opt", paramLabel = "OPT", description = "Extra JVM option for our replay (repeatable).")
    List<String> jvmOpts = new ArrayList<>();

    @Option(names = "--seed", defaultValue = "1")
    long seed;

    BenchCommand(CliContext ctx) { this.ctx = ctx; }

    @Override
    public Integer call() throws Exception {
        if (records < 1 || repeat < 1) throw CliError.usage("--records and --repeat must be positive");
        Set<HashAlgorithm> bankSet = Inputs.banks(banks, "--banks");
        boolean haveEvmctl = findTool("evmctl");
        if (Boolean.TRUE.equals(evmctl) && !haveEvmctl) {
            throw CliError.environment("evmctl not found: install the Debian package ima-evm-utils (scripts/install-deps does)");
        }
        boolean runEvmctl = haveEvmctl && !Boolean.FALSE.equals(evmctl);
        var o = ctx.out();
        Path dir = out != null ? Files.createDirectories(out) : Files.createTempDirectory("ima-archiver-bench");
        Path log = dir.resolve("bench-" + records + ".bin");

        long g0 = System.nanoTime();
        // Unsigned ima-sig records: evmctl would otherwise stat and hash local files named by signed records
        // (kernel-interface.md T.3), which measures the file system, not the replay.
        LogGenerator.Summary gen = LogGenerator.writeFile(log, records,
                LogGenerator.Options.defaults(seed).withSignatureRate(0).withExpectedBanks(EnumSet.noneOf(HashAlgorithm.class)));
        o.printf("generated  %s: %d records, %d violations, %.1f MB in %.1f s%n", log, records, gen.violations(),
                gen.bytes() / 1e6, (System.nanoTime() - g0) / 1e9);
        o.printf("machine    %d cores (nproc), %s, java %s%n", Runtime.getRuntime().availableProcessors(), cpuModel(),
                System.getProperty("java.version"));

        List<String> ours = ourCommand(log);
        o.println("ours       " + String.join(" ", ours).replace(System.getProperty("java.class.path"), "<classpath>"));
        // one untimed run first: its PCR values feed evmctl's --pcrs files
        Run first = time(ours, dir);
        if (first.exitCode != 0) throw CliError.environment("our replay exited " + first.exitCode + ": " + first.stderr.strip());
        Map<PcrBank, Digest> pcrs = parsePcrs(first.stdout);

        List<String> evm = new ArrayList<>(List.of("evmctl", "ima_measurement", "--ignore-violations"));
        boolean matched = false;
        if (runEvmctl) {
            for (HashAlgorithm b : bankSet) {
                Path f = dir.resolve("pcrs." + b.kernelName());
                OutputTargets.requireReplaceable(f);
                Files.writeString(f, evmctlFile(pcrs, b));
                evm.add("--pcrs");
                evm.add(b.kernelName() + "," + f);
            }
            evm.add(log.toString());
            o.println("evmctl     " + String.join(" ", evm));
            // evmctl exits 0 even when it compared nothing: an untimed -v run must say "Matched" (kernel-interface.md T.3)
            List<String> verbose = new ArrayList<>(evm);
            verbose.add(1, "-v");
            Run check = time(verbose, dir);
            matched = check.stdout.contains("Matched") || check.stderr.contains("Matched");
            o.println("agreement  evmctl " + (matched ? "Matched our PCR values" : "did NOT match our PCR values"));
        }
        // alternate the tools so a change in machine load hits both alike
        double[] ourTimes = new double[repeat];
        double[] evmTimes = new double[repeat];
        for (int i = 0; i < repeat; i++) {
            Run r = time(ours, dir);
            if (r.exitCode != 0) throw CliError.environment("our replay exited " + r.exitCode + ": " + r.stderr.strip());
            ourTimes[i] = r.seconds;
            if (runEvmctl) evmTimes[i] = time(evm, dir).seconds;
        }
        double ourBest = min(ourTimes);
        o.printf("ours       runs %s s -> best %,.0f records/s (-Xmx%s)%n", fmt(ourTimes), records / ourBest, heap);
        if (runEvmctl) {
            double evmBest = min(evmTimes);
            o.printf("evmctl     runs %s s -> best %,.0f records/s%n", fmt(evmTimes), records / evmBest);
            o.printf("ratio      ours/evmctl = %.2f (records/s, best runs)%n", evmBest / ourBest);
        }
        opensslLimit(gen, bankSet);
        return runEvmctl && !matched ? ExitCode.NOT_VERIFIED : ExitCode.OK;
    }

    private List<String> ourCommand(Path log) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + heap));
        cmd.addAll(jvmOpts);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ctx.mainClassName(), "replay", "--json",
                "--banks", banks));
        cmd.addAll(List.of("--threads", Integer.toString(threads)));
        cmd.add(log.toString());
        return cmd;
    }

    private record Run(int exitCode, double seconds, String stdout, String stderr) {}

    private static Run time(List<String> cmd, Path dir) throws IOException, InterruptedException {
        Path so = Files.createTempFile(dir, "out", ".txt");
        Path se = Files.createTempFile(dir, "err", ".txt");
        try {
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(cmd).redirectOutput(so.toFile()).redirectError(se.toFile()).start();
            if (!p.waitFor(30, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException(cmd.get(0) + " timed out");
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            return new Run(p.exitValue(), secs, Files.readString(so, StandardCharsets.UTF_8),
                    Files.readString(se, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(so);
            Files.deleteIfExists(se);
        }
    }

    /** PCR values from our replay --json ("pcrs": {"10": {"sha1": hex}}). */
    static Map<PcrBank, Digest> parsePcrs(String json) throws CliError {
        Map<PcrBank, Digest> m = new java.util.TreeMap<>();
        try {
            Map<String, Object> top = Json.asObject(Json.parse(json), "replay output");
            for (var e : Json.asObject(top.get("pcrs"), "pcrs").entrySet()) {
                int pcr = Integer.parseInt(e.getKey());
                for (var b : Json.asObject(e.getValue(), "pcrs." + e.getKey()).entrySet()) {
                    HashAlgorithm a = HashAlgorithm.byKernelName(b.getKey()).orElseThrow();
                    m.put(PcrBank.of(pcr, a), Digest.ofHex(Json.asString(b.getValue(), "pcr value")));
                }
            }
        } catch (Json.JsonException | RuntimeException e) {
            throw CliError.environment("cannot read our replay's JSON output: " + e.getMessage());
        }
        return m;
    }

    /** 24 lines from PCR-00 (kernel-interface.md T.3). */
    static String evmctlFile(Map<PcrBank, Digest> pcrs, HashAlgorithm bank) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i <= PcrBank.MAX_PCR; i++) {
            sb.append(String.format("PCR-%02d: %s%n", i, pcrs.getOrDefault(PcrBank.of(i, bank), bank.zero()).hex()));
        }
        return sb.toString();
    }

    private static final Pattern OPENSSL_LINE = Pattern.compile("^(sha1|sha256|sha384|sha512)\\s+([0-9.]+)k\\s*$");

    /**
     * Per-core limit from {@code openssl speed -bytes 64}: a record costs, per bank, the hash of its
     * template data plus one extend hash (PCR || value); the bound assumes only hashing costs time.
     */
    private void opensslLimit(LogGenerator.Summary gen, Set<HashAlgorithm> bankSet) throws IOException, InterruptedException {
        var o = ctx.out();
        if (!findTool("openssl")) {
            o.println("openssl    not found; no per-core hash limit");
            return;
        }
        List<String> cmd = new ArrayList<>(List.of("openssl", "speed", "-seconds", "1", "-bytes", "64"));
        for (HashAlgorithm b : bankSet) cmd.add(b.kernelName());
        Run r = time(cmd, Path.of(System.getProperty("java.io.tmpdir")));
        Map<String, Double> bytesPerSec = parseOpensslSpeed(r.stdout);
        double avgRecord = (double) gen.bytes() / gen.records();
        double avgData = avgRecord - 4 - 20 - 4 - 7 - 4;  // pcr, digest, name length, a typical name, data length
        double secondsPerRecord = 0;
        StringBuilder parts = new StringBuilder();
        for (HashAlgorithm b : bankSet) {
            Double bps = bytesPerSec.get(b.kernelName());
            if (bps == null) continue;
            int block = b.digestLength() > 32 ? 128 : 64;
            double blocksPerHash64 = 1 + (64 + 8 >= block ? 1 : 0);  // a 64-byte message plus padding
            double blockRate = bps / 64 * blocksPerHash64;           // compression calls per second
            double blocks = Math.ceil((avgData + 9) / block) + Math.ceil((2.0 * b.digestLength() + 9) / block);
            secondsPerRecord += blocks / blockRate;
            parts.append(String.format("%s %,.0f 64-byte hashes/s; ", b.kernelName(), bps / 64));
        }
        o.printf("openssl    per core: %s(openssl speed -seconds 1 -bytes 64 %s)%n", parts,
                String.join(" ", cmd.subList(6, cmd.size())));
        if (secondsPerRecord > 0) {
            o.printf("limit      hashing alone allows ~%,.0f records/s per core (avg record %.0f bytes)%n",
                    1 / secondsPerRecord, avgRecord);
        }
    }

    /** "sha256  283453.65k" lines: thousands of bytes per second for 64-byte inputs. */
    static Map<String, Double> parseOpensslSpeed(String output) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (String line : output.split("\n")) {
            Matcher mt = OPENSSL_LINE.matcher(line.strip());
            if (mt.matches()) m.put(mt.group(1), Double.parseDouble(mt.group(2)) * 1000);
        }
        return m;
    }

    static String cpuModel() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) return l.substring(l.indexOf(':') + 1).strip();
            }
        } catch (IOException e) {
            // not Linux: leave it out
        }
        return "unknown CPU";
    }

    private static boolean findTool(String name) {
        return org.imaarchiver.cli.demo.SwtpmProcess.find(name).isPresent();
    }

    /** The smallest of the timings (the best run). */
    public static double min(double[] a) {
        double m = Double.MAX_VALUE;
        for (double d : a) m = Math.min(m, d);
        return m;
    }

    /** Timings as "1.23 4.56 ...". */
    public static String fmt(double[] a) {
        StringBuilder sb = new StringBuilder();
        for (double d : a) sb.append(sb.length() == 0 ? "" : " ").append(String.format("%.2f", d));
        return sb.toString();
    }
}

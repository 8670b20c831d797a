package org.imaarchiver.jobs.nightly;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.imaarchiver.jobs.host.imafs.ImafsEmulator;

/**
 * The nightly-run measurement of docs/performance.md ("Nightly run"); a command, not a test.
 *
 * <pre>
 * java -cp "$(cat jobs/target/bench.cp):jobs/target/classes:jobs/target/test-classes" \
 *     org.imaarchiver.jobs.nightly.NightlyBench WORKDIR RECORDS [XMX]
 * </pre>
 *
 * Starts swtpm and the imafs emulator (extending the swtpm, as IMA does), measures a boot_aggregate
 * and RECORDS ima-ng records through the control socket (pipelined; the feed is timed on its own),
 * then runs {@code archive} once in a child JVM under {@code /usr/bin/time -v} with {@code -XmxXMX}
 * (default 256m) and prints the job's log line and the child's wall time and peak RSS.
 */
public final class NightlyBench {
    private NightlyBench() {}

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        int records = Integer.parseInt(args[1]);
        String xmx = args.length > 2 ? args[2] : "256m";
        Files.createDirectories(work);
        try (NightlyHarness h = new NightlyHarness(work)) {
            h.bootAggregate("bench");
            long t0 = System.nanoTime();
            feed(h.emu, records);
            double feedS = (System.nanoTime() - t0) / 1e9;
            System.out.printf("feed records=%d seconds=%.1f per_record_us=%.1f kernel_count=%d%n", records, feedS,
                    feedS * 1e6 / records, h.kernelCount());

            List<String> cmd = new ArrayList<>(List.of("/usr/bin/time", "-v",
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + xmx,
                    "-Xlog:gc:file=" + work.resolve("gc.log"),
                    "-cp", System.getProperty("java.class.path"), NightlyApplication.class.getName()));
            cmd.addAll(h.properties());
            Path log = work.resolve("archive-run.log");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(60, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("archive run hung");
            }
            for (String line : Files.readAllLines(log)) {
                String l = line.strip();
                if (l.startsWith("ima-archiver archive") || l.startsWith("Elapsed (wall clock)") || l.startsWith("Maximum resident")
                        || l.startsWith("User time") || l.startsWith("System time") || l.startsWith("Exit status")) {
                    System.out.println(l);
                }
            }
            System.out.println("kernel_count_after=" + h.kernelCount() + " xmx=" + xmx + " peak_heap_before_gc_mb="
                    + peakHeapMb(work.resolve("gc.log")));
            long t1 = System.nanoTime();
            var report = h.verifyChain();
            System.out.printf("verify ok=%s seconds=%.1f%n", report.ok(), (System.nanoTime() - t1) / 1e9);
        }
    }

    /** The largest heap occupancy a GC log line reports before a collection ({@code 24M->5M(64M)}). */
    static long peakHeapMb(Path gcLog) throws IOException {
        java.util.regex.Pattern p = java.util.regex.Pattern.compile("(\\d+)M->(\\d+)M\\(");
        long max = 0;
        for (String line : Files.readAllLines(gcLog)) {
            java.util.regex.Matcher m = p.matcher(line);
            while (m.find()) max = Math.max(max, Long.parseLong(m.group(1)));
        }
        return max;
    }

    /**
     * RECORDS distinct ima-ng records on PCR 10 through the control socket: a writer thread sends
     * the {@code measure} lines while this thread counts the {@code ok} replies (the emulator
     * handles them one by one, each followed by its TPM2_PCR_Extend).
     */
    static void feed(ImafsEmulator emu, int records) throws Exception {
        try (SocketChannel ch = SocketChannel.open(java.net.UnixDomainSocketAddress.of(emu.controlSocket()))) {
            AtomicLong sent = new AtomicLong();
            Thread writer = new Thread(() -> {
                try {
                    StringBuilder batch = new StringBuilder();
                    for (int i = 0; i < records; i++) {
                        byte[] data = ImafsEmulator.imaNg("sha256", NightlyHarness.sha256("bench file " + i), "/usr/lib/bench/file-" + i);
                        batch.append("measure 10 ima-ng ").append(HexFormat.of().formatHex(data)).append('\n');
                        if (batch.length() > 60_000 || i == records - 1) {
                            ByteBuffer b = ByteBuffer.wrap(batch.toString().getBytes(StandardCharsets.US_ASCII));
                            while (b.hasRemaining()) ch.write(b);
                            batch.setLength(0);
                        }
                        sent.incrementAndGet();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "bench-feed");
            writer.start();
            ByteBuffer in = ByteBuffer.allocate(1 << 16);
            long replies = 0;
            StringBuilder line = new StringBuilder();
            while (replies < records) {
                in.clear();
                if (ch.read(in) < 0) throw new IOException("control socket closed after " + replies + " replies");
                in.flip();
                while (in.hasRemaining()) {
                    char c = (char) in.get();
                    if (c != '\n') {
                        line.append(c);
                        continue;
                    }
                    if (!line.toString().startsWith("ok")) throw new IOException("measure " + replies + ": " + line);
                    line.setLength(0);
                    replies++;
                }
            }
            writer.join();
        }
    }
}

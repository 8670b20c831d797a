package org.imaarchiver.cli.demo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.imaarchiver.archive.chain.ChainFinding;
import org.imaarchiver.archive.chain.ChainReport;
import org.imaarchiver.archive.chain.ChainVerifier;
import org.imaarchiver.archive.chain.TrustStore;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.LocalDirectoryStore;
import org.imaarchiver.jobs.config.ArchiverSettings;
import org.imaarchiver.jobs.host.imafs.ImafsProcess;
import org.imaarchiver.jobs.nightly.Enroller;
import org.imaarchiver.jobs.nightly.NightlyApplication;
import org.imaarchiver.jobs.nightly.RunOutcome;

/**
 * The real nightly loop on an embedded host: a fresh swtpm, the emulated Linux 7.2 securityfs
 * extending it, a generated signing key, an AK enrolled with the {@code enroll} code; then per night
 * new measurements and one run of the {@code archive} job (the same Spring Batch job, configured
 * with {@code --ima-archiver.*} properties pointing at the emulator, the swtpm and a local directory
 * store), and at the end the whole chain verified with the {@code verify} code.
 *
 * <p>Layout of the work directory: {@code tpm/} (swtpm state), {@code emu/} (mount point
 * {@code mnt}, control socket, emulator log), {@code keys/} (signing key and certificate),
 * {@code enroll/} (the enrolled AK), {@code trust/} (the verifier's trust directory),
 * {@code archive/} (the store), {@code state/} (with the kept records of trimmed boots' lists),
 * {@code run/lock}, {@code metrics/}, {@code view/} (the log view's mount point while the demo shows
 * it) and {@code archive-runs.log} (the job's log lines).
 */
public final class NightlyDemo {
    /** The archive's name for the emulated host. */
    public static final String HOST = "demo-host";

    /** What the demo does. */
    public record Plan(int nights, long recordsPerNight, long seed, Path dir, boolean keep) {}

    /** One night's result, from the job's log line and the emulator's count. */
    public record Night(int night, long measured, long duplicatesDropped, int exitCode, String outcome, long recordsArchived,
                        long recordsTrimmed, long kernelListWhenRead, long kernelListAfter, Duration duration) {}

    /** The demo's verdict: every night in the operational success set (0, 10, 11) and the chain verifies. */
    public record Result(List<Night> nights, ChainReport chain, long kernelListNow, int exitCode) {}

    private static final Pattern KEY_VALUE = Pattern.compile("(\\w+)=(\"(?:[^\"\\\\]|\\\\.)*\"|\\S+)");

    private final Plan plan;
    private final PrintStream out;
    private final Deque<AutoCloseable> running = new ArrayDeque<>();
    private boolean stopped;

    public NightlyDemo(Plan plan, PrintStream out) {
        this.plan = plan;
        this.out = out;
    }

    /**
     * Runs the demo; swtpm and the emulator are stopped at the end, on errors and on Ctrl-C (a
     * shutdown hook). With {@link Plan#keep()} they stay up after the summary until Ctrl-C.
     */
    public Result run(Path emulatorBinary)
            throws IOException, InterruptedException, SwtpmProcess.TpmUnavailableException, ImafsProcess.UnavailableException {
        Path binary = emulatorBinary;
        Path dir = plan.dir();
        Thread hook = new Thread(this::stopAll, "ima-archiver-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            Result r = runWith(binary, dir);
            if (plan.keep()) waitForCtrlC(dir);
            return r;
        } finally {
            stopAll();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or has run
            }
        }
    }

    /**
     * Checks what the demo needs and returns the emulator binary (built by scripts/build-imafs when
     * missing): swtpm and tpm2-tools first, then FUSE, then the build; each failure names what is
     * missing (the CLI's exit 3).
     */
    public static Path prepare(Path projectRoot)
            throws IOException, InterruptedException, SwtpmProcess.TpmUnavailableException, ImafsProcess.UnavailableException {
        SwtpmProcess.requireTools("swtpm", "swtpm", "tpm2_startup", "tpm2-tools");
        ImafsProcess.requireFuse();
        return ImafsProcess.binary(projectRoot);
    }

    private Result runWith(Path binary, Path dir)
            throws IOException, InterruptedException, SwtpmProcess.TpmUnavailableException, ImafsProcess.UnavailableException {
        SwtpmProcess tpm = started(SwtpmProcess.start(dir.resolve("tpm")));
        out.printf("swtpm        127.0.0.1:%d, state %s%n", tpm.port(), dir.resolve("tpm"));
        ImafsProcess emu = started(ImafsProcess.start(binary, dir.resolve("emu"),
                List.of("--banks", "sha1,sha256", "--tpm", "127.0.0.1:" + tpm.port())));
        out.printf("securityfs   %s (imafs-emulator: Linux 7.2 with CONFIG_IMA_STAGING, extends the swtpm)%n", emu.mountPoint());

        Path keys = dir.resolve("keys");
        KeyMaterial.generate(KeyMaterial.KeyType.P256, "ima-archiver demo signer", Instant.now().minus(1, ChronoUnit.DAYS),
                Instant.now().plus(365, ChronoUnit.DAYS)).writePem(keys);
        Path trust = dir.resolve("trust");
        Files.createDirectories(trust.resolve("signers"));
        Files.copy(keys.resolve(KeyMaterial.CERT_FILE), trust.resolve("signers/archiver.pem"));
        out.printf("signing key  %s (P-256, self-signed certificate copied to %s)%n", keys, trust.resolve("signers"));

        Path enrolled = dir.resolve("enroll");
        try {
            Enroller.enroll(settings(emu, tpm), enrolled, false);
        } catch (org.imaarchiver.jobs.host.tpm.TpmFailure e) {
            throw new SwtpmProcess.TpmUnavailableException("enroll against the swtpm failed: " + e.getMessage());
        }
        Path akInTrust = Files.createDirectories(trust.resolve("hosts").resolve(HOST)).resolve("ak.pem");
        Files.copy(enrolled.resolve("ak.pem"), akInTrust);
        out.printf("AK           enrolled (primary, endorsement hierarchy, name %s), public key in %s%n",
                Files.readString(enrolled.resolve("ak.name")).strip(), akInTrust);

        MeasurementFeeder feeder = new MeasurementFeeder(emu, plan.seed());
        List<String> properties = properties(emu, tpm);
        List<Night> nights = new java.util.ArrayList<>();
        for (int n = 1; n <= plan.nights(); n++) {
            MeasurementFeeder.Fed fed = feeder.feed(plan.recordsPerNight());
            Night night = archiveNight(n, fed, properties, emu, dir.resolve("archive-runs.log"));
            nights.add(night);
            out.printf("night %d      measured %d%s, archive: %s (exit %d), archived %d, trimmed %d, kernel list %d -> %d records, %.1f s%n",
                    n, fed.measured(), extras(fed),
                    night.outcome(), night.exitCode(), night.recordsArchived(), night.recordsTrimmed(),
                    night.kernelListWhenRead(), night.kernelListAfter(), night.duration().toMillis() / 1000.0);
        }

        ChainReport chain = verify(dir.resolve("archive"), trust);
        long kernelNow = emu.currentCount();
        boolean nightsOk = nights.stream().allMatch(x -> isSuccess(x.exitCode()));
        int code = nightsOk && chain.ok() ? 0
                : nights.stream().anyMatch(x -> x.exitCode() == RunOutcome.ENVIRONMENT_ERROR.exitCode()) ? 3 : 1;
        printSummary(nights, chain, kernelNow, dir, trust);
        ViewDemo.show(emu.mountPoint(), dir.resolve("state"), dir.resolve("view"), tpm, dir, out);
        return new Result(List.copyOf(nights), chain, kernelNow, code);
    }

    private static String extras(MeasurementFeeder.Fed fed) {
        List<String> parts = new java.util.ArrayList<>();
        if (fed.violations() > 0) parts.add(fed.violations() + " violation" + (fed.violations() == 1 ? "" : "s"));
        if (fed.duplicatesDropped() > 0) parts.add(fed.duplicatesDropped() + " duplicate" + (fed.duplicatesDropped() == 1 ? "" : "s") + " dropped");
        return parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")";
    }

    private void printSummary(List<Night> nights, ChainReport chain, long kernelNow, Path dir, Path trust) {
        long archived = nights.stream().mapToLong(Night::recordsArchived).sum();
        long trimmed = nights.stream().mapToLong(Night::recordsTrimmed).sum();
        out.println();
        out.printf("nights           %d%n", nights.size());
        out.printf("segments         %d%n", chain.segments());
        out.printf("records archived %d (trimmed from the kernel list: %d)%n", archived, trimmed);
        out.printf("kernel list now  %d record%s%n", kernelNow, kernelNow == 1 ? "" : "s");
        out.printf("verify           %s (%d segment%s, %d records, host %s)%n", chain.ok() ? "ok" : "FAILED",
                chain.segments(), chain.segments() == 1 ? "" : "s", chain.records(), chain.host());
        for (ChainFinding f : chain.findings()) out.println("  " + f.kind().id() + ": " + f.detail());
        out.printf("archive          %s%n", dir.resolve("archive"));
        out.printf("work directory   %s (job log lines: %s)%n", dir, dir.resolve("archive-runs.log"));
        out.printf("verify again:    bin/ima-archiver verify %s --trust %s%n", dir.resolve("archive"), trust);
    }

    /** 0, 10, 11: what the cron wrapper treats as success (docs/operations.md). */
    static boolean isSuccess(int exitCode) {
        return exitCode == RunOutcome.ARCHIVED_AND_TRIMMED.exitCode() || exitCode == RunOutcome.NOTHING_TO_DO.exitCode()
                || exitCode == RunOutcome.ARCHIVED_NOT_TRIMMED.exitCode();
    }

    private Night archiveNight(int n, MeasurementFeeder.Fed fed, List<String> properties, ImafsProcess emu, Path runLog)
            throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        long t0 = System.nanoTime();
        int code;
        try (PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            code = NightlyApplication.archive(properties, ps);
        }
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        String text = buf.toString(StandardCharsets.UTF_8);
        Files.writeString(runLog, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        Map<String, String> line = logLine(text);
        return new Night(n, fed.measured(), fed.duplicatesDropped(), code, line.getOrDefault("outcome", "?"),
                number(line, "records_archived"), number(line, "records_trimmed"), number(line, "kernel_list_records"),
                emu.currentCount(), took);
    }

    /** The {@code key=value} pairs of the job's last {@code ima-archiver archive} line. */
    static Map<String, String> logLine(String output) {
        Map<String, String> m = new HashMap<>();
        String last = "";
        for (String l : output.split("\n")) if (l.startsWith("ima-archiver archive ")) last = l;
        Matcher matcher = KEY_VALUE.matcher(last);
        while (matcher.find()) m.put(matcher.group(1), matcher.group(2));
        return m;
    }

    private static long number(Map<String, String> line, String key) {
        try {
            return Long.parseLong(line.getOrDefault(key, "0"));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static ChainReport verify(Path archive, Path trust) throws IOException {
        Path work = Files.createTempDirectory("ima-archiver-demo-verify");
        try (ArchiveStore store = LocalDirectoryStore.open(archive)) {
            return new ChainVerifier(TrustStore.load(trust), Runtime.getRuntime().availableProcessors(), work)
                    .verifyHost(store, HOST);
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("closing the archive store: " + e.getMessage(), e);
        } finally {
            deleteTree(work);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /** The job's configuration: emulator root, swtpm transport, local store and every path under the work dir. */
    List<String> properties(ImafsProcess emu, SwtpmProcess tpm) {
        Path dir = plan.dir();
        return List.of("--ima-archiver.host-id=" + HOST, "--ima-archiver.securityfs-root=" + emu.mountPoint(),
                "--ima-archiver.proc-cmdline=" + dir.resolve("cmdline"), "--ima-archiver.tpm=" + tcti(tpm),
                "--ima-archiver.store.uri=" + dir.resolve("archive"), "--ima-archiver.signing.key-dir=" + dir.resolve("keys"),
                "--ima-archiver.state-dir=" + dir.resolve("state"), "--ima-archiver.lock-path=" + dir.resolve("run/lock"),
                "--ima-archiver.journal-path=" + dir.resolve("state/trim-journal.json"),
                "--ima-archiver.metrics-path=" + dir.resolve("metrics/ima_archiver.prom"),
                "--ima-archiver.backoff.attempts=3", "--ima-archiver.backoff.initial=20ms", "--ima-archiver.backoff.max=50ms");
    }

    private ArchiverSettings settings(ImafsProcess emu, SwtpmProcess tpm) throws IOException {
        Path dir = plan.dir();
        Files.createDirectories(dir.resolve("archive"));
        // A kernel command line without ima_flush_htable: the job may trim (D.2 step 0).
        Files.writeString(dir.resolve("cmdline"), "BOOT_IMAGE=/boot/vmlinuz-7.2.0-1-amd64 root=/dev/vda1 ro ima_policy=tcb ima_hash=sha256\n");
        return new ArchiverSettings(HOST, emu.mountPoint(), dir.resolve("cmdline"), tcti(tpm), "sha256", List.of("sha1", "sha256"),
                List.of(10), new ArchiverSettings.Ak("primary", "0x81010002", "rsa2048", "endorsement"),
                new ArchiverSettings.Store(dir.resolve("archive").toString(), "", "", false, "", ""),
                new ArchiverSettings.Signing(dir.resolve("keys")), "", dir.resolve("state"), dir.resolve("run/lock"),
                dir.resolve("state/trim-journal.json"), dir.resolve("metrics/ima_archiver.prom"),
                new ArchiverSettings.Backoff(3, Duration.ofMillis(20), Duration.ofMillis(50)));
    }

    private static String tcti(SwtpmProcess tpm) { return "swtpm:host=127.0.0.1,port=" + tpm.port(); }

    private void waitForCtrlC(Path dir) throws InterruptedException {
        out.println();
        out.println("--keep: swtpm and the emulated securityfs stay up; Ctrl-C stops them. Try:");
        out.println("  bin/ima-archiver status " + String.join(" ", propertiesForDisplay()));
        out.println("  bin/ima-archiver archive " + String.join(" ", propertiesForDisplay()));
        out.println("  cat " + dir.resolve("emu/mnt/ascii_runtime_measurements_sha256"));
        out.flush();
        Thread.currentThread().join();  // until the shutdown hook (Ctrl-C) ends the JVM
    }

    private List<String> propertiesForDisplay() {
        SwtpmProcess tpm = null;
        ImafsProcess emu = null;
        synchronized (this) {
            for (AutoCloseable c : running) {
                if (c instanceof SwtpmProcess s) tpm = s;
                if (c instanceof ImafsProcess e) emu = e;
            }
        }
        return tpm == null || emu == null ? List.of() : properties(emu, tpm);
    }

    private synchronized <T extends AutoCloseable> T started(T resource) throws IOException {
        if (stopped) {
            try {
                resource.close();
            } catch (Exception e) {
                // stopping anyway
            }
            throw new IOException("interrupted: the demo is shutting down");
        }
        running.push(resource);
        return resource;
    }

    /** Unmounts the emulator, then stops swtpm; idempotent, also the shutdown hook. */
    private synchronized void stopAll() {
        stopped = true;
        while (!running.isEmpty()) {
            AutoCloseable c = running.pop();
            try {
                c.close();
            } catch (Exception e) {
                out.println("demo: stopping " + c.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }
    }
}

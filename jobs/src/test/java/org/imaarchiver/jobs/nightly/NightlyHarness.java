package org.imaarchiver.jobs.nightly;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.chain.ChainVerifier;
import org.imaarchiver.archive.chain.ChainReport;
import org.imaarchiver.archive.chain.TrustStore;
import org.imaarchiver.archive.segment.SegmentReader;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.LocalDirectoryStore;
import org.imaarchiver.jobs.config.ArchiverSettings;
import org.imaarchiver.jobs.host.imafs.ImafsEmulator;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.testsupport.Swtpm;

/**
 * One emulated host: swtpm, the imafs emulator extending it, a local archive, signing keys, and the
 * AK enrolled into a trust directory. Keeps its own copy of every raw record it measured.
 */
final class NightlyHarness implements AutoCloseable {
    static final String HOST = "host-a";
    final Path dir;
    final Swtpm tpm;
    final ImafsEmulator emu;
    final Path archive;
    final Path trust;
    /** Raw binary records (B.3, sha256 template digests) in measurement order, all boots. */
    final List<Bytes> measured = new ArrayList<>();
    private int counter;
    /** A second emulator that receives every measurement too and is never trimmed (the log view's reference). */
    private java.util.Optional<ImafsEmulator> mirror = java.util.Optional.empty();
    /** The job's store properties (a local directory unless {@link #useStore} changed them). */
    private List<String> storeProperties;
    private StoreFactory storeFactory;

    /** Opens the archive the job writes to, for the test's own reads. */
    @FunctionalInterface
    interface StoreFactory {
        ArchiveStore open() throws Exception;
    }

    /** The job's TPM transport: swtpm's TCP port, or the emulator's forwarding device file. */
    private final String tpmSpec;

    NightlyHarness(Path dir, String... emulatorOptions) throws Exception {
        this(dir, false, emulatorOptions);
    }

    /**
     * @param tpmDevice the job talks to the TPM through {@code device:<mount>/tpmrm0}, a file of the
     *                  emulator ({@code --tpm-device}) that forwards each written command to the swtpm
     */
    NightlyHarness(Path dir, boolean tpmDevice, String... emulatorOptions) throws Exception {
        this.dir = dir;
        tpm = Swtpm.start(dir.resolve("tpm"));
        List<String> opts = new ArrayList<>(List.of(emulatorOptions));
        opts.addAll(List.of("--banks", "sha1,sha256", "--tpm", "127.0.0.1:" + tpm.port()));
        if (tpmDevice) opts.addAll(List.of("--tpm-device", "tpmrm0"));
        emu = ImafsEmulator.start(dir.resolve("emu"), opts.toArray(String[]::new));
        tpmSpec = tpmDevice ? "device:" + emu.file("tpmrm0") : "swtpm:host=127.0.0.1,port=" + tpm.port();
        archive = Files.createDirectories(dir.resolve("archive"));
        Path keys = dir.resolve("keys");
        KeyMaterial.generate(KeyMaterial.KeyType.P256, "archiver", Instant.now().minus(1, ChronoUnit.DAYS),
                Instant.now().plus(365, ChronoUnit.DAYS)).writePem(keys);
        storeProperties = List.of("--ima-archiver.store.uri=" + archive);
        storeFactory = () -> LocalDirectoryStore.open(archive);
        trust = dir.resolve("trust");
        Files.createDirectories(trust.resolve("signers"));
        Files.copy(keys.resolve(KeyMaterial.CERT_FILE), trust.resolve("signers/archiver.pem"));
        enroll();
    }

    void enroll() throws Exception {
        Path out = trust.resolve("hosts/" + HOST);
        Enroller.enroll(settings(), out, false);
        Files.deleteIfExists(out.resolve("ak.pub")); // the same key twice is harmless, but keep one
    }

    /** The settings the in-process runs use (enroll, status). */
    ArchiverSettings settings() {
        return new ArchiverSettings(HOST, emu.mountPoint(), dir.resolve("cmdline"), tcti(), "sha256", List.of("sha1", "sha256"),
                List.of(10), new ArchiverSettings.Ak("primary", "0x81010002", "rsa2048", "endorsement"),
                new ArchiverSettings.Store(archive.toString(), "", "", false, "", ""), new ArchiverSettings.Signing(dir.resolve("keys")),
                "", dir.resolve("state"), dir.resolve("run/lock"), dir.resolve("state/trim-journal.json"),
                dir.resolve("metrics/ima_archiver.prom"), new ArchiverSettings.Backoff(3, java.time.Duration.ofMillis(20), java.time.Duration.ofMillis(50)));
    }

    String tcti() { return tpmSpec; }

    /** Points the job at another store (e.g. S3 through {@code --ima-archiver.store.*}). */
    void useStore(List<String> properties, StoreFactory factory) {
        storeProperties = List.copyOf(properties);
        storeFactory = factory;
    }

    /** The job's properties, as the CLI passes them. */
    List<String> properties() {
        List<String> p = new ArrayList<>(baseProperties());
        p.addAll(storeProperties);
        return p;
    }

    private List<String> baseProperties() {
        return List.of("--ima-archiver.host-id=" + HOST, "--ima-archiver.securityfs-root=" + emu.mountPoint(),
                "--ima-archiver.proc-cmdline=" + dir.resolve("cmdline"), "--ima-archiver.tpm=" + tcti(),
 "--ima-archiver.signing.key-dir=" + dir.resolve("keys"),
                "--ima-archiver.state-dir=" + dir.resolve("state"), "--ima-archiver.lock-path=" + dir.resolve("run/lock"),
                "--ima-archiver.metrics-path=" + dir.resolve("metrics/ima_archiver.prom"),
                "--ima-archiver.backoff.attempts=3", "--ima-archiver.backoff.initial=20ms", "--ima-archiver.backoff.max=50ms");
    }

    /** A new boot's record 0 (B.9). */
    void bootAggregate(String boot) throws Exception {
        record(ImafsEmulator.imaNg("sha256", sha256("boot_aggregate " + boot), "boot_aggregate"));
    }

    /** Writes the emulated kernel command line the job reads (e.g. {@code ima_flush_htable}). */
    void kernelCommandLine(String line) throws IOException {
        Files.writeString(dir.resolve("cmdline"), line + "\n");
    }

    /** Measures file {@code k} of {@link #measure} again (a duplicate, refused by IMA's hash table unless flushed). */
    ImafsEmulator.Reply measureAgain(int k) throws Exception {
        byte[] data = ImafsEmulator.imaNg("sha256", sha256("file " + k), "/usr/bin/tool-" + k);
        var reply = emu.measure(10, "ima-ng", data);
        if (reply.ok()) {
            byte[] digest = java.util.HexFormat.of().parseHex(reply.field("sha256").orElseThrow());
            measured.add(Bytes.wrap(rawRecord(10, digest, "ima-ng", data)));
        }
        return reply;
    }

    /**
     * {@code n} new distinct records, not measured yet: the control lines that measure them (for a
     * child JVM to send), already added to {@link #measured} with their template digest computed
     * independently (B.7: SHA-256 of the ima-ng template data).
     */
    List<String> measureLater(int n) throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int k = counter++;
            byte[] data = ImafsEmulator.imaNg("sha256", sha256("file " + k), "/usr/bin/tool-" + k);
            lines.add("measure 10 ima-ng " + java.util.HexFormat.of().formatHex(data));
            measured.add(Bytes.wrap(rawRecord(10, MessageDigest.getInstance("SHA-256").digest(data), "ima-ng", data)));
        }
        return lines;
    }

    /** {@code n} distinct ima-ng records on PCR 10. */
    void measure(int n) throws Exception {
        for (int i = 0; i < n; i++) {
            int k = counter++;
            record(ImafsEmulator.imaNg("sha256", sha256("file " + k), "/usr/bin/tool-" + k));
        }
    }

    /** Sends every later measurement to {@code other} as well. */
    void mirrorTo(ImafsEmulator other) { mirror = java.util.Optional.of(other); }

    private void record(byte[] templateData) throws Exception {
        var reply = emu.measure(10, "ima-ng", templateData);
        if (!reply.ok()) throw new IllegalStateException("measure failed: " + reply.text());
        if (mirror.isPresent() && !mirror.get().measure(10, "ima-ng", templateData).ok()) throw new IllegalStateException("mirror measure failed");
        byte[] digest = java.util.HexFormat.of().parseHex(reply.field("sha256").orElseThrow());
        measured.add(Bytes.wrap(rawRecord(10, digest, "ima-ng", templateData)));
    }

    /** B.3 layout, little-endian. */
    static byte[] rawRecord(int pcr, byte[] digest, String template, byte[] data) {
        byte[] name = template.getBytes(StandardCharsets.US_ASCII);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + digest.length + 4 + name.length + 4 + data.length)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(pcr).put(digest).putInt(name.length).put(name).putInt(data.length).put(data);
        return b.array();
    }

    static byte[] sha256(String s) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Runs the job in this JVM; returns exit code and log line. */
    Result archiveInProcess(Object... extras) {
        return archiveInProcess(List.of(), extras);
    }

    /** Runs the job in this JVM with extra properties (none of them already in {@link #properties()}). */
    Result archiveInProcess(List<String> extraProperties, Object... extras) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<String> props = new ArrayList<>(properties());
        props.addAll(extraProperties);
        int code = NightlyApplication.archive(props, new PrintStream(out, true, StandardCharsets.UTF_8), extras);
        return new Result(code, out.toString(StandardCharsets.UTF_8));
    }

    /** Runs the job at shutdown ({@code archive --at-shutdown}) in this JVM. */
    Result archiveAtShutdownInProcess() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = NightlyApplication.archive(properties(), RunKind.SHUTDOWN, new PrintStream(out, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8));
    }

    /** Runs the job in a separate JVM, optionally halting after a step or killed after a delay. */
    Result archiveInChild(Optional<String> killAfter, Optional<Long> killAfterMillis) throws Exception {
        return archiveInChild(killAfter, killAfterMillis, List.of());
    }

    /**
     * As {@link #archiveInChild(Optional, Optional)}; the child sends {@code measureAfterQuote} (control
     * lines, see {@link #measureLater}) to the emulator right after its quote, before the read.
     */
    Result archiveInChild(Optional<String> killAfter, Optional<Long> killAfterMillis, List<String> measureAfterQuote) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-XX:TieredStopAtLevel=1", "-Xshare:auto"));
        if (killAfter.isEmpty() && measureAfterQuote.isEmpty()) {
            cmd.add(NightlyApplication.class.getName());
        } else {
            // the test main halts after the step and sends the control lines after the quote (AfterStep)
            cmd.addAll(List.of(ArchiveChild.class.getName(), killAfter.orElse("-")));
            if (measureAfterQuote.isEmpty()) {
                cmd.addAll(List.of("-", "-"));
            } else {
                Path lines = Files.createTempFile(dir, "measure-", ".txt");
                Files.write(lines, measureAfterQuote);
                cmd.addAll(List.of(emu.controlSocket().toString(), lines.toString()));
            }
        }
        cmd.addAll(properties());
        Path log = Files.createTempFile(dir, "child-", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (killAfterMillis.isPresent()) {
            if (!p.waitFor(killAfterMillis.get(), TimeUnit.MILLISECONDS)) p.destroyForcibly();
        }
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("child JVM hung: " + Files.readString(log));
        }
        return new Result(p.exitValue(), Files.readString(log));
    }

    record Result(int exitCode, String output) {}

    long kernelCount() throws IOException { return emu.currentCount(); }

    /** Every archived raw record, in chain order. */
    List<Bytes> archivedRecords() throws Exception {
        List<Bytes> out = new ArrayList<>();
        Path downloads = Files.createDirectories(dir.resolve("downloads"));
        try (ArchiveStore store = storeFactory.open()) {
            List<String> keys;
            try (var listed = store.list(ArchiveLayout.segmentsPrefix(HOST))) {
                keys = listed.sorted().toList();
            }
            // a segment counts once its manifest exists (a stray object under a segment key does not)
            java.util.Set<String> all = new java.util.HashSet<>(keys);
            keys = keys.stream().filter(k -> k.endsWith(ArchiveLayout.SEGMENT_SUFFIX))
                    .filter(k -> all.contains(k.substring(0, k.length() - ArchiveLayout.SEGMENT_SUFFIX.length()) + ArchiveLayout.MANIFEST_SUFFIX))
                    .toList();
            for (String key : keys) {
                Path f = store.download(key, downloads.resolve(java.util.UUID.randomUUID() + ArchiveLayout.SEGMENT_SUFFIX));
                SegmentReader r = SegmentReader.open(f);
                try (var rows = r.rows()) {
                    for (var row = rows.next(); row.isPresent(); row = rows.next()) out.add(row.get().raw());
                }
                Files.delete(f);
            }
        }
        return out;
    }

    ChainReport verifyChain() throws Exception {
        try (ArchiveStore store = storeFactory.open()) {
            return new ChainVerifier(TrustStore.load(trust), 1, Files.createDirectories(dir.resolve("verify"))).verifyHost(store, HOST);
        }
    }

    /** A TPM Reset: swtpm restarted on the same state (startup clear increments resetCount). */
    void rebootTpm() throws Exception {
        // _TPM_Init through swtpm's control port, then Startup(CLEAR): a TPM Reset, resetCount + 1 (C.4)
        Swtpm.Result init = tpm.run("swtpm_ioctl", "--tcp", "127.0.0.1:" + (tpm.port() + 1), "-i");
        if (init.exitCode() != 0) throw new IllegalStateException("swtpm_ioctl -i: " + init.stderr());
        tpm.tpm2("tpm2_startup", "-c");
    }

    @Override
    public void close() throws IOException {
        emu.close();
        tpm.close();
    }
}

package org.imaarchiver.jobs.host.imafs;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.URISyntaxException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The imafs-emulator binary (jobs/src/main/c/imafs-emulator) mounted in a directory: a FUSE
 * emulation of Linux 7.2's {@code /sys/kernel/security/ima/} (kernel-interface.md A.8, B.1). The archiver's
 * production code reads and trims it through ordinary system calls; records are added through the
 * control socket (record first, then the TPM extend, as IMA does). Closing it unmounts and stops the
 * process. Used by {@code demo}; the tests' {@code ImafsEmulator} delegates here.
 */
public final class ImafsProcess implements AutoCloseable {
    private static final long START_TIMEOUT_SECONDS = 20;
    /** Where scripts/build-imafs puts the binary, relative to the project root. */
    public static final String BINARY = "jobs/target/imafs-emulator/imafs-emulator";
    private static final String SOURCES = "jobs/src/main/c/imafs-emulator";
    private static final String BUILD_SCRIPT = "scripts/build-imafs";

    /** The emulator cannot run here: what is missing and what the emulator needs (the CLI's exit 3). */
    public static final class UnavailableException extends Exception {
        public UnavailableException(String message) { super(message); }
    }

    private final Process process;
    private final Path mountPoint;
    private final Path controlSocket;
    private final Path log;
    private final SocketChannel control;
    private final BufferedReader replies;

    private ImafsProcess(Process process, Path mountPoint, Path controlSocket, Path log, SocketChannel control) {
        this.process = process;
        this.mountPoint = mountPoint;
        this.controlSocket = controlSocket;
        this.log = log;
        this.control = control;
        this.replies = new BufferedReader(new InputStreamReader(Channels.newInputStream(control), StandardCharsets.UTF_8));
    }

    /**
     * Mounts {@code binary} at {@code dir/mnt} with its control socket at {@code dir/control.sock}
     * (output in {@code dir/imafs-emulator.log}) and waits until the mount is live.
     *
     * @param options emulator options, e.g. {@code --banks sha1,sha256}, {@code --no-staging},
     *                {@code --tpm 127.0.0.1:2321}
     * @throws UnavailableException when FUSE is missing or the mount fails (the log's text is included)
     */
    public static ImafsProcess start(Path binary, Path dir, List<String> options)
            throws IOException, InterruptedException, UnavailableException {
        requireFuse();
        Path mnt = Files.createDirectories(dir.resolve("mnt"));
        Path sock = dir.resolve("control.sock");
        List<String> cmd = new ArrayList<>();
        cmd.add(binary.toString());
        cmd.addAll(options);
        cmd.addAll(List.of("--control", sock.toString(), mnt.toString()));
        Path log = dir.resolve("imafs-emulator.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
        while (!isMounted(mnt)) {
            if (!p.isAlive()) {
                throw new UnavailableException("imafs-emulator could not mount " + mnt + " (exit " + p.exitValue() + "): "
                        + Files.readString(log).strip().replace('\n', ' ') + ". " + FUSE_NEEDS);
            }
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new UnavailableException("imafs-emulator did not mount " + mnt + " within " + START_TIMEOUT_SECONDS
                        + " s (see " + log + "). " + FUSE_NEEDS);
            }
            Thread.sleep(20);
        }
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(sock));
        } catch (IOException e) {
            ch.close();
            p.destroy();
            throw e;
        }
        return new ImafsProcess(p, mnt, sock, log, ch);
    }

    /** What the emulator needs from the machine, appended to every "unavailable" explanation. */
    public static final String FUSE_NEEDS = "The emulated securityfs is a FUSE filesystem: it needs the fuse kernel module with "
            + "/dev/fuse, fusermount3 (Debian package fuse3) and the right to mount "
            + "(in a container: --device /dev/fuse --cap-add SYS_ADMIN, or --privileged)";

    /**
     * Fails unless /dev/fuse exists and fusermount3 is on the PATH. The system properties
     * {@code imaarchiver.devFuse} (the device path) and {@code imaarchiver.toolPath} (replaces PATH)
     * let tests simulate a machine without FUSE.
     */
    public static void requireFuse() throws UnavailableException {
        Path dev = Path.of(System.getProperty("imaarchiver.devFuse", "/dev/fuse"));
        if (!Files.exists(dev)) {
            throw new UnavailableException(dev + " is missing (no fuse kernel module, or a container without the device). "
                    + FUSE_NEEDS);
        }
        if (findTool("fusermount3").isEmpty()) {
            throw new UnavailableException("fusermount3 not found on the PATH: install the Debian package fuse3 "
                    + "(scripts/install-deps does). " + FUSE_NEEDS);
        }
    }

    /** The executable on PATH (plus the sbin directories); {@code imaarchiver.toolPath} replaces them. */
    static Optional<Path> findTool(String executable) {
        String override = System.getProperty("imaarchiver.toolPath");
        String path = override != null ? override
                : System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin";
        for (String d : path.split(File.pathSeparator)) {
            if (d.isEmpty()) continue;
            Path p = Path.of(d, executable);
            if (Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    /**
     * The emulator binary under {@code projectRoot}, built by scripts/build-imafs when missing or
     * older than its sources.
     *
     * @throws UnavailableException when the build fails (the script names the missing packages)
     */
    public static Path binary(Path projectRoot) throws IOException, InterruptedException, UnavailableException {
        Path binary = projectRoot.resolve(BINARY);
        if (!Files.isExecutable(binary) || isStale(binary, projectRoot.resolve(SOURCES))) {
            Process build = new ProcessBuilder(projectRoot.resolve(BUILD_SCRIPT).toString())
                    .redirectErrorStream(true).start();
            String out = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!build.waitFor(300, TimeUnit.SECONDS) || build.exitValue() != 0) {
                throw new UnavailableException(BUILD_SCRIPT + " failed: " + out.strip().replace('\n', ' ')
                        + " (it needs gcc, make, pkg-config, libfuse3-dev and libssl-dev; scripts/install-deps installs them)");
            }
        }
        return binary;
    }

    /**
     * The project root (the directory holding scripts/build-imafs): searched upwards from the
     * working directory, then from where this class was loaded (the jar in jobs/target).
     */
    public static Optional<Path> projectRoot() {
        List<Path> starts = new ArrayList<>();
        starts.add(Path.of("").toAbsolutePath());
        try {
            var src = ImafsProcess.class.getProtectionDomain().getCodeSource();
            if (src != null) starts.add(Path.of(src.getLocation().toURI()).toAbsolutePath());
        } catch (URISyntaxException | IllegalArgumentException | SecurityException e) {
            // not loaded from a file: the working directory is the only hint
        }
        for (Path start : starts) {
            for (Path p = start; p != null; p = p.getParent()) {
                if (Files.isRegularFile(p.resolve(BUILD_SCRIPT))) return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private static boolean isStale(Path binary, Path sources) throws IOException {
        if (!Files.isDirectory(sources)) return false;
        long built = Files.getLastModifiedTime(binary).toMillis();
        try (Stream<Path> files = Files.list(sources)) {
            return files.filter(f -> f.toString().matches(".*(\\.[ch]|/Makefile)$")).anyMatch(f -> {
                try {
                    return Files.getLastModifiedTime(f).toMillis() > built;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    private static boolean isMounted(Path mnt) throws IOException {
        String target = mnt.toAbsolutePath().toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            if (f.length > 4 && f[4].equals(target) && line.contains("fuse.imafs")) return true;
        }
        return false;
    }

    /** The mount point, the emulated {@code /sys/kernel/security/ima}. */
    public Path mountPoint() { return mountPoint; }

    /** A file under the mount point. */
    public Path file(String name) { return mountPoint.resolve(name); }

    public Path controlSocket() { return controlSocket; }

    /** The emulator's stdout/stderr. */
    public Path log() { return log; }

    /** A reply of the control protocol: {@code ok <text>} or {@code err <ERRNO> <text>}. */
    public record Reply(boolean ok, Optional<String> errno, String text) {
        public static Reply parse(String line) {
            if (line.equals("ok")) return new Reply(true, Optional.empty(), "");
            if (line.startsWith("ok ")) return new Reply(true, Optional.empty(), line.substring(3));
            if (line.startsWith("err ")) {
                String[] p = line.split(" ", 3);
                return new Reply(false, Optional.of(p[1]), p.length > 2 ? p[2] : "");
            }
            throw new IllegalStateException("unexpected control reply: " + line);
        }

        /** The value of {@code key=value} in the reply text. */
        public Optional<String> field(String key) {
            for (String kv : text.split(" ")) {
                if (kv.startsWith(key + "=")) return Optional.of(kv.substring(key.length() + 1));
            }
            return Optional.empty();
        }
    }

    /** Sends one control line and returns the reply, ok or not. */
    public synchronized Reply command(String line) throws IOException {
        control.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
        String reply = replies.readLine();
        if (reply == null) throw new IOException("imafs-emulator closed the control socket");
        return Reply.parse(reply);
    }

    /** Sends one control line and fails unless the reply is ok. */
    public Reply ok(String line) throws IOException {
        Reply r = command(line);
        if (!r.ok()) throw new IOException("imafs-emulator: '" + line + "' -> " + r.errno().orElse("?") + " " + r.text());
        return r;
    }

    /** Adds a record as IMA does (record, then TPM extend when --tpm is set). */
    public Reply measure(int pcr, String template, byte[] templateData) throws IOException {
        return command("measure " + pcr + " " + template + " " + HexFormat.of().formatHex(templateData));
    }

    /** Adds a violation record (stored digest zeros, extended 0xFF.., B.8). */
    public Reply violation(int pcr, String template, byte[] templateData) throws IOException {
        return command("violation " + pcr + " " + template + " " + HexFormat.of().formatHex(templateData));
    }

    /** Records in the current list (like runtime_measurements_count). */
    public long currentCount() throws IOException {
        return Long.parseLong(ok("count").field("current").orElseThrow());
    }

    /**
     * Template data of an {@code ima-ng} record (B.5): {@code d-ng} = "algo:" NUL digest,
     * {@code n-ng} = name NUL, each with a u32 little-endian length.
     */
    public static byte[] imaNg(String algo, byte[] fileDigest, String name) {
        byte[] prefix = (algo + ":").getBytes(StandardCharsets.US_ASCII);
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        int dLen = prefix.length + 1 + fileDigest.length;
        ByteBuffer b = ByteBuffer.allocate(4 + dLen + 4 + n.length + 1).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(dLen).put(prefix).put((byte) 0).put(fileDigest);
        b.putInt(n.length + 1).put(n).put((byte) 0);
        return b.array();
    }

    /** Template data of an {@code ima} record (B.3): d(20) | u32 nlen | name (no NUL). */
    public static byte[] ima(byte[] sha1FileDigest, String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(20 + 4 + n.length).order(ByteOrder.LITTLE_ENDIAN)
                .put(sha1FileDigest).putInt(n.length).put(n).array();
    }

    /** Sends SIGTERM and waits for the exit code; the emulator unmounts itself. */
    public int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
        return process.waitFor();
    }

    /** Whether the mount point is still mounted (per /proc/self/mountinfo). */
    public boolean mounted() throws IOException {
        return isMounted(mountPoint);
    }

    /** Stops the emulator ({@code quit}: it unmounts and exits), forcibly if it does not; idempotent. */
    @Override
    public void close() throws IOException {
        try {
            try {
                if (process.isAlive() && control.isOpen()) command("quit");
            } catch (IOException alreadyGone) {
                // fall through to the signal
            }
            control.close();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroy(); // SIGTERM: the emulator unmounts itself
                if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly();
            }
            if (isMounted(mountPoint)) {
                String unmount = findTool("fusermount3").map(Path::toString).orElse("fusermount3");
                new ProcessBuilder(unmount, "-u", "-z", mountPoint.toString()).inheritIO().start().waitFor();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}

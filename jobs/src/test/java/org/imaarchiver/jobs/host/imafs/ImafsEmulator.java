package org.imaarchiver.jobs.host.imafs;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
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
import org.imaarchiver.replay.testsupport.Tools;

/**
 * The imafs-emulator binary (jobs/src/main/c/imafs-emulator) mounted in a directory: a FUSE
 * emulation of Linux 7.2's {@code /sys/kernel/security/ima/} (ima-kernel.md A.8, B.1). Production
 * code reads and trims it through ordinary system calls; tests add records through the control
 * socket. Closing it unmounts and stops the process.
 *
 * <p>Without /dev/fuse, fusermount3 or the build prerequisites, {@link #start} skips the test, and
 * fails it under CI ({@link Tools#inCi()}).
 */
public final class ImafsEmulator implements AutoCloseable {
    private static final long START_TIMEOUT_SECONDS = 20;

    private final Process process;
    private final Path mountPoint;
    private final Path controlSocket;
    private final SocketChannel control;
    private final BufferedReader replies;

    private ImafsEmulator(Process process, Path mountPoint, Path controlSocket, SocketChannel control) {
        this.process = process;
        this.mountPoint = mountPoint;
        this.controlSocket = controlSocket;
        this.control = control;
        this.replies = new BufferedReader(new InputStreamReader(Channels.newInputStream(control), StandardCharsets.UTF_8));
    }

    /**
     * Builds the binary if needed, mounts the emulator at {@code dir/mnt} with its control socket at
     * {@code dir/control.sock}, and waits until the mount is live.
     *
     * @param options emulator options, e.g. {@code --banks sha1,sha256,sha384}, {@code --no-staging},
     *                {@code --tpm 127.0.0.1:2321}
     */
    public static ImafsEmulator start(Path dir, String... options) throws IOException, InterruptedException {
        Path binary = binary();
        Path mnt = Files.createDirectories(dir.resolve("mnt"));
        Path sock = dir.resolve("control.sock");
        List<String> cmd = new ArrayList<>();
        cmd.add(binary.toString());
        cmd.addAll(List.of(options));
        cmd.addAll(List.of("--control", sock.toString(), mnt.toString()));
        Path log = dir.resolve("imafs-emulator.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
        while (!isMounted(mnt)) {
            if (!p.isAlive()) {
                throw new IOException("imafs-emulator exited " + p.exitValue() + ": " + Files.readString(log).strip());
            }
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IOException("imafs-emulator did not mount " + mnt + " within " + START_TIMEOUT_SECONDS + " s");
            }
            Thread.sleep(20);
        }
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(sock));
        return new ImafsEmulator(p, mnt, sock, ch);
    }

    /** The emulator binary, built by scripts/build-imafs when missing or older than its sources. */
    static Path binary() throws IOException, InterruptedException {
        requireFuse();
        Path root = projectRoot();
        Path binary = root.resolve("jobs/target/imafs-emulator/imafs-emulator");
        if (!Files.isExecutable(binary) || isStale(binary, root.resolve("jobs/src/main/c/imafs-emulator"))) {
            Process build = new ProcessBuilder(root.resolve("scripts/build-imafs").toString())
                    .redirectErrorStream(true).start();
            String out = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!build.waitFor(300, TimeUnit.SECONDS) || build.exitValue() != 0) {
                String msg = "scripts/build-imafs failed: " + out.strip();
                if (Tools.inCi()) throw new AssertionError(msg);
                assumeTrue(false, msg);
            }
        }
        return binary;
    }

    private static void requireFuse() {
        if (!Files.exists(Path.of("/dev/fuse"))) {
            String msg = "/dev/fuse is missing: FUSE tests need a kernel with fuse and the device (docker: --device /dev/fuse --cap-add SYS_ADMIN)";
            if (Tools.inCi()) throw new AssertionError(msg);
            assumeTrue(false, msg);
        }
        Tools.require("fusermount3", "fuse3");
    }

    private static boolean isStale(Path binary, Path sources) throws IOException {
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

    private static Path projectRoot() throws IOException {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("scripts/build-imafs"))) return p;
        }
        throw new IOException("scripts/build-imafs not found above " + Path.of("").toAbsolutePath());
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

    /** A reply of the control protocol: {@code ok <text>} or {@code err <ERRNO> <text>}. */
    public record Reply(boolean ok, Optional<String> errno, String text) {
        static Reply parse(String line) {
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

    /** Stops the emulator ({@code quit}: it unmounts and exits), forcibly if it does not. */
    @Override
    public void close() throws IOException {
        try {
            try {
                if (process.isAlive()) command("quit");
            } catch (IOException alreadyGone) {
                // fall through to the signal
            }
            control.close();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroy(); // SIGTERM: the emulator unmounts itself
                if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly();
            }
            if (isMounted(mountPoint)) {
                new ProcessBuilder("fusermount3", "-u", "-z", mountPoint.toString()).inheritIO().start().waitFor();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}

package org.imaarchiver.jobs.host.imafs;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.imaarchiver.replay.testsupport.Tools;

/**
 * Test support around {@link ImafsProcess} (the production launcher of the imafs-emulator binary,
 * a FUSE emulation of Linux 7.2's {@code /sys/kernel/security/ima/}, kernel-interface.md A.8, B.1).
 * Production code reads and trims it through ordinary system calls; tests add records through the
 * control socket. Closing it unmounts and stops the process.
 *
 * <p>Without /dev/fuse, fusermount3 or the build prerequisites, {@link #start} skips the test, and
 * fails it under CI ({@link Tools#inCi()}). A failed mount is an {@link IOException}.
 */
public final class ImafsEmulator implements AutoCloseable {
    private final ImafsProcess process;

    private ImafsEmulator(ImafsProcess process) { this.process = process; }

    /**
     * Builds the binary if needed, mounts the emulator at {@code dir/mnt} with its control socket at
     * {@code dir/control.sock}, and waits until the mount is live.
     *
     * @param options emulator options, e.g. {@code --banks sha1,sha256,sha384}, {@code --no-staging},
     *                {@code --tpm 127.0.0.1:2321}
     */
    public static ImafsEmulator start(Path dir, String... options) throws IOException, InterruptedException {
        Path binary = binary();
        try {
            return new ImafsEmulator(ImafsProcess.start(binary, dir, List.of(options)));
        } catch (ImafsProcess.UnavailableException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** The emulator binary, built by scripts/build-imafs when missing or older than its sources. */
    static Path binary() throws IOException, InterruptedException {
        skipUnless(() -> ImafsProcess.requireFuse());
        Path root = ImafsProcess.projectRoot().orElseThrow(() -> new IOException("scripts/build-imafs not found above "
                + Path.of("").toAbsolutePath()));
        Path[] binary = new Path[1];
        skipUnless(() -> binary[0] = ImafsProcess.binary(root));
        return binary[0];
    }

    private interface Check {
        void run() throws IOException, InterruptedException, ImafsProcess.UnavailableException;
    }

    private static void skipUnless(Check check) throws IOException, InterruptedException {
        try {
            check.run();
        } catch (ImafsProcess.UnavailableException e) {
            if (Tools.inCi()) throw new AssertionError(e.getMessage(), e);
            assumeTrue(false, e.getMessage());
        }
    }

    /** The production-side process this wraps. */
    public ImafsProcess process() { return process; }

    /** The mount point, the emulated {@code /sys/kernel/security/ima}. */
    public Path mountPoint() { return process.mountPoint(); }

    /** A file under the mount point. */
    public Path file(String name) { return process.file(name); }

    public Path controlSocket() { return process.controlSocket(); }

    /** A reply of the control protocol: {@code ok <text>} or {@code err <ERRNO> <text>}. */
    public record Reply(boolean ok, Optional<String> errno, String text) {
        static Reply of(ImafsProcess.Reply r) { return new Reply(r.ok(), r.errno(), r.text()); }

        /** The value of {@code key=value} in the reply text. */
        public Optional<String> field(String key) {
            return new ImafsProcess.Reply(ok, errno, text).field(key);
        }
    }

    /** Sends one control line and returns the reply, ok or not. */
    public Reply command(String line) throws IOException { return Reply.of(process.command(line)); }

    /** Sends one control line and fails unless the reply is ok. */
    public Reply ok(String line) throws IOException { return Reply.of(process.ok(line)); }

    /** Adds a record as IMA does (record, then TPM extend when --tpm is set). */
    public Reply measure(int pcr, String template, byte[] templateData) throws IOException {
        return Reply.of(process.measure(pcr, template, templateData));
    }

    /** Adds a violation record (stored digest zeros, extended 0xFF.., B.8). */
    public Reply violation(int pcr, String template, byte[] templateData) throws IOException {
        return Reply.of(process.violation(pcr, template, templateData));
    }

    /** Records in the current list (like runtime_measurements_count). */
    public long currentCount() throws IOException { return process.currentCount(); }

    /** Template data of an {@code ima-ng} record (B.5). */
    public static byte[] imaNg(String algo, byte[] fileDigest, String name) {
        return ImafsProcess.imaNg(algo, fileDigest, name);
    }

    /** Template data of an {@code ima} record (B.3): d(20) | u32 nlen | name (no NUL). */
    public static byte[] ima(byte[] sha1FileDigest, String name) { return ImafsProcess.ima(sha1FileDigest, name); }

    /** Sends SIGTERM and waits for the exit code; the emulator unmounts itself. */
    public int terminate() throws InterruptedException { return process.terminate(); }

    /** Whether the mount point is still mounted (per /proc/self/mountinfo). */
    public boolean mounted() throws IOException { return process.mounted(); }

    /** Stops the emulator ({@code quit}: it unmounts and exits), forcibly if it does not. */
    @Override
    public void close() throws IOException { process.close(); }
}

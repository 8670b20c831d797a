package org.imaarchiver.replay.testsupport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real swtpm (Debian package) on 127.0.0.1 with a fresh state directory, started with TPM2_Startup
 * done. tpm2-tools reach it through {@link #tcti()}: use {@code swtpm:}, not {@code mssim:}
 * (kernel-interface.md T.1). Close it to stop the process and delete nothing but the process.
 */
public final class Swtpm implements AutoCloseable {
    private final Process process;
    private final Path stateDir;
    private final int port;

    private Swtpm(Process process, Path stateDir, int port) {
        this.process = process;
        this.stateDir = stateDir;
        this.port = port;
    }

    /** Starts swtpm in {@code stateDir} (created if missing) and runs {@code tpm2_startup -c}. */
    public static Swtpm start(Path stateDir) throws IOException, InterruptedException {
        Tools.require("swtpm", "swtpm");
        Tools.require("tpm2_startup", "tpm2-tools");
        Files.createDirectories(stateDir);
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            int port = freePortPair();
            List<String> cmd = List.of("swtpm", "socket", "--tpm2",
                    "--tpmstate", "dir=" + stateDir,
                    "--server", "type=tcp,port=" + port + ",bindaddr=127.0.0.1",
                    "--ctrl", "type=tcp,port=" + (port + 1) + ",bindaddr=127.0.0.1",
                    "--flags", "not-need-init",
                    "--log", "file=" + stateDir.resolve("swtpm.log") + ",level=1");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(stateDir.resolve("swtpm.out").toFile()).start();
            if (waitForPort(port, p)) {
                Swtpm s = new Swtpm(p, stateDir, port);
                s.tpm2("tpm2_startup", "-c");
                return s;
            }
            p.destroyForcibly();
            last = new IOException("swtpm did not listen on 127.0.0.1:" + port + " (see " + stateDir.resolve("swtpm.log") + ")");
        }
        throw last;
    }

    /**
     * A free pair (p, p+1) on loopback for swtpm's server and control ports, chosen below Linux's
     * ephemeral range (32768 and up): bind(0) hands out odd ports and connect() even ones, so p+1 of
     * an ephemeral p is often held by an outgoing connection in TIME_WAIT (seen right after the S3
     * tests), and 50 tries could all fail.
     */
    private static int freePortPair() throws IOException {
        java.util.Random random = new java.util.Random();
        InetAddress loopback = InetAddress.getLoopbackAddress();
        for (int i = 0; i < 200; i++) {
            int port = 20000 + 2 * random.nextInt(6000); // even, 20000..31998
            try (ServerSocket a = new ServerSocket(port, 1, loopback); ServerSocket b = new ServerSocket(port + 1, 1, loopback)) {
                return port;
            } catch (IOException busy) {
                // try another pair
            }
        }
        throw new IOException("no free loopback port pair in 20000..31999");
    }

    private static boolean waitForPort(int port, Process p) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) return false;
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return true;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        return false;
    }

    public int port() { return port; }

    public Path stateDir() { return stateDir; }

    /** TCTI string for tpm2-tools. */
    public String tcti() { return "swtpm:host=127.0.0.1,port=" + port; }

    /**
     * Runs a tpm2-tools command against this TPM (TPM2TOOLS_TCTI set), in the state directory,
     * and returns stdout; throws with stderr when it exits non-zero.
     */
    public String tpm2(String... command) throws IOException, InterruptedException {
        Result r = run(command);
        if (r.exitCode() != 0) {
            throw new IOException(String.join(" ", command) + " exited " + r.exitCode() + ": " + r.stderr());
        }
        return r.stdout();
    }

    /** Runs a command with TPM2TOOLS_TCTI set, returning exit code and output without throwing. */
    public Result run(String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(List.of(command))).directory(stateDir.toFile());
        pb.environment().put("TPM2TOOLS_TCTI", tcti());
        Path out = Files.createTempFile(stateDir, "out", ".txt");
        Path err = Files.createTempFile(stateDir, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " timed out");
        }
        Result r = new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
        return r;
    }

    /** Exit code and captured output of a peer command. */
    public record Result(int exitCode, String stdout, String stderr) {}

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}

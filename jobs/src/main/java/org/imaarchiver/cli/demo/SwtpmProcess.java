package org.imaarchiver.cli.demo;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A software TPM (swtpm, Debian package) on 127.0.0.1 with its own state directory, started and with
 * TPM2_Startup done: the production-side twin of the tests' {@code testsupport.Swtpm}. tpm2-tools
 * reach it through {@link #tcti()} ({@code swtpm:}, not {@code mssim:}, kernel-interface.md T.1).
 */
public final class SwtpmProcess implements AutoCloseable {
    /** Thrown when swtpm or tpm2-tools are missing or misbehave (the CLI's exit 3). */
    public static final class TpmUnavailableException extends Exception {
        public TpmUnavailableException(String message) { super(message); }
    }

    /** The local CA's certificates, written by {@link #startWithEkCertificates}: root first, then the issuer. */
    static final List<String> EK_CA_FILES = List.of("swtpm-localca-root.pem", "swtpm-localca-issuer.pem");

    private final Process process;
    private final Path stateDir;
    private final int port;
    private final Optional<Path> ekCaDirectory;

    private SwtpmProcess(Process process, Path stateDir, int port, Optional<Path> ekCaDirectory) {
        this.process = process;
        this.stateDir = stateDir;
        this.port = port;
        this.ekCaDirectory = ekCaDirectory;
    }

    /**
     * The executable on PATH, if any. The system property {@code imaarchiver.toolPath} replaces PATH
     * and the sbin fallbacks (tests use it to simulate a machine without the tools).
     */
    public static Optional<Path> find(String executable) {
        String override = System.getProperty("imaarchiver.toolPath");
        String path = override != null ? override
                : System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin";
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, executable);
            if (Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    /** Fails with a message naming the Debian package and scripts/install-deps when a tool is missing. */
    public static void requireTools(String... executableAndPackage) throws TpmUnavailableException {
        for (int i = 0; i + 1 < executableAndPackage.length; i += 2) {
            if (find(executableAndPackage[i]).isEmpty()) {
                throw new TpmUnavailableException(executableAndPackage[i] + " not found: install the Debian package "
                        + executableAndPackage[i + 1] + " (scripts/install-deps does)");
            }
        }
    }

    /** Starts swtpm in {@code stateDir} (created if missing) and runs {@code tpm2_startup -c}. */
    public static SwtpmProcess start(Path stateDir) throws IOException, InterruptedException, TpmUnavailableException {
        requireTools("swtpm", "swtpm", "tpm2_startup", "tpm2-tools");
        Files.createDirectories(stateDir);
        return launch(stateDir, Optional.empty());
    }

    /**
     * Like {@link #start}, on a TPM manufactured first as a vendor would: {@code swtpm_setup
     * --create-ek-cert} makes the RSA 2048 (template L-1) and ECC P-384 (template H-3) EKs, persists
     * them at 0x81010001 and 0x81010016, and stores their certificates, issued by a local CA
     * ({@code swtpm_localca}) made for this TPM alone, at the TCG NV indices 0x01C00002 and
     * 0x01C00016 (kernel-interface.md T.7). The CA's private keys stay in {@code stateDir/localca};
     * its certificates are in {@link #ekCaDirectory()}, for the verifier's {@code --ek-ca}.
     * {@code stateDir} must not hold a TPM state yet.
     */
    public static SwtpmProcess startWithEkCertificates(Path stateDir)
            throws IOException, InterruptedException, TpmUnavailableException {
        requireTools("swtpm", "swtpm", "tpm2_startup", "tpm2-tools", "swtpm_setup", "swtpm-tools", "swtpm_localca", "swtpm-tools");
        Files.createDirectories(stateDir);
        Path ca = Files.createDirectories(stateDir.resolve("localca"));
        Path localcaConf = Files.writeString(ca.resolve("swtpm-localca.conf"), String.join("\n",
                "statedir = " + ca, "signingkey = " + ca.resolve("signkey.pem"),
                "issuercert = " + ca.resolve("issuercert.pem"), "certserial = " + ca.resolve("certserial"), ""));
        Path localcaOptions = Files.writeString(ca.resolve("swtpm-localca.options"), "");
        // every PCR bank stays active, as on a swtpm that was never set up
        Path setupConf = Files.writeString(ca.resolve("swtpm_setup.conf"), String.join("\n",
                "create_certs_tool = " + find("swtpm_localca").orElseThrow(), "create_certs_tool_config = " + localcaConf,
                "create_certs_tool_options = " + localcaOptions, "active_pcr_banks = sha1,sha256,sha384,sha512", ""));
        List<String> cmd = List.of(find("swtpm_setup").orElseThrow().toString(), "--tpm2", "--tpmstate", stateDir.toString(),
                "--create-ek-cert", "--config", setupConf.toString(), "--logfile", stateDir.resolve("swtpm_setup.log").toString());
        Process setup = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(stateDir.resolve("swtpm_setup.out").toFile()).start();
        if (!setup.waitFor(120, TimeUnit.SECONDS)) {
            setup.destroyForcibly();
            throw new TpmUnavailableException("swtpm_setup did not finish within 120 s (see " + stateDir.resolve("swtpm_setup.log") + ")");
        }
        if (setup.exitValue() != 0) {
            throw new TpmUnavailableException("swtpm_setup exited " + setup.exitValue() + " (see " + stateDir.resolve("swtpm_setup.log") + ")");
        }
        Path certs = Files.createDirectories(stateDir.resolve("ek-ca"));
        Files.copy(ca.resolve("swtpm-localca-rootca-cert.pem"), certs.resolve(EK_CA_FILES.get(0)));
        Files.copy(ca.resolve("issuercert.pem"), certs.resolve(EK_CA_FILES.get(1)));
        return launch(stateDir, Optional.of(certs));
    }

    private static SwtpmProcess launch(Path stateDir, Optional<Path> ekCaDirectory)
            throws IOException, InterruptedException, TpmUnavailableException {
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
                SwtpmProcess s = new SwtpmProcess(p, stateDir, port, ekCaDirectory);
                s.tpm2("tpm2_startup", "-c");
                return s;
            }
            p.destroyForcibly();
        }
        throw new TpmUnavailableException("swtpm did not start (see " + stateDir.resolve("swtpm.log") + ")");
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

    public Path stateDir() { return stateDir; }

    /**
     * The directory with the certificates of the CA that issued this TPM's EK certificates (PEM, root
     * and issuing CA), when it was started {@link #startWithEkCertificates with them}.
     */
    public Optional<Path> ekCaDirectory() { return ekCaDirectory; }

    /** The TCP command port on 127.0.0.1 (the control port is {@code port() + 1}). */
    public int port() { return port; }

    /** TCTI string for tpm2-tools. */
    public String tcti() { return "swtpm:host=127.0.0.1,port=" + port; }

    /** Runs a tpm2-tools command against this TPM in the state directory; stdout, or an exception with stderr. */
    public String tpm2(String... command) throws IOException, InterruptedException, TpmUnavailableException {
        Result r = run(List.of(command));
        if (r.exitCode() != 0) {
            throw new TpmUnavailableException(String.join(" ", command).replaceAll("(\\S{40})\\S+", "$1…")
                    + " exited " + r.exitCode() + ": " + r.stderr().strip());
        }
        return r.stdout();
    }

    /** Runs a command with TPM2TOOLS_TCTI set; never throws on a non-zero exit. */
    public Result run(List<String> command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).directory(stateDir.toFile());
        pb.environment().put("TPM2TOOLS_TCTI", tcti());
        Path out = Files.createTempFile(stateDir, "out", ".txt");
        Path err = Files.createTempFile(stateDir, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(command.get(0) + " timed out");
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

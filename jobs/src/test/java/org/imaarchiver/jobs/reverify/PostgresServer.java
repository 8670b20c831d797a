package org.imaarchiver.jobs.reverify;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.imaarchiver.replay.testsupport.Tools;

/**
 * A throw-away PostgreSQL server from the Debian binaries ({@code /usr/lib/postgresql/<v>/bin}):
 * initdb in a temporary directory, trust authentication, loopback only, on a free port, fsync off.
 * PostgreSQL refuses to run as root, so as root (CI) the commands run as user {@code postgres}
 * through {@code runuser}. Missing binaries skip the test, or fail it under CI (scripts/install-deps
 * installs the {@code postgresql} package).
 */
final class PostgresServer implements AutoCloseable {
    static final String USER = "verify";

    private final Path dir;
    private final Path bin;
    private final int port;
    private final boolean asPostgres;

    private PostgresServer(Path dir, Path bin, int port, boolean asPostgres) {
        this.dir = dir;
        this.bin = bin;
        this.port = port;
        this.asPostgres = asPostgres;
    }

    static Optional<Path> binDir() {
        Path base = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(base)) return Optional.empty();
        try (Stream<Path> s = Files.list(base)) {
            return s.map(p -> p.resolve("bin")).filter(p -> Files.isExecutable(p.resolve("initdb")) && Files.isExecutable(p.resolve("pg_ctl")))
                    .max(Comparator.comparing(p -> versionOf(p.getParent().getFileName().toString())));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Integer versionOf(String s) {
        try {
            return Integer.parseInt(s.replaceAll("\\..*", ""));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    static PostgresServer start() throws Exception {
        Optional<Path> bin = binDir();
        String msg = "PostgreSQL server binaries not found under /usr/lib/postgresql: install the Debian package postgresql"
                + " (scripts/install-deps does)";
        if (bin.isEmpty()) {
            if (Tools.inCi()) throw new AssertionError(msg);
            assumeTrue(false, msg);
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        Path dir = Files.createTempDirectory("ima-pg");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        PostgresServer pg = new PostgresServer(dir, bin.get(), port, root);
        if (root) pg.exec(List.of("chown", "-R", "postgres", dir.toString()), false);
        pg.exec(List.of(bin.get().resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-A", "trust", "-U", USER,
                "-E", "UTF8", "--locale=C", "--no-sync"), true);
        pg.exec(List.of(bin.get().resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-w", "-t", "60",
                "-l", dir.resolve("server.log").toString(), "-o",
                "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200",
                "start"), true);
        return pg;
    }

    private void exec(List<String> cmd, boolean asServerUser) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>();
        if (asServerUser && asPostgres) full.addAll(List.of("runuser", "-u", "postgres", "--"));
        full.addAll(cmd);
        Path out = Files.createTempFile("ima-pg-cmd", ".log");
        try {
            Process p = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + full);
            }
            if (p.exitValue() != 0) {
                String log = Files.exists(dir.resolve("server.log")) ? Files.readString(dir.resolve("server.log")) : "";
                throw new IOException(full + " exited " + p.exitValue() + ":\n" + Files.readString(out, StandardCharsets.UTF_8) + log);
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** A fresh database (one per test: separate job repositories). */
    String createDatabase(String name) throws SQLException {
        try (Connection c = DriverManager.getConnection(url("postgres"), USER, ""); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        }
        return url(name);
    }

    String url(String db) { return "jdbc:postgresql://127.0.0.1:" + port + "/" + db; }

    @Override
    public void close() throws Exception {
        try {
            exec(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "immediate", "-w", "stop"), true);
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}

package org.imaarchiver.jobs.reverify;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code verify --workers N} without {@code --broker}: one machine, several JVMs. Starts an
 * embedded broker on a free loopback port (journal in {@code <state>/broker}) and N
 * {@code ima-archiver worker} processes with this JVM's class path, sharing the job repository
 * (the H2 file in the state directory, opened with {@code AUTO_SERVER=TRUE} so the workers reach it
 * through the first opener, or the given JDBC URL). Worker output goes to
 * {@code <state>/worker-<i>.log}. Closing stops the workers, then the broker. Without
 * {@code --workers} nothing is started.
 */
final class LocalWorkers implements AutoCloseable {
    private final Optional<VerifyBroker> broker;
    private final List<Process> workers;

    private LocalWorkers(Optional<VerifyBroker> broker, List<Process> workers) {
        this.broker = broker;
        this.workers = workers;
    }

    static LocalWorkers start(VerifyJobRequest request, PrintStream err) throws IOException {
        int n = request.distribution().localWorkers();
        if (n == 0) return new LocalWorkers(Optional.empty(), List.of());
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        VerifyBroker broker = VerifyBroker.start("127.0.0.1", port, request.stateDir().resolve("broker"));
        List<Process> started = new ArrayList<>();
        LocalWorkers lw = new LocalWorkers(Optional.of(broker), started);
        try {
            VerifyJobRequest.JdbcTarget repo = ReverifyInfrastructure.RepositoryDb.of(request).target();
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            int each = Math.max(1, request.parallel() / n);
            for (int i = 0; i < n; i++) {
                List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), "org.imaarchiver.cli.Main",
                        "worker", "--broker", broker.url(), "--job-repository", repo.url(), "--trust", request.trustDir().toAbsolutePath().toString(),
                        "--parallel", Integer.toString(each), "--segment-parallel", Integer.toString(request.segmentParallel()),
                        "--work-dir", request.stateDir().toAbsolutePath().resolve("worker-" + i).toString()));
                request.storeOptions().s3Endpoint().ifPresent(e -> cmd.addAll(List.of("--s3-endpoint", e.toString())));
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectOutput(request.stateDir().resolve("worker-" + i + ".log").toFile());
                // The password travels in the environment, never on a command line (visible in ps).
                repo.user().ifPresent(u -> pb.environment().put("IMA_ARCHIVER_DB_USER", u));
                repo.password().ifPresent(p -> pb.environment().put("IMA_ARCHIVER_DB_PASSWORD", p));
                started.add(pb.start());
            }
            err.println("verify: " + n + " local worker process(es) on broker " + broker.url() + " (logs in " + request.stateDir() + ")");
            return lw;
        } catch (IOException | RuntimeException e) {
            lw.close();
            throw e;
        }
    }

    Optional<String> brokerUrl() { return broker.map(VerifyBroker::url); }

    @Override
    public void close() throws IOException {
        for (Process p : workers) p.destroy();
        for (Process p : workers) {
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
        if (broker.isPresent()) broker.get().close();
    }
}

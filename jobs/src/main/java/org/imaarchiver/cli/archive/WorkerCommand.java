package org.imaarchiver.cli.archive;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.imaarchiver.cli.CliError;
import org.imaarchiver.cli.ExitCode;
import org.imaarchiver.cli.CliContext;
import org.imaarchiver.jobs.reverify.VerifyJobRequest;
import org.imaarchiver.jobs.reverify.VerifyWorker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code worker}: a distributed-mode verify worker; runs until stopped (SIGTERM / Ctrl-C). */
@Command(name = "worker", mixinStandardHelpOptions = true,
        description = {"Run host partitions of distributed 'verify' runs until stopped.",
                "Takes partition requests from the broker, verifies the host chains against the archive each job names,",
                "and records the results in the shared job repository. Logs one line per partition.",
                "The trust directory must have the same content as the manager's (checked per partition)."},
        footer = {"", "The database password is read from $" + DistributedOptions.PASSWORD_ENV + " when --db-password is not given.",
                "", "Exit codes: 0 stopped, 2 bad usage, 3 broker or job repository unreachable."})
public final class WorkerCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Option(names = "--broker", required = true, paramLabel = "URL", description = "JMS broker (tcp://HOST:PORT).")
    String broker;

    @Option(names = "--job-repository", required = true, paramLabel = "JDBC-URL",
            description = "The shared job repository (jdbc:postgresql://HOST:PORT/DB).")
    String jobRepository;

    @Option(names = "--db-user", paramLabel = "USER", description = "Job repository user (default: $" + DistributedOptions.USER_ENV + ").")
    String dbUser;

    @Option(names = "--db-password", paramLabel = "PASSWORD", description = "Job repository password (prefer the environment).")
    String dbPassword;

    @Option(names = "--trust", required = true, paramLabel = "DIR", description = "Trust directory (same content as the manager's).")
    Path trust;

    @Option(names = "--s3-endpoint", paramLabel = "URL", description = "S3 endpoint for s3:// archives (MinIO, Ceph, ...).")
    String s3Endpoint;

    @Option(names = "--parallel", paramLabel = "N", description = "Host partitions run at once (default: CPU count).")
    Integer parallel;

    @Option(names = "--segment-parallel", paramLabel = "N", description = "Segments of one host verified at once (default: 2).")
    Integer segmentParallel;

    @Option(names = "--work-dir", paramLabel = "DIR", description = "Scratch directory (default: a new temporary directory).")
    Path workDir;

    public WorkerCommand(CliContext ctx) { this.ctx = ctx; }

    @Override
    public Integer call() throws CliError, InterruptedException {
        QuietLibraries.apply();
        int p = parallel == null ? Runtime.getRuntime().availableProcessors() : parallel;
        int sp = segmentParallel == null ? 2 : segmentParallel;
        if (p < 1) throw CliError.usage("--parallel: must be at least 1, got " + p);
        if (sp < 1) throw CliError.usage("--segment-parallel: must be at least 1, got " + sp);
        DistributedOptions.requireBrokerUrl(broker);
        VerifyCommand.loadTrust(trust); // usage error for a missing or malformed trust directory
        VerifyJobRequest.JdbcTarget repo = DistributedOptions.target(jobRepository, Optional.ofNullable(dbUser), Optional.ofNullable(dbPassword),
                System.getenv());
        VerifyWorker worker;
        try {
            Path work = workDir != null ? workDir : java.nio.file.Files.createTempDirectory("ima-archiver-worker");
            worker = VerifyWorker.start(new VerifyWorker.Settings(broker, repo, trust, StoreAccess.options(Optional.ofNullable(s3Endpoint)),
                    p, sp, work));
        } catch (IOException e) {
            throw CliError.environment(e.getMessage(), e);
        }
        Thread hook = new Thread(worker::close, "worker-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        ctx.err().println("worker: ready on " + broker + " (" + p + " partition(s) at once); stop with Ctrl-C or SIGTERM");
        worker.awaitClose();
        return ExitCode.OK;
    }
}

package org.imaarchiver.cli.archive;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.imaarchiver.cli.CliError;
import org.imaarchiver.jobs.reverify.VerifyJobRequest;
import picocli.CommandLine.Option;

/**
 * {@code verify}'s distributed-mode options (a picocli mixin): where partitions run and where the job
 * repository lives. Meaning (docs/operations.md, "Distributed mode"):
 * <ul>
 *   <li>neither {@code --broker} nor {@code --workers}: local mode, partitions on threads;
 *   <li>{@code --broker URL}: the partitions go to {@code ima-archiver worker} processes started
 *       separately on that broker; {@code --job-repository} is then required (every process must
 *       reach it);
 *   <li>{@code --workers N} (no broker): this command starts an embedded broker on loopback and N
 *       worker JVMs on this machine; the job repository is the state directory's H2 file (shared
 *       through H2's auto-server) unless {@code --job-repository} names another;
 *   <li>{@code --partition-timeout D} (either distributed form): the manager stops waiting when no
 *       partition has started or finished for D; the run ends unfinished (exit 3) and resumes.
 * </ul>
 * The database password comes from {@code --db-password} or, better (command lines are visible to
 * other users), the environment variable {@value #PASSWORD_ENV}; the user likewise from
 * {@value #USER_ENV}. Neither is ever printed.
 */
public final class DistributedOptions {
    public static final String USER_ENV = "IMA_ARCHIVER_DB_USER";
    public static final String PASSWORD_ENV = "IMA_ARCHIVER_DB_PASSWORD";

    @Option(names = "--broker", paramLabel = "URL",
            description = "Distributed mode: send partitions to workers on this JMS broker (tcp://HOST:PORT, ActiveMQ Artemis).")
    String broker;

    @Option(names = "--job-repository", paramLabel = "JDBC-URL",
            description = "Job repository shared with the workers (jdbc:postgresql://HOST:PORT/DB); default: H2 in the state directory.")
    String jobRepository;

    @Option(names = "--db-user", paramLabel = "USER", description = "Job repository user (default: $" + USER_ENV + ").")
    String dbUser;

    @Option(names = "--db-password", paramLabel = "PASSWORD",
            description = "Job repository password (prefer $" + PASSWORD_ENV + ": a command line is visible to other users).")
    String dbPassword;

    @Option(names = "--workers", paramLabel = "N",
            description = "Without --broker: start an embedded broker and N local worker processes (several JVMs on this machine).")
    Integer workers;

    @Option(names = "--partition-timeout", paramLabel = "DURATION",
            description = "With --broker or --workers: stop waiting when no partition has started or finished for DURATION "
                    + "(90s, 10m, 2h, PT10M; longer than the slowest host takes): exit 3, and the same command resumes. "
                    + "Default: wait as long as it takes.")
    String partitionTimeout;

    /** Any distributed-mode option given. */
    public boolean isSet() { return broker != null || jobRepository != null || workers != null || partitionTimeout != null; }

    /** The request with these options applied. */
    public VerifyJobRequest apply(VerifyJobRequest request) throws CliError {
        return request.withDistribution(distribution(System.getenv()));
    }

    VerifyJobRequest.Distribution distribution(Map<String, String> env) throws CliError {
        int n = workers == null ? 0 : workers;
        if (n < 0) throw CliError.usage("--workers: must be at least 0, got " + n);
        if (broker != null && n > 0) throw CliError.usage("--workers: not with --broker (start the workers with 'ima-archiver worker')");
        if (broker != null && jobRepository == null) {
            throw CliError.usage("--broker needs --job-repository: the workers must reach the same job repository");
        }
        if (broker != null) requireBrokerUrl(broker);
        Optional<VerifyJobRequest.JdbcTarget> repo = jobRepository == null ? Optional.empty()
                : Optional.of(target(jobRepository, Optional.ofNullable(dbUser), Optional.ofNullable(dbPassword), env));
        VerifyJobRequest.Distribution d = new VerifyJobRequest.Distribution(Optional.ofNullable(broker), repo, n);
        if (partitionTimeout != null) {
            if (!d.isRemote()) throw CliError.usage("--partition-timeout: only with --broker or --workers (distributed mode)");
            Duration t = CompactCommand.duration(partitionTimeout, "--partition-timeout");
            if (t.isZero()) throw CliError.usage("--partition-timeout: must be positive, got " + partitionTimeout);
            d = d.withPartitionTimeout(t);
        }
        return d;
    }

    static void requireBrokerUrl(String url) throws CliError {
        if (!url.matches("(tcp|ssl)://[^\\s/]+:\\d+(\\?.*)?")) throw CliError.usage("--broker: expected tcp://HOST:PORT, got " + url);
    }

    /** A job repository target from options, falling back to the environment for user and password. */
    static VerifyJobRequest.JdbcTarget target(String url, Optional<String> user, Optional<String> password, Map<String, String> env)
            throws CliError {
        if (!url.startsWith("jdbc:postgresql:") && !url.startsWith("jdbc:h2:")) {
            throw CliError.usage("--job-repository: expected jdbc:postgresql://HOST:PORT/DB (or jdbc:h2:...), got "
                    + url.replaceAll("(?i)password=[^&;]*", "password=***"));
        }
        return new VerifyJobRequest.JdbcTarget(url, user.or(() -> Optional.ofNullable(env.get(USER_ENV))),
                password.or(() -> Optional.ofNullable(env.get(PASSWORD_ENV))));
    }
}

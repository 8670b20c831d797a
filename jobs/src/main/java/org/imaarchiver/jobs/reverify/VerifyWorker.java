package org.imaarchiver.jobs.reverify;

import jakarta.jms.Connection;
import jakarta.jms.JMSException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.imaarchiver.archive.store.StoreOptions;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;

/**
 * A distributed-mode worker ({@code ima-archiver worker}): takes partition requests of any
 * {@code reverifyJob} from the broker, runs step {@code verifyChain} for them against the shared job
 * repository and stores each host's result there, until closed. It needs no shared filesystem: the
 * archive is read through the store URI each job names (with this worker's store options), trust
 * comes from this worker's trust directory, which must equal the manager's (compared by digest per
 * partition), and receipts are signed by the manager.
 */
public final class VerifyWorker implements AutoCloseable {
    /**
     * @param brokerUrl       {@code tcp://host:61616}
     * @param jobRepository   the shared job repository
     * @param trustDir        the trust directory (same content as the manager's)
     * @param storeOptions    S3 endpoint, credentials etc. for the stores the jobs name
     * @param parallel        partitions (hosts) run at once
     * @param segmentParallel segments of one host verified at once
     * @param workDir         scratch space for segment verification
     */
    public record Settings(String brokerUrl, VerifyJobRequest.JdbcTarget jobRepository, Path trustDir, StoreOptions storeOptions,
                           int parallel, int segmentParallel, Path workDir) {
        public Settings {
            Objects.requireNonNull(brokerUrl, "brokerUrl");
            Objects.requireNonNull(jobRepository, "jobRepository");
            Objects.requireNonNull(trustDir, "trustDir");
            Objects.requireNonNull(storeOptions, "storeOptions");
            if (parallel < 1) throw new IllegalArgumentException("parallel < 1");
            if (segmentParallel < 1) throw new IllegalArgumentException("segmentParallel < 1");
            Objects.requireNonNull(workDir, "workDir");
        }
    }

    private final AnnotationConfigApplicationContext ctx;
    private final CountDownLatch closed = new CountDownLatch(1);

    private VerifyWorker(AnnotationConfigApplicationContext ctx) { this.ctx = ctx; }

    /**
     * Connects to the repository and the broker and starts consuming.
     *
     * @throws IOException with a one-line message when the repository or the broker is unreachable
     *     or the trust directory unreadable
     */
    public static VerifyWorker start(Settings settings) throws IOException {
        return start(settings, HostVerification.HostListener.NONE);
    }

    static VerifyWorker start(Settings s, HostVerification.HostListener listener) throws IOException {
        org.imaarchiver.jobs.batch.FrameworkLogging.quiet();
        // The per-partition lines are the worker's output: INFO even under a WARN root logger.
        if (LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext lc
                && lc.getLogger(PartitionRequestHandler.LOG_NAME).getLevel() == null) {
            lc.getLogger(PartitionRequestHandler.LOG_NAME).setLevel(ch.qos.logback.classic.Level.INFO);
        }
        Files.createDirectories(s.workDir());
        String trust = org.imaarchiver.jobs.batch.JobIdentity.treeDigest(s.trustDir());
        checkBroker(s.brokerUrl());
        // The worker's own settings in the shape the shared worker configuration reads; the store
        // URI and everything job-specific come from each job's parameters.
        VerifyJobRequest own = new VerifyJobRequest("(named by each job)", s.storeOptions(), s.trustDir(), Optional.empty(), Optional.empty(),
                Optional.empty(), s.parallel(), s.segmentParallel(), s.workDir(), s.workDir(), Optional.empty(), Optional.empty(),
                Optional.empty(), false, VerifyJobRequest.ProgressMode.NONE, Clock.systemUTC(),
                new VerifyJobRequest.Distribution(Optional.of(s.brokerUrl()), Optional.of(s.jobRepository()), 0),
                new org.imaarchiver.archive.chain.ExpectedCadence.Off()); // each job's cadence comes with its parameters
        AnnotationConfigApplicationContext ctx = new AnnotationConfigApplicationContext();
        ctx.registerBean(VerifyJobRequest.class, () -> own);
        ctx.registerBean(ReverifyInfrastructure.RepositoryDb.class, () -> new ReverifyInfrastructure.RepositoryDb(s.jobRepository(), s.parallel() + 4));
        ctx.registerBean(ReverifyWorkerConfiguration.TrustDigest.class, () -> new ReverifyWorkerConfiguration.TrustDigest(trust));
        ctx.registerBean(RemotePartitioningWorker.Consumer.class, () -> new RemotePartitioningWorker.Consumer(s.brokerUrl(), s.parallel()));
        ctx.registerBean(StoreProvider.class, () -> new StoreProvider.Caching(s.storeOptions()));
        ctx.registerBean(Progress.class, () -> Progress.of(VerifyJobRequest.ProgressMode.NONE, System.err));
        ctx.registerBean(HostVerification.HostListener.class, () -> listener);
        ctx.register(ReverifyInfrastructure.class, ReverifyWorkerConfiguration.class, RemotePartitioningWorker.class);
        try {
            ctx.refresh();
        } catch (RuntimeException e) {
            ctx.close();
            Throwable t = e;
            while (t != null) {
                if (t instanceof IOException io) throw io;
                t = t.getCause();
            }
            throw new IOException("cannot start the worker: " + ReverifyInfrastructure.rootMessage(e), e);
        }
        LoggerFactory.getLogger(PartitionRequestHandler.LOG_NAME).info("worker ready: broker {}, job repository {}, {} partition(s) at once",
                s.brokerUrl(), s.jobRepository().redactedUrl(), s.parallel());
        return new VerifyWorker(ctx);
    }

    /** Fails fast, in one line, when the broker does not answer (the listener container would retry silently). */
    static void checkBroker(String url) throws IOException {
        try (ActiveMQConnectionFactory cf = new ActiveMQConnectionFactory(url); Connection c = cf.createConnection()) {
            c.start();
        } catch (JMSException | RuntimeException e) {
            throw new IOException("broker " + url + " unreachable: " + ReverifyInfrastructure.rootMessage(e), e);
        }
    }

    /** Blocks until {@link #close} (from a shutdown hook, say). */
    public void awaitClose() throws InterruptedException { closed.await(); }

    /** Stops consuming (a partition in progress is abandoned, and redelivered by the broker) and disconnects. */
    @Override
    public void close() {
        try {
            ctx.close();
        } finally {
            closed.countDown();
        }
    }
}

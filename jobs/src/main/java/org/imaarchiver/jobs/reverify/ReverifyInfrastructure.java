package org.imaarchiver.jobs.reverify;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Objects;
import javax.sql.DataSource;
import org.springframework.batch.core.configuration.annotation.EnableBatchProcessing;
import org.springframework.batch.core.configuration.annotation.EnableJdbcJobRepository;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.datasource.init.ResourceDatabasePopulator;
import org.springframework.jdbc.support.JdbcTransactionManager;

/**
 * The job repository, shared by manager and workers: by default an embedded H2 file database in the
 * state directory, so an interrupted run resumes (architecture.md L.1); in distributed mode a database
 * every process reaches (PostgreSQL). The Batch schema, {@link ResultTable} and {@link SinceReceiptTable}
 * are created on first use.
 */
@Configuration(proxyBeanMethods = false)
@EnableBatchProcessing
@EnableJdbcJobRepository
class ReverifyInfrastructure {

    /**
     * The trust directory, loaded once per process: the worker's verifier checks quotes with it, and
     * its enrolled hosts are verified even without objects in the store ({@link HostSource}).
     */
    @Bean
    org.imaarchiver.archive.chain.TrustStore trustStore(VerifyJobRequest request) throws IOException {
        return org.imaarchiver.archive.chain.TrustStore.load(request.trustDir());
    }

    /** Which database, and how many connections this process may hold. */
    record RepositoryDb(VerifyJobRequest.JdbcTarget target, int poolSize) {
        RepositoryDb {
            Objects.requireNonNull(target, "target");
            if (poolSize < 1) throw new IllegalArgumentException("poolSize < 1");
        }

        /** The request's database, or the H2 file {@code <state>/jobrepo} (reachable by local worker JVMs with --workers). */
        static RepositoryDb of(VerifyJobRequest request) {
            VerifyJobRequest.JdbcTarget t = request.distribution().jobRepository()
                    .orElseGet(() -> h2(request.stateDir(), request.distribution().localWorkers() > 0));
            return new RepositoryDb(t, request.parallel() + 4);
        }

        static VerifyJobRequest.JdbcTarget h2(Path stateDir, boolean autoServer) {
            return new VerifyJobRequest.JdbcTarget("jdbc:h2:file:" + stateDir.toAbsolutePath().resolve("jobrepo")
                    + (autoServer ? ";AUTO_SERVER=TRUE" : ""), java.util.Optional.of("sa"), java.util.Optional.of(""));
        }
    }

    @Bean(destroyMethod = "close")
    HikariDataSource dataSource(RepositoryDb db) throws IOException {
        if (db.target().url().startsWith("jdbc:h2:file:")) {
            Path file = Path.of(db.target().url().substring("jdbc:h2:file:".length()).split(";", 2)[0]);
            Files.createDirectories(file.toAbsolutePath().getParent());
        }
        return open(db);
    }

    /**
     * Opens the pool (failing fast, with a one-line message that names the URL but never the
     * password) and creates the schema if absent.
     */
    static HikariDataSource open(RepositoryDb db) throws IOException {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(db.target().url());
        db.target().user().ifPresent(c::setUsername);
        db.target().password().ifPresent(c::setPassword);
        c.setMaximumPoolSize(db.poolSize());
        c.setPoolName("verify-jobrepo");
        c.setConnectionTimeout(10_000);
        HikariDataSource ds;
        try {
            ds = new HikariDataSource(c);
        } catch (HikariPool.PoolInitializationException | IllegalArgumentException | IllegalStateException e) {
            throw new IOException("job repository " + db.target().redactedUrl() + " unreachable: " + rootMessage(e), e);
        }
        try {
            org.imaarchiver.jobs.batch.EmbeddedJobRepository.createSchemaIfAbsent(ds);
            ResultTable.createIfAbsent(ds);
            SinceReceiptTable.createIfAbsent(ds);
        } catch (SQLException | RuntimeException e) {
            ds.close();
            throw new IOException("job repository " + db.target().redactedUrl() + ": cannot create the schema: " + rootMessage(e), e);
        }
        indexStepExecutionsByJobExecution(ds);
        return ds;
    }

    /**
     * Batch's PostgreSQL schema has no index on {@code BATCH_STEP_EXECUTION(JOB_EXECUTION_ID)} (H2
     * indexes foreign keys itself), yet a distributed manager looks up its execution's partitions there
     * every poll, in a table that gains a row per host and run. Best effort: without it, polls are slower.
     */
    private static void indexStepExecutionsByJobExecution(DataSource ds) {
        try (Connection c = ds.getConnection(); java.sql.Statement st = c.createStatement()) {
            st.execute("CREATE INDEX IF NOT EXISTS IMA_STEP_EXECUTION_JOB_IX ON BATCH_STEP_EXECUTION (JOB_EXECUTION_ID)");
        } catch (SQLException e) {
            // two processes creating it at once, or no right to create indexes: only speed is lost
        }
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    @Bean
    JdbcTransactionManager transactionManager(DataSource dataSource) {
        return new JdbcTransactionManager(dataSource);
    }
}

package org.imaarchiver.jobs.batch;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.util.Locale;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.datasource.init.ResourceDatabasePopulator;

/**
 * The Spring Batch job repository of a single-machine run: an H2 file database in the job's state
 * directory, so an interrupted run resumes with the same command (architecture.md L.1). Shared by the
 * bulk jobs ({@code reverifyJob}, {@code compactJob}); each keeps its own state directory.
 */
public final class EmbeddedJobRepository {
    private EmbeddedJobRepository() {}

    /** An H2 file database {@code <stateDir>/jobrepo} with the Batch schema (created on first use). */
    public static HikariDataSource open(Path stateDir, String poolName, int poolSize) throws IOException, SQLException {
        Files.createDirectories(stateDir);
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(jdbcUrl(stateDir));
        c.setUsername("sa");
        c.setPassword("");
        c.setMaximumPoolSize(poolSize);
        c.setPoolName(poolName);
        HikariDataSource ds = new HikariDataSource(c);
        try {
            createSchemaIfAbsent(ds);
        } catch (SQLException | RuntimeException e) {
            ds.close();
            throw e;
        }
        return ds;
    }

    /** The JDBC URL of the repository in {@code stateDir} (tests read step executions through it). */
    public static String jdbcUrl(Path stateDir) {
        return "jdbc:h2:file:" + stateDir.toAbsolutePath().resolve("jobrepo");
    }

    /** The Batch schema shipped with spring-batch-core for this database (H2 or PostgreSQL), unless BATCH_JOB_INSTANCE exists. */
    public static void createSchemaIfAbsent(DataSource ds) throws SQLException {
        String product;
        try (Connection conn = ds.getConnection()) {
            if (tableExists(conn.getMetaData())) return;
            product = conn.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT);
        }
        String script = product.contains("postgres") ? "postgresql" : product.contains("h2") ? "h2" : null;
        if (script == null) throw new SQLException("unsupported job repository database: " + product + " (PostgreSQL or H2)");
        try {
            new ResourceDatabasePopulator(new ClassPathResource("org/springframework/batch/core/schema-" + script + ".sql")).execute(ds);
        } catch (RuntimeException e) {
            // Another process (a worker starting at the same time) may have created it meanwhile.
            try (Connection conn = ds.getConnection()) {
                if (!tableExists(conn.getMetaData())) throw e;
            }
        }
    }

    private static boolean tableExists(DatabaseMetaData md) throws SQLException {
        for (String name : new String[] {"BATCH_JOB_INSTANCE", "batch_job_instance"}) {
            try (ResultSet rs = md.getTables(null, null, name, null)) {
                if (rs.next()) return true;
            }
        }
        return false;
    }
}

package org.imaarchiver.jobs.batch;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.datasource.init.ResourceDatabasePopulator;

/**
 * The Spring Batch job repository of a single-machine run: an H2 file database in the job's state
 * directory, so an interrupted run resumes with the same command (java-stack.md §1). Shared by the
 * bulk jobs ({@code reverifyJob}, {@code compactJob}); each keeps its own state directory.
 */
public final class EmbeddedJobRepository {
    /** The Batch schema shipped with spring-batch-core. */
    public static final String SCHEMA = "org/springframework/batch/core/schema-h2.sql";

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

    /** Applies {@link #SCHEMA} unless {@code BATCH_JOB_INSTANCE} exists. */
    public static void createSchemaIfAbsent(DataSource ds) throws SQLException {
        try (Connection conn = ds.getConnection(); ResultSet rs = conn.getMetaData().getTables(null, null, "BATCH_JOB_INSTANCE", null)) {
            if (rs.next()) return;
        }
        new ResourceDatabasePopulator(new ClassPathResource(SCHEMA)).execute(ds);
    }
}

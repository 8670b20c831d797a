package org.imaarchiver.jobs.reverify;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.ArchiveStores;
import org.springframework.batch.core.configuration.annotation.EnableBatchProcessing;
import org.springframework.batch.core.configuration.annotation.EnableJdbcJobRepository;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.jdbc.datasource.init.ResourceDatabasePopulator;

/**
 * The job repository (an embedded H2 file database in the state directory, so an interrupted run
 * resumes: java-stack.md §1) and the archive store, shared by manager and workers.
 */
@Configuration(proxyBeanMethods = false)
@EnableBatchProcessing
@EnableJdbcJobRepository
class ReverifyInfrastructure {
    /** The Batch schema shipped with spring-batch-core. */
    static final String SCHEMA = "org/springframework/batch/core/schema-h2.sql";

    @Bean(destroyMethod = "close")
    HikariDataSource dataSource(VerifyJobRequest request) throws IOException, SQLException {
        Files.createDirectories(request.stateDir());
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl("jdbc:h2:file:" + request.stateDir().toAbsolutePath().resolve("jobrepo"));
        c.setUsername("sa");
        c.setPassword("");
        c.setMaximumPoolSize(request.parallel() + 4);
        c.setPoolName("verify-jobrepo");
        HikariDataSource ds = new HikariDataSource(c);
        createSchemaIfAbsent(ds);
        return ds;
    }

    static void createSchemaIfAbsent(DataSource ds) throws SQLException {
        try (Connection conn = ds.getConnection(); ResultSet rs = conn.getMetaData().getTables(null, null, "BATCH_JOB_INSTANCE", null)) {
            if (rs.next()) return;
        }
        new ResourceDatabasePopulator(new ClassPathResource(SCHEMA)).execute(ds);
    }

    @Bean
    JdbcTransactionManager transactionManager(DataSource dataSource) {
        return new JdbcTransactionManager(dataSource);
    }

    @Bean(destroyMethod = "close")
    ArchiveStore archiveStore(VerifyJobRequest request) throws IOException {
        return ArchiveStores.open(request.storeUri(), request.storeOptions());
    }

    @Bean
    HostSource hostSource(ArchiveStore store, VerifyJobRequest request) {
        return new HostSource(store, request);
    }
}

package org.imaarchiver.jobs.reverify;

import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.ArchiveStores;
import org.imaarchiver.jobs.batch.EmbeddedJobRepository;
import org.springframework.batch.core.configuration.annotation.EnableBatchProcessing;
import org.springframework.batch.core.configuration.annotation.EnableJdbcJobRepository;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.support.JdbcTransactionManager;

/**
 * The job repository ({@link EmbeddedJobRepository}: an H2 file database in the state directory, so an
 * interrupted run resumes: java-stack.md §1) and the archive store, shared by manager and workers.
 */
@Configuration(proxyBeanMethods = false)
@EnableBatchProcessing
@EnableJdbcJobRepository
class ReverifyInfrastructure {
    @Bean(destroyMethod = "close")
    HikariDataSource dataSource(VerifyJobRequest request) throws IOException, SQLException {
        return EmbeddedJobRepository.open(request.stateDir(), "verify-jobrepo", request.parallel() + 4);
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

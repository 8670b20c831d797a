package org.imaarchiver.jobs.reverify;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The counts a distributed manager's progress reads from the result rows, and a table from before them. */
class ResultTableTest {
    @TempDir Path dir;

    @Test
    void totalsSumTheStoredRowsOfOneResultSetAndAnOlderTableGetsTheColumns() throws Exception {
        ReverifyInfrastructure.RepositoryDb db = new ReverifyInfrastructure.RepositoryDb(
                ReverifyInfrastructure.RepositoryDb.h2(dir.resolve("db"), false), 2);
        try (HikariDataSource ds = ReverifyInfrastructure.open(db)) {
            // a job repository kept from before the count columns
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                st.execute("DROP TABLE " + ResultTable.TABLE);
                st.execute("CREATE TABLE " + ResultTable.TABLE + " (RESULT_SET VARCHAR(100) NOT NULL, HOST VARCHAR(255) NOT NULL, "
                        + "ENTRY TEXT NOT NULL, RECEIPT TEXT, PRIMARY KEY (RESULT_SET, HOST))");
                st.execute("INSERT INTO " + ResultTable.TABLE + " (RESULT_SET, HOST, ENTRY) VALUES ('s', 'old', '{}')");
            }
        }
        try (HikariDataSource ds = ReverifyInfrastructure.open(db)) {
            ResultTable t = new ResultTable(ds, "s");
            ResultTable.Totals base = t.totals();
            assertThat(base).isEqualTo(new ResultTable.Totals(1, 0, 0, 0)); // the old row: no verdict, no counts
            t.put("a", "{}", Optional.empty(), true, 3, 30);
            t.put("b", "{}", Optional.empty(), false, 2, 7);
            t.put("a", "{}", Optional.empty(), true, 4, 40); // a partition run again replaces its row
            new ResultTable(ds, "other").put("c", "{}", Optional.empty(), false, 100, 1000);
            assertThat(t.totals().minus(base)).isEqualTo(new ResultTable.Totals(2, 1, 6, 47));
        }
    }
}

package org.imaarchiver.jobs.reverify;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.log.Bytes;

/**
 * The per-host results of one job instance, in table {@value #TABLE} of the job repository
 * database: the only place (besides the broker) that a manager and its remote workers share, so
 * results reach the manager without a shared filesystem. One row per host: the JSON report entry and,
 * for a host that verified, the unsigned receipt body (canonical JSON) that the manager signs when
 * it writes the reports. Rows are written outside the step's transaction, before the step commits:
 * a crash in between re-runs the partition, which replaces the row (same semantics as an atomically
 * replaced file). Reads are one row at a time (the report is streamed host by host).
 */
final class ResultTable {
    static final String TABLE = "IMA_VERIFY_RESULT";
    private static final String DDL = "CREATE TABLE IF NOT EXISTS " + TABLE + " (RESULT_SET VARCHAR(100) NOT NULL, "
            + "HOST VARCHAR(255) NOT NULL, ENTRY TEXT NOT NULL, RECEIPT TEXT, PRIMARY KEY (RESULT_SET, HOST))";

    /** One host's stored result. */
    record Row(Map<String, Object> entry, Optional<Bytes> receiptBody) {
        Row {
            Objects.requireNonNull(entry, "entry");
            Objects.requireNonNull(receiptBody, "receiptBody");
        }
    }

    private final DataSource dataSource;
    private final String resultSet;

    ResultTable(DataSource dataSource, String resultSet) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.resultSet = Objects.requireNonNull(resultSet, "resultSet");
    }

    /** Creates the table (idempotent; concurrent creators tolerated). */
    static void createIfAbsent(DataSource ds) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute(DDL);
        } catch (SQLException e) {
            // Two processes racing on CREATE ... IF NOT EXISTS can still collide in PostgreSQL's catalog.
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                st.execute("SELECT 1 FROM " + TABLE + " WHERE 1 = 0");
            } catch (SQLException again) {
                e.addSuppressed(again);
                throw e;
            }
        }
    }

    /**
     * Replaces the row of {@code host}. Two writers of one host (a dead manager's partition still
     * running while the restart's runs) can collide on the key between delete and insert: the
     * loser tries again, and the last writer wins (both wrote a verification of the same host).
     */
    void put(String host, String entryJson, Optional<Bytes> receiptBody) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                replace(host, entryJson, receiptBody);
                return;
            } catch (SQLException e) {
                if (!"23505".equals(e.getSQLState()) || attempt >= 3) { // unique violation (PostgreSQL, H2)
                    throw new IOException("cannot store the result of host " + host + " in the job repository: " + e.getMessage(), e);
                }
            }
        }
    }

    private void replace(String host, String entryJson, Optional<Bytes> receiptBody) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(false);
            try (PreparedStatement del = c.prepareStatement("DELETE FROM " + TABLE + " WHERE RESULT_SET = ? AND HOST = ?");
                 PreparedStatement ins = c.prepareStatement("INSERT INTO " + TABLE + " (RESULT_SET, HOST, ENTRY, RECEIPT) VALUES (?, ?, ?, ?)")) {
                del.setString(1, resultSet);
                del.setString(2, host);
                del.executeUpdate();
                ins.setString(1, resultSet);
                ins.setString(2, host);
                ins.setString(3, entryJson);
                ins.setString(4, receiptBody.map(b -> new String(b.toArray(), StandardCharsets.UTF_8)).orElse(null));
                ins.executeUpdate();
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(auto);
            }
        }
    }

    /** The row of {@code host}, if its partition completed. */
    Optional<Row> get(String host) throws IOException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement q = c.prepareStatement("SELECT ENTRY, RECEIPT FROM " + TABLE + " WHERE RESULT_SET = ? AND HOST = ?")) {
            q.setString(1, resultSet);
            q.setString(2, host);
            try (ResultSet rs = q.executeQuery()) {
                if (!rs.next()) return Optional.empty();
                String entry = rs.getString(1);
                String receipt = rs.getString(2);
                Map<String, Object> e = Json.asObject(Json.parse(entry), TABLE + " " + resultSet + "/" + host);
                return Optional.of(new Row(e, Optional.ofNullable(receipt).map(s -> Bytes.wrap(s.getBytes(StandardCharsets.UTF_8)))));
            }
        } catch (SQLException e) {
            throw new IOException("cannot read the result of host " + host + " from the job repository: " + e.getMessage(), e);
        } catch (Json.JsonException e) {
            throw new IOException(TABLE + " " + resultSet + "/" + host + ": corrupt result: " + e.getMessage(), e);
        }
    }

    /**
     * The key of part {@code part} of a host whose chain was verified in parts (segment ranges;
     * '#' is not a host id character, so part keys never collide with a host's).
     */
    static String partKey(String host, int part) { return host + "#" + String.format("%04d", part); }

    /** The rows of {@code host}'s parts in part order, one at a time. */
    void forEachPart(String host, java.util.function.Consumer<Row> consumer) throws IOException {
        // A range, not LIKE: '_' in host ids would be a wildcard. '$' is the character after '#'.
        try (Connection c = dataSource.getConnection();
             PreparedStatement q = c.prepareStatement("SELECT HOST, ENTRY, RECEIPT FROM " + TABLE
                     + " WHERE RESULT_SET = ? AND HOST > ? AND HOST < ? ORDER BY HOST")) {
            q.setString(1, resultSet);
            q.setString(2, host + "#");
            q.setString(3, host + "$");
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    Map<String, Object> e = Json.asObject(Json.parse(rs.getString(2)), TABLE + " " + resultSet + "/" + rs.getString(1));
                    String receipt = rs.getString(3);
                    consumer.accept(new Row(e, Optional.ofNullable(receipt).map(x -> Bytes.wrap(x.getBytes(StandardCharsets.UTF_8)))));
                }
            }
        } catch (SQLException e) {
            throw new IOException("cannot read the results of host " + host + " from the job repository: " + e.getMessage(), e);
        } catch (Json.JsonException e) {
            throw new IOException(TABLE + " " + resultSet + "/" + host + ": corrupt part result: " + e.getMessage(), e);
        }
    }

    /** Deletes every row of this result set (its reports are written). */
    void deleteAll() throws IOException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement del = c.prepareStatement("DELETE FROM " + TABLE + " WHERE RESULT_SET = ?")) {
            del.setString(1, resultSet);
            del.executeUpdate();
        } catch (SQLException e) {
            throw new IOException("cannot delete the results of " + resultSet + " from the job repository: " + e.getMessage(), e);
        }
    }

    /** For {@link ReportWriter}'s lambdas. */
    Optional<Row> getUnchecked(String host) {
        try {
            return get(host);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

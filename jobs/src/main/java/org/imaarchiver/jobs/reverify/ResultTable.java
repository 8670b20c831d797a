package org.imaarchiver.jobs.reverify;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;
import org.imaarchiver.archive.chain.ArchiveReportJson;
import org.imaarchiver.archive.chain.ChainFinding;
import org.imaarchiver.archive.chain.ChainFindingCodec;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.bytes.Bytes;

/**
 * The per-host results of one job instance, in table {@value #TABLE} of the job repository
 * database: the only place (besides the broker) that a manager and its remote workers share, so
 * results reach the manager without a shared filesystem. One row per host: the JSON report entry and,
 * for a host that verified, the unsigned receipt body (canonical JSON) that the manager signs when
 * it writes the reports. Rows are written outside the step's transaction, before the step commits:
 * a crash in between re-runs the partition, which replaces the row (same semantics as an atomically
 * replaced file). Reads are one row at a time (the report is streamed host by host). The columns
 * {@code OK}, {@code SEGMENTS} and {@code RECORDS} (also in the entry) let a distributed manager
 * show progress with one aggregate query ({@link #totals}).
 */
final class ResultTable {
    static final String TABLE = "IMA_VERIFY_RESULT";
    private static final String DDL = "CREATE TABLE IF NOT EXISTS " + TABLE + " (RESULT_SET VARCHAR(100) NOT NULL, "
            + "HOST VARCHAR(255) NOT NULL, ENTRY TEXT NOT NULL, RECEIPT TEXT, OK BOOLEAN, SEGMENTS BIGINT, RECORDS BIGINT, PRIMARY KEY (RESULT_SET, HOST))";

    /**
     * One host's stored result: its report entry (whose {@code failures} are the report's rendering
     * of {@code findings}), its findings typed, and the receipt body if it verified.
     */
    record Row(Map<String, Object> entry, List<ChainFinding> findings, Optional<Bytes> receiptBody) {
        Row {
            Objects.requireNonNull(entry, "entry");
            findings = List.copyOf(findings);
            Objects.requireNonNull(receiptBody, "receiptBody");
        }
    }

    private final DataSource dataSource;
    private final String resultSet;

    ResultTable(DataSource dataSource, String resultSet) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.resultSet = Objects.requireNonNull(resultSet, "resultSet");
    }

    /** Sums over the stored rows of this result set. */
    record Totals(long hosts, long failedHosts, long segments, long records) {
        /** What was stored since {@code base} was taken. */
        Totals minus(Totals base) {
            return new Totals(hosts - base.hosts, failedHosts - base.failedHosts, segments - base.segments, records - base.records);
        }
    }

    /**
     * Runs {@code CREATE TABLE IF NOT EXISTS ddl}; two processes racing on it can still collide in
     * PostgreSQL's catalog, so a failure is fine if {@code table} exists afterwards.
     */
    static void createRacing(DataSource ds, String ddl, String table) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute(ddl);
        } catch (SQLException e) {
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                st.execute("SELECT 1 FROM " + table + " WHERE 1 = 0");
            } catch (SQLException again) {
                e.addSuppressed(again);
                throw e;
            }
        }
    }

    /** Creates the table (idempotent; concurrent creators tolerated), or adds the count columns to an older one. */
    static void createIfAbsent(DataSource ds) throws SQLException {
        createRacing(ds, DDL, TABLE);
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("SELECT OK, SEGMENTS, RECORDS FROM " + TABLE + " WHERE 1 = 0");
        } catch (SQLException missing) {
            // A table from before the count columns (a job repository kept across an upgrade).
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                st.execute("ALTER TABLE " + TABLE + " ADD COLUMN IF NOT EXISTS OK BOOLEAN");
                st.execute("ALTER TABLE " + TABLE + " ADD COLUMN IF NOT EXISTS SEGMENTS BIGINT");
                st.execute("ALTER TABLE " + TABLE + " ADD COLUMN IF NOT EXISTS RECORDS BIGINT");
            }
        }
    }

    /** This result set's receipt verdicts ({@code --since-receipt} in distributed mode), in the same database. */
    SinceReceiptTable sinceReceipts() { return new SinceReceiptTable(dataSource, resultSet); }

    /**
     * Replaces the row of {@code host}. Two writers of one host (a dead manager's partition still
     * running while the restart's runs) can collide on the key between delete and insert: the
     * loser tries again, and the last writer wins (both wrote a verification of the same host).
     */
    void put(String host, String entryJson, Optional<Bytes> receiptBody, boolean ok, long segments, long records) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                replace(host, entryJson, receiptBody, ok, segments, records);
                return;
            } catch (SQLException e) {
                if (!"23505".equals(e.getSQLState()) || attempt >= 3) { // unique violation (PostgreSQL, H2)
                    throw new IOException("cannot store the result of host " + host + " in the job repository: " + e.getMessage(), e);
                }
            }
        }
    }

    private void replace(String host, String entryJson, Optional<Bytes> receiptBody, boolean ok, long segments, long records)
            throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(false);
            try (PreparedStatement del = c.prepareStatement("DELETE FROM " + TABLE + " WHERE RESULT_SET = ? AND HOST = ?");
                 PreparedStatement ins = c.prepareStatement("INSERT INTO " + TABLE + " (RESULT_SET, HOST, ENTRY, RECEIPT, OK, SEGMENTS, RECORDS) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                del.setString(1, resultSet);
                del.setString(2, host);
                del.executeUpdate();
                ins.setString(1, resultSet);
                ins.setString(2, host);
                ins.setString(3, entryJson);
                ins.setString(4, receiptBody.map(b -> new String(b.toArray(), StandardCharsets.UTF_8)).orElse(null));
                ins.setBoolean(5, ok);
                ins.setLong(6, segments);
                ins.setLong(7, records);
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
                return rs.next() ? Optional.of(row(host, rs.getString(1), rs.getString(2))) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IOException("cannot read the result of host " + host + " from the job repository: " + e.getMessage(), e);
        }
    }

    private Row row(String key, String entry, String receipt) throws IOException {
        try {
            Map<String, Object> e = Json.asObject(Json.parse(entry), TABLE + " " + resultSet + "/" + key);
            List<ChainFinding> findings = new ArrayList<>();
            if (e.containsKey("failures")) {
                // Stored typed (HostVerification.hostEntry); the report gets their rendered text.
                List<Object> rendered = new ArrayList<>();
                for (Object f : Json.asArray(e.get("failures"), "failures")) {
                    ChainFinding typed = ChainFindingCodec.fromJson(f);
                    findings.add(typed);
                    rendered.add(ArchiveReportJson.toJson(typed));
                }
                e.put("failures", rendered);
            }
            return new Row(e, findings, Optional.ofNullable(receipt).map(s -> Bytes.wrap(s.getBytes(StandardCharsets.UTF_8))));
        } catch (Json.JsonException e) {
            throw new IOException(TABLE + " " + resultSet + "/" + key + ": corrupt result: " + e.getMessage(), e);
        }
    }

    /**
     * The key of part {@code part} of a host whose chain was verified in parts (segment ranges;
     * '#' is not a host id character, so part keys never collide with a host's).
     */
    static String partKey(String host, int part) { return host + "#" + String.format("%04d", part); }

    /** The rows of {@code host}'s parts in part order, one at a time. */
    void forEachPart(String host, java.util.function.Consumer<Row> consumer) throws IOException {
        // LIKE with '_' escaped (a host id character, and LIKE's one-character wildcard); not a range
        // of strings: PostgreSQL's locale collations do not order '#' and '$' by code point.
        try (Connection c = dataSource.getConnection();
             PreparedStatement q = c.prepareStatement("SELECT HOST, ENTRY, RECEIPT FROM " + TABLE
                     + " WHERE RESULT_SET = ? AND HOST LIKE ? ESCAPE '!' ORDER BY HOST")) {
            q.setString(1, resultSet);
            q.setString(2, partPattern(host));
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) consumer.accept(row(rs.getString(1), rs.getString(2), rs.getString(3)));
            }
        } catch (SQLException e) {
            throw new IOException("cannot read the results of host " + host + " from the job repository: " + e.getMessage(), e);
        }
    }

    /**
     * Hosts done, failed hosts, segments and records stored so far (the distributed manager's
     * progress: two aggregate queries). A long chain verified in parts is a host once all of its
     * {@code partsOf.get(host)} parts are stored, failed if any part failed; segments and records
     * count from each part on.
     */
    Totals totals(Map<String, Integer> partsOf) throws IOException {
        try (Connection c = dataSource.getConnection()) {
            long hosts, failed, segments, records;
            try (PreparedStatement q = c.prepareStatement("SELECT COALESCE(SUM(CASE WHEN HOST NOT LIKE '%#%' THEN 1 ELSE 0 END), 0), "
                    + "COALESCE(SUM(CASE WHEN HOST NOT LIKE '%#%' AND OK = FALSE THEN 1 ELSE 0 END), 0), "
                    + "COALESCE(SUM(SEGMENTS), 0), COALESCE(SUM(RECORDS), 0) FROM " + TABLE + " WHERE RESULT_SET = ?")) {
                q.setString(1, resultSet);
                try (ResultSet rs = q.executeQuery()) {
                    rs.next();
                    hosts = rs.getLong(1);
                    failed = rs.getLong(2);
                    segments = rs.getLong(3);
                    records = rs.getLong(4);
                }
            }
            // One row per split host (at most --max-partitions of them): its parts stored and failed.
            try (PreparedStatement q = c.prepareStatement("SELECT SUBSTRING(HOST, 1, POSITION('#' IN HOST) - 1) AS H, COUNT(*), "
                    + "COALESCE(SUM(CASE WHEN OK = FALSE THEN 1 ELSE 0 END), 0) FROM " + TABLE
                    + " WHERE RESULT_SET = ? AND HOST LIKE '%#%' GROUP BY SUBSTRING(HOST, 1, POSITION('#' IN HOST) - 1)")) {
                q.setString(1, resultSet);
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        Integer parts = partsOf.get(rs.getString(1));
                        if (parts != null && rs.getLong(2) < parts) continue; // (unknown split: counted from its first part)
                        hosts++;
                        if (rs.getLong(3) > 0) failed++;
                    }
                }
            }
            return new Totals(hosts, failed, segments, records);
        } catch (SQLException e) {
            throw new IOException("cannot count the results of " + resultSet + " in the job repository: " + e.getMessage(), e);
        }
    }

    /** How many parts of {@code host} are stored, and whether all of those verified. */
    record PartTally(long stored, boolean allOk) {}

    PartTally partTally(String host) throws IOException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement q = c.prepareStatement("SELECT COUNT(*), COALESCE(SUM(CASE WHEN OK = FALSE THEN 1 ELSE 0 END), 0) FROM "
                     + TABLE + " WHERE RESULT_SET = ? AND HOST LIKE ? ESCAPE '!'")) {
            q.setString(1, resultSet);
            q.setString(2, partPattern(host));
            try (ResultSet rs = q.executeQuery()) {
                rs.next();
                return new PartTally(rs.getLong(1), rs.getLong(2) == 0);
            }
        } catch (SQLException e) {
            throw new IOException("cannot count the parts of host " + host + " in the job repository: " + e.getMessage(), e);
        }
    }

    /** LIKE pattern of {@code host}'s part keys, '_' escaped (a host id character, and LIKE's one-character wildcard). */
    private static String partPattern(String host) { return host.replace("_", "!_") + "#%"; }

    /** Deletes every row of this result set (its reports are written). */
    void deleteAll() throws IOException { deleteResultSet(dataSource, TABLE, resultSet, "results"); }

    /** Deletes the rows of {@code resultSet} from {@code table} (a result or receipt table; {@code what} names them in the error). */
    static void deleteResultSet(DataSource ds, String table, String resultSet, String what) throws IOException {
        try (Connection c = ds.getConnection();
             PreparedStatement del = c.prepareStatement("DELETE FROM " + table + " WHERE RESULT_SET = ?")) {
            del.setString(1, resultSet);
            del.executeUpdate();
        } catch (SQLException e) {
            throw new IOException("cannot delete the " + what + " of " + resultSet + " from the job repository: " + e.getMessage(), e);
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

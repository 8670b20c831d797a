package org.imaarchiver.jobs.reverify;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import javax.sql.DataSource;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.receipt.VerificationReceipt;
import org.imaarchiver.archive.sign.TrustedKeys;
import org.imaarchiver.replay.bytes.Bytes;

/**
 * {@code --since-receipt} in distributed mode: the workers have neither the receipts directory nor
 * the receipt signers, so the manager reads the directory before it sends the partitions and stores,
 * per host, its verdict in table {@value #TABLE} of the job repository (keyed by the result set, like
 * {@link ResultTable}): the receipt's canonical body when it verified under the signers, or the
 * reason it was refused. A worker then starts the host after the accepted receipt, or verifies the
 * whole chain and reports the refusal: exactly what local mode decides, from the same
 * {@link #read} (the same messages included). A host without a row has no receipt.
 *
 * <p>The directory is streamed and the signatures are checked on a small pool with a bounded window
 * of pending reads: memory does not grow with the number of hosts. The rows are replaced in one
 * transaction, so a worker never sees half of them.
 */
final class SinceReceiptTable {
    static final String TABLE = "IMA_VERIFY_SINCE_RECEIPT";
    private static final String DDL = "CREATE TABLE IF NOT EXISTS " + TABLE + " (RESULT_SET VARCHAR(100) NOT NULL, "
            + "HOST VARCHAR(255) NOT NULL, RECEIPT TEXT, REJECTED TEXT, PRIMARY KEY (RESULT_SET, HOST))";
    /** Receipts read ahead of the insert (per fill). */
    private static final int WINDOW = 256;
    private static final int BATCH = 500;

    /** The manager's decision about one host's receipt. */
    sealed interface Verdict permits Accepted, Rejected {}

    /** The receipt verified under the receipt signers: the host starts after it. */
    record Accepted(VerificationReceipt receipt) implements Verdict {
        Accepted { Objects.requireNonNull(receipt, "receipt"); }
    }

    /** The receipt was refused (signature, malformed, another host's): the whole chain is verified. */
    record Rejected(String reason) implements Verdict {
        Rejected { Objects.requireNonNull(reason, "reason"); }
    }

    private final DataSource dataSource;
    private final String resultSet;

    SinceReceiptTable(DataSource dataSource, String resultSet) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.resultSet = Objects.requireNonNull(resultSet, "resultSet");
    }

    /** Creates the table (idempotent; concurrent creators tolerated, as in ResultTable). */
    static void createIfAbsent(DataSource ds) throws SQLException {
        ResultTable.createRacing(ds, DDL, TABLE);
    }

    /**
     * The verdict on {@code host}'s receipt in {@code dir}: empty when there is none. This is local
     * mode's per-host decision and the one the manager stores for remote workers.
     */
    static Optional<Verdict> read(Path dir, String host, TrustedKeys signers) {
        try {
            return VerificationReceipt.read(dir, host, signers).map(Accepted::new);
        } catch (VerificationReceipt.ReceiptException e) {
            return Optional.of(new Rejected(e.getMessage())); // fail closed: the caller verifies the whole chain
        }
    }

    /**
     * Replaces this result set's rows with the verdicts on every {@code <host>.receipt.json} in
     * {@code dir} whose host is {@code wanted}.
     *
     * @param threads signature checks at once
     * @return the number of rows stored
     * @throws IOException when the directory cannot be listed or the rows cannot be stored
     */
    long fill(Path dir, TrustedKeys signers, Predicate<String> wanted, int threads) throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
            Thread t = new Thread(r, "verify-receipts");
            t.setDaemon(true);
            return t;
        });
        try (Connection c = dataSource.getConnection()) {
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(false);
            try (PreparedStatement del = c.prepareStatement("DELETE FROM " + TABLE + " WHERE RESULT_SET = ?");
                 PreparedStatement ins = c.prepareStatement("INSERT INTO " + TABLE + " (RESULT_SET, HOST, RECEIPT, REJECTED) VALUES (?, ?, ?, ?)");
                 DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + VerificationReceipt.JSON_SUFFIX)) {
                del.setString(1, resultSet);
                del.executeUpdate();
                ArrayDeque<Future<Optional<Row>>> window = new ArrayDeque<>();
                long[] stored = {0, 0}; // rows, rows in the current batch
                for (Path p : files) {
                    String name = p.getFileName().toString();
                    String host = name.substring(0, name.length() - VerificationReceipt.JSON_SUFFIX.length());
                    if (!ArchiveLayout.isValidHostId(host) || !wanted.test(host)) continue;
                    window.add(pool.submit(() -> read(dir, host, signers).map(v -> new Row(host, v))));
                    if (window.size() >= WINDOW) add(ins, await(window.poll()), stored);
                }
                while (!window.isEmpty()) add(ins, await(window.poll()), stored);
                if (stored[1] > 0) ins.executeBatch();
                c.commit();
                return stored[0];
            } catch (SQLException | IOException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(auto);
            }
        } catch (SQLException e) {
            throw new IOException("cannot store the receipts of " + dir + " in the job repository: " + e.getMessage(), e);
        } catch (DirectoryIteratorException e) {
            throw new IOException("--since-receipt " + dir + ": " + e.getCause().getMessage(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    private record Row(String host, Verdict verdict) {}

    private static Optional<Row> await(Future<Optional<Row>> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading the receipts", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IOException("cannot read a receipt: " + e.getCause(), e.getCause());
        }
    }

    private void add(PreparedStatement ins, Optional<Row> row, long[] stored) throws SQLException {
        if (row.isEmpty()) return; // the file went away meanwhile: no receipt, as in local mode
        ins.setString(1, resultSet);
        ins.setString(2, row.get().host());
        if (row.get().verdict() instanceof Accepted a) {
            ins.setString(3, new String(a.receipt().canonicalBytes().toArray(), StandardCharsets.UTF_8));
            ins.setString(4, null);
        } else if (row.get().verdict() instanceof Rejected r) {
            ins.setString(3, null);
            // The reason may quote the file's bytes; PostgreSQL's text refuses NUL, and a receipt file
            // must not be able to stop the run.
            ins.setString(4, r.reason().replace("\u0000", "\\u0000"));
        }
        ins.addBatch();
        stored[0]++;
        if (++stored[1] >= BATCH) {
            ins.executeBatch();
            stored[1] = 0;
        }
    }

    /**
     * The manager's verdict on {@code host}'s receipt; empty: it has none.
     *
     * @throws IOException when the row cannot be read, or an accepted receipt's stored body does not
     *     parse (a corrupt row is an error of the run, not a verdict)
     */
    Optional<Verdict> get(String host) throws IOException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement q = c.prepareStatement("SELECT RECEIPT, REJECTED FROM " + TABLE + " WHERE RESULT_SET = ? AND HOST = ?")) {
            q.setString(1, resultSet);
            q.setString(2, host);
            try (ResultSet rs = q.executeQuery()) {
                if (!rs.next()) return Optional.empty();
                String receipt = rs.getString(1);
                String rejected = rs.getString(2);
                if (receipt == null) return Optional.of(new Rejected(rejected == null ? "receipt refused" : rejected));
                VerificationReceipt r = VerificationReceipt.parse(Bytes.wrap(receipt.getBytes(StandardCharsets.UTF_8)));
                if (!r.host().equals(host)) throw new IOException(TABLE + " " + resultSet + "/" + host + ": holds the receipt of host " + r.host());
                return Optional.of(new Accepted(r));
            }
        } catch (SQLException e) {
            throw new IOException("cannot read the receipt of host " + host + " from the job repository: " + e.getMessage(), e);
        } catch (VerificationReceipt.ReceiptException e) {
            throw new IOException(TABLE + " " + resultSet + "/" + host + ": corrupt receipt: " + e.getMessage(), e);
        }
    }

    /** Deletes this result set's rows (its run completed). */
    void deleteAll() throws IOException { ResultTable.deleteResultSet(dataSource, TABLE, resultSet, "receipts"); }
}

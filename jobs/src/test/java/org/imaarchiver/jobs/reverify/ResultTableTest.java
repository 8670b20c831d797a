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

    private ReverifyInfrastructure.RepositoryDb h2() {
        return new ReverifyInfrastructure.RepositoryDb(ReverifyInfrastructure.RepositoryDb.h2(dir.resolve("db"), false), 2);
    }

    @Test
    void totalsSumTheStoredRowsOfOneResultSetAndAnOlderTableGetsTheColumns() throws Exception {
        ReverifyInfrastructure.RepositoryDb db = h2();
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
            ResultTable.Totals base = t.totals(java.util.Map.of());
            assertThat(base).isEqualTo(new ResultTable.Totals(1, 0, 0, 0)); // the old row: no verdict, no counts
            t.put("a", "{}", Optional.empty(), true, 3, 30);
            t.put("b", "{}", Optional.empty(), false, 2, 7);
            t.put("a", "{}", Optional.empty(), true, 4, 40); // a partition run again replaces its row
            new ResultTable(ds, "other").put("c", "{}", Optional.empty(), false, 100, 1000);
            assertThat(t.totals(java.util.Map.of()).minus(base)).isEqualTo(new ResultTable.Totals(2, 1, 6, 47));
        }
    }

    /** The parts of a host and only its parts, in order: '_' in an id is not a wildcard, a longer id is another host. */
    @Test
    void partsOfAHostAreItsOwnInPartOrder() throws Exception {
        try (HikariDataSource ds = ReverifyInfrastructure.open(h2())) {
            ResultTable t = new ResultTable(ds, "s");
            for (String key : java.util.List.of(ResultTable.partKey("a_b", 1), "a_b", ResultTable.partKey("axb", 0),
                    ResultTable.partKey("a_bc", 0), ResultTable.partKey("a_b", 0), ResultTable.partKey("a", 0))) {
                t.put(key, "{\"key\":\"" + key + "\"}", Optional.empty(), true, 1, 1);
            }
            new ResultTable(ds, "other").put(ResultTable.partKey("a_b", 2), "{\"key\":\"x\"}", Optional.empty(), true, 1, 1);
            java.util.List<Object> seen = new java.util.ArrayList<>();
            t.forEachPart("a_b", r -> seen.add(r.entry().get("key")));
            assertThat(seen).containsExactly("a_b#0000", "a_b#0001");
        }
    }

    /**
     * A host verified in parts is one host once all its parts are stored, failed if any part failed,
     * while its segments and records count from each part on; a part of '_'-host does not complete 'axb'.
     */
    @Test
    void aSplitHostCountsOnceWithAllItsPartsAndFailsIfAnyPartFailed() throws Exception {
        try (HikariDataSource ds = ReverifyInfrastructure.open(h2())) {
            ResultTable t = new ResultTable(ds, "s");
            java.util.Map<String, Integer> parts = java.util.Map.of("a_b", 3, "axb", 2);
            t.put("whole", "{}", Optional.empty(), true, 1, 10);
            t.put(ResultTable.partKey("a_b", 2), "{}", Optional.empty(), true, 2, 20); // the last part first
            t.put(ResultTable.partKey("a_b", 0), "{}", Optional.empty(), false, 2, 20);
            t.put(ResultTable.partKey("axb", 0), "{}", Optional.empty(), true, 5, 50);
            assertThat(t.totals(parts)).isEqualTo(new ResultTable.Totals(1, 0, 10, 100));
            assertThat(t.partTally("a_b")).isEqualTo(new ResultTable.PartTally(2, false));
            assertThat(t.partTally("axb")).isEqualTo(new ResultTable.PartTally(1, true));

            t.put(ResultTable.partKey("a_b", 1), "{}", Optional.empty(), true, 2, 20);
            assertThat(t.totals(parts)).as("a_b complete, failed by its part 0").isEqualTo(new ResultTable.Totals(2, 1, 12, 120));
            t.put(ResultTable.partKey("axb", 1), "{}", Optional.empty(), true, 5, 50);
            assertThat(t.totals(parts)).isEqualTo(new ResultTable.Totals(3, 1, 17, 170));
            assertThat(t.partTally("a_b")).isEqualTo(new ResultTable.PartTally(3, false));
            assertThat(t.partTally("whole")).isEqualTo(new ResultTable.PartTally(0, true));
        }
    }

    /**
     * A host's typed findings come back from the row typed and equal, and the row's entry carries the
     * report's rendering of them (the JSON report's keys and values).
     */
    @Test
    void findingsRoundTripTypedThroughARow() throws Exception {
        org.imaarchiver.replay.pcr.Digest link = org.imaarchiver.replay.pcr.Digest.filled(32, (byte) 0x11);
        java.util.List<org.imaarchiver.archive.chain.ChainFinding> findings = java.util.List.of(
                new org.imaarchiver.archive.chain.LinkFinding.BrokenLink("h1", 3, org.imaarchiver.archive.chain.LinkFinding.Source.RECEIPT, 2,
                        link, Optional.empty()),
                new org.imaarchiver.archive.chain.ObjectFinding.MissingObject("h1", 4,
                        org.imaarchiver.archive.chain.ObjectFinding.Role.SIGNATURE, "hosts/h1/segments/0000000004.manifest.cms"));
        org.imaarchiver.archive.chain.ChainReport report = new org.imaarchiver.archive.chain.ChainReport("h1", 2, 20,
                java.util.OptionalLong.of(0), java.util.OptionalLong.of(19), Optional.empty(), Optional.empty(), findings);
        try (HikariDataSource ds = ReverifyInfrastructure.open(h2())) {
            ResultTable t = new ResultTable(ds, "s");
            t.put("h1", org.imaarchiver.replay.json.Json.write(HostVerification.hostEntry(report)), Optional.empty(), false, 2, 20);
            ResultTable.Row row = t.get("h1").orElseThrow();
            assertThat(row.findings()).isEqualTo(findings);
            assertThat(row.entry().get("failures")).isEqualTo(java.util.List.of(
                    java.util.Map.of("kind", "broken-link", "segment", 3L, "record", org.imaarchiver.replay.json.Json.NULL,
                            "expected", "11".repeat(32), "found", "none",
                            "detail", "previousManifestDigest is not the digest of the receipt's manifest (segment 2)"),
                    java.util.Map.of("kind", "missing-sidecar", "segment", 4L, "record", org.imaarchiver.replay.json.Json.NULL,
                            "expected", "hosts/h1/segments/0000000004.manifest.cms", "found", "absent",
                            "detail", "segment without its CMS signature")));
            assertThat(new java.util.ArrayList<>(row.entry().keySet()))
                    .isEqualTo(new java.util.ArrayList<>(HostVerification.hostEntry(report).keySet()));
        }
    }
}

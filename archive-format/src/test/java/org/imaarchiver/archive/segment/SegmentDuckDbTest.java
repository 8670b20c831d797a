package org.imaarchiver.archive.segment;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.LocalInputFile;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A query engine reads segments without our code; and how big segments are. */
class SegmentDuckDbTest {
    @TempDir Path dir;

    @Test
    void duckDbCountsFindsSegmentsByFileDigestAndReadsTheManifest() throws Exception {
        List<MeasurementRecord> a = ImaRecordGenerator.generate(11, 0, 2_000, false);
        List<MeasurementRecord> b = ImaRecordGenerator.generate(12, 2_000, 1_500, true);
        WrittenSegment s0 = SegmentRoundTripTest.write(dir.resolve("seg-0.parquet"), a, "host-a", 0, Optional.empty());
        WrittenSegment s1 = SegmentRoundTripTest.write(dir.resolve("seg-1.parquet"), b, "host-a", 1, Optional.of(s0.manifestDigest()));
        String wanted = QueryColumns.of(b.get(700)).fileDigest().orElseThrow().hex();
        String wantedPath = QueryColumns.of(b.get(700)).name().orElseThrow();

        try (Connection c = DriverManager.getConnection("jdbc:duckdb:")) {
            try (ResultSet rs = c.createStatement().executeQuery("SELECT count(*), min(record_index), max(record_index) FROM read_parquet('"
                    + s0.file() + "')")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(2_000);
                assertThat(rs.getLong(2)).isEqualTo(0);
                assertThat(rs.getLong(3)).isEqualTo(1_999);
            }
            // "Which segments contain a record with file digest X?"
            try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT filename, record_index, name FROM read_parquet(['"
                    + s0.file() + "', '" + s1.file() + "'], filename=true) WHERE file_digest_hex = ?")) {
                ps.setString(1, wanted);
                List<String> hits = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        hits.add(rs.getString(1));
                        assertThat(rs.getLong(2)).isEqualTo(2_700);
                        assertThat(rs.getString(3)).isEqualTo(wantedPath);
                    }
                }
                assertThat(hits).containsExactly(s1.file().toString());
            }
            // Strings are STRING-annotated, booleans are booleans, raw is a BLOB.
            try (ResultSet rs = c.createStatement().executeQuery("SELECT template_name, count(*) FILTER (WHERE signature_present), "
                    + "count(*) FILTER (WHERE violation), min(octet_length(raw)) FROM read_parquet('" + s1.file() + "') GROUP BY 1")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("ima-sig");
                assertThat(rs.getLong(2)).isPositive();
                assertThat(rs.getLong(3)).isPositive();
                assertThat(rs.getLong(4)).isGreaterThan(40);
                assertThat(rs.next()).isFalse();
            }
            // The manifest from the footer key/value metadata.
            try (ResultSet rs = c.createStatement().executeQuery("SELECT decode(value) FROM parquet_kv_metadata('" + s1.file()
                    + "') WHERE decode(key) = '" + SegmentSchema.MANIFEST_KEY + "'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo(new String(s1.manifestBytes().toArray(), StandardCharsets.US_ASCII));
            }
            // And json_extract reads fields out of it: the chain link is queryable too.
            try (ResultSet rs = c.createStatement().executeQuery("SELECT json_extract_string(decode(value), '$.previousManifestDigest') "
                    + "FROM parquet_kv_metadata('" + s1.file() + "') WHERE decode(key) = '" + SegmentSchema.MANIFEST_KEY + "'")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo(s0.manifestDigest().hex());
            }
        }
    }

    /** Prints file size against raw list size; the target is ≤ 25 % (see the report for why it is not reachable). */
    @Test
    void sizePerRecord() throws Exception {
        report("synthetic ima-ng", ImaRecordGenerator.generate(21, 0, 20_000, false));
        report("synthetic ima-sig (75% signed, RSA-2048)", ImaRecordGenerator.generate(22, 0, 20_000, true));
        if (TestData.imaRoot().isPresent()) {
            report("real ima-ng (embrave, 922 records)", BinaryLists.read(TestData.ima("Cybersecurity-LINKS+embrave/binary_runtime_measurements")));
            report("real ima-sig (ibmtss sha1.log, 362 records)", BinaryLists.read(TestData.ima("kgoldman+ibmtss/sha1.log")));
        }
    }

    private void report(String label, List<MeasurementRecord> records) throws Exception {
        long t0 = System.nanoTime();
        WrittenSegment ws = SegmentRoundTripTest.write(dir.resolve(label.hashCode() + ".parquet"), records, "host-size", 0, Optional.empty());
        long t1 = System.nanoTime();
        assertThat(SegmentVerifier.verifyData(SegmentReader.open(ws.file()))).isEmpty();
        long t2 = System.nanoTime();
        StringBuilder cols = new StringBuilder();
        try (ParquetFileReader r = ParquetFileReader.open(new LocalInputFile(ws.file()))) {
            var totals = new java.util.TreeMap<String, Long>();
            for (var block : r.getFooter().getBlocks()) {
                for (var col : block.getColumns()) totals.merge(col.getPath().toDotString(), col.getTotalSize(), Long::sum);
            }
            totals.forEach((k, v) -> cols.append(String.format(" %s=%.1f", k, (double) v / records.size())));
        }
        System.out.printf("segment size [%s]: %d records, raw %d B (%.1f B/rec), parquet %d B (%.1f B/rec) = %.1f%% of raw;"
                        + " write %d ms, verify %d ms; per column B/rec:%s%n", label, records.size(), ws.rawBytes(),
                (double) ws.rawBytes() / records.size(), ws.fileSize(), (double) ws.fileSize() / records.size(),
                100.0 * ws.fileSize() / ws.rawBytes(), (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, cols);
        assertThat(ws.fileSize()).isPositive();
    }
}

package org.imaarchiver.jobs.compact;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.chain.ChainListing;
import org.imaarchiver.cli.ExitCode;
import org.imaarchiver.cli.Main;
import org.imaarchiver.replay.json.Json;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ima-archiver compact} on a generated three-host archive (one host with a reboot, one
 * tampered): verification before and after is the same per host, the chain's rows are the original
 * concatenation, a host whose parts do not verify is left untouched, and the policy options show.
 */
class CompactCommandTest {
    @TempDir static Path shared;
    @TempDir Path dir;

    static CompactArchive archive;
    static Map<String, CompactArchive.Verdict> goldenVerdicts;
    static Map<String, List<String>> goldenRows = new java.util.TreeMap<>();

    @BeforeAll
    static void build() throws Exception {
        archive = CompactArchive.build(shared);
        goldenVerdicts = archive.verify(archive.golden, shared.resolve("verify0"));
        for (String h : List.of(CompactArchive.MULTI, CompactArchive.EVEN, CompactArchive.BAD)) {
            goldenRows.put(h, CompactArchive.rows(archive.golden, h));
        }
    }

    record Run(int code, String out, String err) {}

    private Run compact(Path root, String... extra) {
        List<String> args = new ArrayList<>(List.of("compact", root.toString(), "--trust", archive.trust.toString(),
                "--key", archive.compactorKeys.toString(), "--state", dir.resolve("state").toString(), "--progress", "none"));
        args.addAll(Arrays.asList(extra));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> hostOf(Map<String, Object> report, String host) {
        for (Object o : (List<Object>) report.get("hosts")) {
            Map<String, Object> h = (Map<String, Object>) o;
            if (h.get("host").equals(host)) return h;
        }
        throw new AssertionError("no host " + host + " in the report");
    }

    private static Map<String, Object> json(Path f) throws Exception {
        return Json.asObject(Json.parse(Files.readString(f)), f.toString());
    }

    @Test
    @SuppressWarnings("unchecked")
    void compactsEveryHostAndVerificationIsUnchanged() throws Exception {
        Path root = archive.copy(dir.resolve("store"));
        Path report = dir.resolve("report.json");
        Run r = compact(root, "--min-age", "0", "--host", CompactArchive.MULTI, "--host", CompactArchive.EVEN, "--json", report.toString());
        assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.OK);

        Map<String, CompactArchive.Verdict> after = archive.verify(root, dir.resolve("verify"));
        assertThat(after).isEqualTo(goldenVerdicts);
        assertThat(after.get(CompactArchive.MULTI).ok()).isTrue();
        for (String h : List.of(CompactArchive.MULTI, CompactArchive.EVEN)) {
            assertThat(CompactArchive.rows(root, h)).as(h).isEqualTo(goldenRows.get(h));
            ChainListing l = CompactArchive.listing(root, h);
            assertThat(l.superseded()).as("parts deleted").isEmpty();
            assertThat(l.staged()).isEmpty();
        }
        // One segment per boot: multi had two boots, even one.
        assertThat(CompactArchive.chainSegments(root, CompactArchive.MULTI)).isEqualTo(2);
        assertThat(CompactArchive.chainSegments(root, CompactArchive.EVEN)).isEqualTo(1);
        // Not named: untouched.
        assertThat(CompactArchive.tree(root, "hosts/" + CompactArchive.BAD + "/"))
                .isEqualTo(CompactArchive.tree(archive.golden, "hosts/" + CompactArchive.BAD + "/"));

        Map<String, Object> rep = json(report);
        Map<String, Object> totals = (Map<String, Object>) rep.get("totals");
        assertThat(totals).containsEntry("hosts", 2L).containsEntry("hostsCompacted", 2L).containsEntry("groupsCompacted", 3L)
                .containsEntry("partsMerged", 12L).containsEntry("records", 84L).containsEntry("partsDeleted", 12L);
        assertThat((Map<String, Object>) totals.get("resultsByKind")).containsExactly(Map.entry("compacted", 3L));
        Map<String, Object> multi = hostOf(rep, CompactArchive.MULTI);
        assertThat(multi).containsEntry("status", "compacted").containsEntry("groupsPlanned", 2L).containsEntry("partsMerged", 8L);
        List<Object> groups = (List<Object>) multi.get("groups");
        assertThat(groups).hasSize(2);
        Map<String, Object> g0 = (Map<String, Object>) groups.get(0);
        assertThat(g0).containsEntry("kind", "compacted").containsEntry("first", 0L).containsEntry("last", 4L)
                .containsEntry("records", 40L).containsEntry("segment", ArchiveLayout.rangeKey(CompactArchive.MULTI, 0, 4,
                        ArchiveLayout.ObjectKind.SEGMENT));
        long bytesBefore = (Long) multi.get("bytesBefore");
        long bytesAfter = (Long) multi.get("bytesAfter");
        assertThat(bytesBefore).isPositive();
        assertThat(bytesAfter).isPositive().isEqualTo(Files.size(root.resolve(ArchiveLayout.rangeKey(CompactArchive.MULTI, 0, 4,
                ArchiveLayout.ObjectKind.SEGMENT))) + Files.size(root.resolve(ArchiveLayout.rangeKey(CompactArchive.MULTI, 5, 7,
                ArchiveLayout.ObjectKind.SEGMENT))));

        // The same command again: a new run that finds nothing left to merge.
        Run again = compact(root, "--min-age", "0", "--host", CompactArchive.MULTI, "--host", CompactArchive.EVEN, "--json", "-");
        assertThat(again.code()).isEqualTo(ExitCode.OK);
        Map<String, Object> rep2 = Json.asObject(Json.parse(again.out()), "stdout");
        assertThat((Map<String, Object>) rep2.get("totals")).containsEntry("groupsCompacted", 0L).containsEntry("hostsCompacted", 0L);
        assertThat(archive.verify(root, dir.resolve("verify2"))).isEqualTo(goldenVerdicts);
    }

    /** One partition per host (default), and range partitions: 2 ranges, 1 range over the three hosts. */
    @org.junit.jupiter.params.ParameterizedTest(name = "--max-partitions {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1024, 2, 1})
    @SuppressWarnings("unchecked")
    void tamperedHostIsNotCompacted(int maxPartitions) throws Exception {
        Path root = archive.copy(dir.resolve("store"));
        CompactArchive.tamper(root);
        Map<String, CompactArchive.Verdict> before = archive.verify(root, dir.resolve("verify0"));
        assertThat(before.get(CompactArchive.BAD).ok()).isFalse();
        Map<String, String> badBefore = CompactArchive.tree(root, "hosts/" + CompactArchive.BAD + "/");
        Path report = dir.resolve("report.json");

        Run r = compact(root, "--min-age", "0", "--json", report.toString(), "--max-partitions", Integer.toString(maxPartitions));
        assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.NOT_VERIFIED);
        List<String> partitions = new ArrayList<>();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:h2:file:" + dir.resolve("state").toAbsolutePath()
                .resolve("jobrepo"), "sa", "");
             java.sql.ResultSet rs = c.createStatement().executeQuery("select STEP_NAME from BATCH_STEP_EXECUTION")) {
            while (rs.next()) if (rs.getString(1).startsWith(CompactJobConfiguration.WORKER_STEP + ":")) partitions.add(rs.getString(1));
        }
        assertThat(partitions).hasSize(Math.min(3, maxPartitions))
                .allMatch(n -> n.contains(maxPartitions >= 3 ? ":host-" : ":hosts-"));
        // Nothing of the tampered host was written, switched or deleted.
        assertThat(CompactArchive.tree(root, "hosts/" + CompactArchive.BAD + "/")).isEqualTo(badBefore);
        // The other hosts were compacted, and every verdict is what it was.
        assertThat(CompactArchive.chainSegments(root, CompactArchive.MULTI)).isEqualTo(2);
        assertThat(CompactArchive.chainSegments(root, CompactArchive.EVEN)).isEqualTo(1);
        assertThat(archive.verify(root, dir.resolve("verify1"))).isEqualTo(before);

        Map<String, Object> bad = hostOf(json(report), CompactArchive.BAD);
        assertThat(bad).containsEntry("status", "not-verified").containsEntry("groupsCompacted", 0L);
        Map<String, Object> g = (Map<String, Object>) ((List<Object>) bad.get("groups")).get(0);
        assertThat(g).containsEntry("kind", "parts-invalid");
        assertThat((List<Object>) g.get("findings")).isNotEmpty();
        assertThat((Map<String, Object>) ((Map<String, Object>) json(report).get("totals")).get("resultsByKind"))
                .containsEntry("parts-invalid", 1L).containsEntry("compacted", 3L);
    }

    @Test
    @SuppressWarnings("unchecked")
    void dryRunPrintsThePlanAndChangesNothing() throws Exception {
        Path root = archive.copy(dir.resolve("store"));
        Run r = compact(root, "--min-age", "0", "--dry-run", "--json", "-");
        assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.OK);
        assertThat(CompactArchive.tree(root, "")).isEqualTo(CompactArchive.tree(archive.golden, ""));
        assertThat(Files.exists(dir.resolve("state").resolve("jobrepo.mv.db"))).as("no job ran").isFalse();
        Map<String, Object> plan = Json.asObject(Json.parse(r.out()), "stdout");
        assertThat((Map<String, Object>) plan.get("totals")).containsEntry("groups", 4L).containsEntry("parts", 15L);
        Map<String, Object> multi = hostOf(plan, CompactArchive.MULTI);
        List<Object> groups = (List<Object>) multi.get("groups");
        assertThat(groups).extracting(o -> ((Map<String, Object>) o).get("first") + ".." + ((Map<String, Object>) o).get("last"))
                .containsExactly("0..4", "5..7");
    }

    @Test
    void minAgeLeavesYoungSegments() throws Exception {
        Path root = archive.copy(dir.resolve("store"));
        // The fixture's segments are from 2026-11-27: none is a century old.
        Run r = compact(root, "--min-age", "36500d");
        assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.OK);
        assertThat(CompactArchive.tree(root, "")).isEqualTo(CompactArchive.tree(archive.golden, ""));
    }

    @Test
    void targetRecordsAndMaxPartsBoundTheGroups() throws Exception {
        Path root = archive.copy(dir.resolve("store"));
        // even: 4 segments of 6 records; at most 12 records per output -> 2 outputs of 2 parts.
        Run r = compact(root, "--min-age", "0", "--host", CompactArchive.EVEN, "--target-records", "12");
        assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.OK);
        assertThat(CompactArchive.chainSegments(root, CompactArchive.EVEN)).isEqualTo(2);
        assertThat(CompactArchive.rows(root, CompactArchive.EVEN)).isEqualTo(goldenRows.get(CompactArchive.EVEN));

        Path root2 = archive.copy(dir.resolve("store2"));
        // multi boot 1: 5 segments, at most 2 parts per output -> 0-1, 2-3, 4 alone; boot 2: 5-6, 7 alone.
        Run r2 = compact(root2, "--min-age", "0", "--host", CompactArchive.MULTI, "--max-parts", "2");
        assertThat(r2.code()).as(r2.err()).isEqualTo(ExitCode.OK);
        assertThat(CompactArchive.listing(root2, CompactArchive.MULTI).effective())
                .extracting(u -> u.firstSequence() + "-" + u.lastSequence())
                .containsExactly("0-1", "2-3", "4-4", "5-6", "7-7");
        assertThat(archive.verify(root2, dir.resolve("verify"))).isEqualTo(goldenVerdicts);
    }

    @Test
    void retentionKeepsThePartsUntilAllowed() throws Exception {
        Path root = archive.copy(dir.resolve("store"));
        Run r = compact(root, "--min-age", "0", "--host", CompactArchive.EVEN, "--retention", "keep-all");
        assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.OK);
        ChainListing l = CompactArchive.listing(root, CompactArchive.EVEN);
        assertThat(l.effective()).hasSize(1);
        assertThat(l.superseded()).hasSize(4);
        for (int seq = 0; seq < 4; seq++) assertThat(root.resolve(ArchiveLayout.segmentKey(CompactArchive.EVEN, seq))).exists();
        assertThat(archive.verify(root, dir.resolve("verify1")).get(CompactArchive.EVEN)).isEqualTo(goldenVerdicts.get(CompactArchive.EVEN));

        // A retention period the parts (written just now) are within: still kept.
        Run r2 = compact(root, "--min-age", "0", "--host", CompactArchive.EVEN, "--retention", "36500d");
        assertThat(r2.code()).as(r2.err()).isEqualTo(ExitCode.OK);
        assertThat(CompactArchive.listing(root, CompactArchive.EVEN).superseded()).hasSize(4);

        // Retention lifted: the next run deletes the superseded parts.
        Run r3 = compact(root, "--min-age", "0", "--host", CompactArchive.EVEN, "--retention", "none");
        assertThat(r3.code()).as(r3.err()).isEqualTo(ExitCode.OK);
        assertThat(CompactArchive.listing(root, CompactArchive.EVEN).superseded()).isEmpty();
        for (int seq = 0; seq < 4; seq++) assertThat(root.resolve(ArchiveLayout.segmentKey(CompactArchive.EVEN, seq))).doesNotExist();
        assertThat(CompactArchive.rows(root, CompactArchive.EVEN)).isEqualTo(goldenRows.get(CompactArchive.EVEN));
    }

    @Test
    void badOptionsAreUsageErrors() throws Exception {
        Path root = archive.copy(dir.resolve("store"));
        assertThat(compact(root, "--target-bytes", "lots").code()).isEqualTo(ExitCode.USAGE);
        assertThat(compact(root, "--min-age", "soon").code()).isEqualTo(ExitCode.USAGE);
        assertThat(compact(root, "--max-parts", "1").code()).isEqualTo(ExitCode.USAGE);
        assertThat(compact(root, "--retention", "forever").code()).isEqualTo(ExitCode.USAGE);
        assertThat(compact(dir.resolve("no-such-archive")).code()).isEqualTo(ExitCode.USAGE);
        // A key the trust directory does not list: its output would never verify.
        org.imaarchiver.archive.sign.KeyMaterial.generate(org.imaarchiver.archive.sign.KeyMaterial.KeyType.P256, "stranger",
                java.time.Instant.now().minusSeconds(60), java.time.Instant.now().plusSeconds(86400)).writePem(dir.resolve("stranger"));
        List<String> args = List.of("compact", root.toString(), "--trust", archive.trust.toString(), "--key",
                dir.resolve("stranger").toString(), "--state", dir.resolve("state").toString());
        assertThat(Main.run(args.toArray(String[]::new), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(new ByteArrayOutputStream()))).isEqualTo(ExitCode.USAGE);
        assertThat(CompactArchive.tree(root, "")).isEqualTo(CompactArchive.tree(archive.golden, ""));
    }
}

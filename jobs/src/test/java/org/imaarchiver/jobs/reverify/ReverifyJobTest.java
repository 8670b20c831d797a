package org.imaarchiver.jobs.reverify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.imaarchiver.archive.receipt.VerificationReceipt;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.sign.SegmentSigner;
import org.imaarchiver.archive.sign.SignatureVerifier;
import org.imaarchiver.archive.sign.TrustedKeys;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.bytes.Bytes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A generated 60-host archive: every tenth host with a reboot (two boots, three segments), and three
 * attacked hosts: a flipped byte in a segment file, a deleted middle segment, a segment signed by an
 * untrusted key. reverifyJob in local mode must give exactly those three hosts "failed".
 */
class ReverifyJobTest {
    static final int HOSTS = 60;
    static final String FLIPPED = "host-07";
    static final String GAP = "host-13";
    static final String UNTRUSTED = "host-21";
    static final Instant NOW = Instant.parse("2026-11-28T08:00:00Z");

    @TempDir static Path shared;
    @TempDir Path dir;

    static TestArchive archive;
    static Path trustDir;
    static List<String> hostIds = new ArrayList<>();
    static KeyMaterial verifierKey;

    @BeforeAll
    static void buildArchive() throws Exception {
        archive = new TestArchive(shared.resolve("store"));
        SegmentSigner rogue = new SegmentSigner(KeyMaterial.generate(KeyMaterial.KeyType.P256, "rogue", TestArchive.T0.minusSeconds(60),
                TestArchive.T0.plusSeconds(86400 * 365L)), Optional.empty());
        for (int i = 0; i < HOSTS; i++) {
            String id = String.format("host-%02d", i);
            hostIds.add(id);
            TestArchive.Host h = archive.host(id, 1000 + i, 10);
            if (i % 10 == 0) {
                h.segment(6).segment(10).reboot(5000 + i, 6).segment(6);
            } else if (id.equals(GAP)) {
                h.segment(4).segment(7).segment(10);
            } else if (id.equals(UNTRUSTED)) {
                h.segment(10, rogue);
            } else {
                h.segment(10);
            }
        }
        archive.flipByte(FLIPPED, 0);
        archive.deleteSegment(GAP, 1);
        trustDir = archive.trustDir(shared.resolve("trust"), hostIds);
        verifierKey = KeyMaterial.generate(KeyMaterial.KeyType.P256, "verifier", TestArchive.T0.minusSeconds(60),
                TestArchive.T0.plusSeconds(86400 * 365L));
    }

    private VerifyJobRequest request(Path out) {
        return request(out, dir.resolve("state"));
    }

    private VerifyJobRequest request(Path out, Path state) {
        return VerifyJobRequest.of(archive.root.toString(), trustDir, state, out)
                .withParallel(2, 2).withProgress(VerifyJobRequest.ProgressMode.NONE).withReceiptKey(verifierKey)
                .withClock(Clock.fixed(NOW, ZoneOffset.UTC));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Map<String, Object>> hostsOf(Path jsonReport) throws Exception {
        Map<String, Object> root = (Map<String, Object>) Json.parse(Files.readString(jsonReport));
        assertThat(root).containsKey("hosts");
        Map<String, Map<String, Object>> byHost = new TreeMap<>();
        for (Object o : (List<Object>) root.get("hosts")) {
            Map<String, Object> h = (Map<String, Object>) o;
            byHost.put((String) h.get("host"), h);
        }
        return byHost;
    }

    @SuppressWarnings("unchecked")
    static Set<String> kinds(Map<String, Object> host) {
        Set<String> kinds = new TreeSet<>();
        for (Object f : (List<Object>) host.get("failures")) kinds.add((String) ((Map<String, Object>) f).get("kind"));
        return kinds;
    }

    @Test
    @SuppressWarnings("unchecked")
    void localModeGivesPerHostVerdictsReportsAndReceipts() throws Exception {
        Path out = dir.resolve("out");
        VerifyJobResult result = new VerifyJobRunner().run(request(out));

        assertThat(result.completed()).isTrue();
        assertThat(result.resumed()).isFalse();
        assertThat(result.ok()).isFalse();
        assertThat(result.counts()).isPresent();
        assertThat(result.counts().get().hosts()).isEqualTo(HOSTS);
        assertThat(result.counts().get().failedHosts()).isEqualTo(3);

        // JSON report: shape and verdicts, ascending by host.
        Map<String, Map<String, Object>> hosts = hostsOf(result.jsonReport());
        assertThat(hosts.keySet()).containsExactlyElementsOf(hostIds);
        for (Map<String, Object> h : hosts.values()) {
            assertThat(h).containsKeys("host", "status", "segments", "records", "failures");
            boolean attacked = Set.of(FLIPPED, GAP, UNTRUSTED).contains(h.get("host"));
            assertThat(h.get("status")).as((String) h.get("host")).isEqualTo(attacked ? "failed" : "ok");
            for (Object f : (List<Object>) h.get("failures")) {
                assertThat((Map<String, Object>) f).containsKeys("kind", "segment", "record", "detail");
            }
        }
        assertThat(kinds(hosts.get(GAP))).contains("sequence-gap");
        assertThat(kinds(hosts.get(UNTRUSTED))).containsExactly("untrusted-signer");
        assertThat(kinds(hosts.get(FLIPPED))).isNotEmpty();
        // A rebooted host: three segments over two boots, 10 + 6 records.
        assertThat(hosts.get("host-10")).containsEntry("segments", 3L).containsEntry("records", 16L);
        List<Object> timeline = (List<Object>) hosts.get("host-10").get("timeline");
        assertThat(timeline).extracting(t -> ((Map<String, Object>) t).get("bootCounter")).containsExactly(0L, 0L, 1L);

        // HTML: every host, self-contained.
        String html = Files.readString(result.htmlReport());
        for (String h : hostIds) assertThat(html).contains(">" + h + " <span");
        assertThat(html).startsWith("<!DOCTYPE html>").endsWith("</html>\n").doesNotContain("<script").doesNotContain("src=")
                .doesNotContain("href=");
        // Failed hosts first (sections), the verified ones after them (rows of the collapsed table); no spool left.
        int verifiedTable = html.indexOf("<details class=\"ok-hosts\"");
        for (String h : hostIds) {
            boolean attacked = Set.of(FLIPPED, GAP, UNTRUSTED).contains(h);
            int at = html.indexOf(">" + h + " <span");
            assertThat(attacked ? at < verifiedTable : at > verifiedTable).as(h).isTrue();
            if (attacked) assertThat(html).contains("<h2>" + h + " <span");
        }
        try (var files = Files.list(out)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
        assertThat(result.summary()).contains(FLIPPED, GAP, UNTRUSTED);

        // Receipts: one per ok host, signed by the verifier key, naming the head of the chain.
        SignatureVerifier sv = SignatureVerifier.trusting(TrustedKeys.ofCertificates(List.of(verifierKey.certificate())));
        for (String h : hostIds) {
            Path json = result.receiptsDir().resolve(h + VerificationReceipt.JSON_SUFFIX);
            boolean ok = "ok".equals(hosts.get(h).get("status"));
            assertThat(Files.exists(json)).as(h).isEqualTo(ok);
            if (!ok) continue;
            Bytes content = Bytes.wrap(Files.readAllBytes(json));
            sv.verify(content, Bytes.wrap(Files.readAllBytes(result.receiptsDir().resolve(h + VerificationReceipt.CMS_SUFFIX))));
            VerificationReceipt r = VerificationReceipt.parse(content);
            assertThat(r.host()).isEqualTo(h);
            assertThat(r.sequence()).isEqualTo((Long) hosts.get(h).get("segments") - 1);
            assertThat(r.verifiedAt()).isEqualTo(NOW);
            assertThat(new String(content.toArray(), StandardCharsets.UTF_8)).isEqualTo(Json.canonical(Json.parse(
                    new String(content.toArray(), StandardCharsets.UTF_8))));
        }
        assertThat(VerificationReceipt.read(result.receiptsDir(), "host-10", TrustedKeys.ofCertificates(List.of(verifierKey.certificate()))))
                .get().extracting(r -> r.boot().bootCounter()).isEqualTo(1L);

        // The same command after a completed run verifies again as a new job instance.
        VerifyJobResult again = new VerifyJobRunner().run(request(dir.resolve("out2")));
        assertThat(again.completed()).isTrue();
        assertThat(again.resumed()).isFalse();
        assertThat(again.jobInstanceId()).isNotEqualTo(result.jobInstanceId());
        Map<String, Map<String, Object>> hosts2 = hostsOf(again.jsonReport());
        assertThat(hosts2.keySet()).isEqualTo(hosts.keySet());
        for (String h : hostIds) assertThat(kinds(hosts2.get(h))).as(h).isEqualTo(kinds(hosts.get(h)));
    }

    @Test
    void hostFilterAndWindowSelectHosts() throws Exception {
        VerifyJobResult r = new VerifyJobRunner().run(request(dir.resolve("f")).withHosts(Set.of("host-03", UNTRUSTED, "no-such-host")));
        assertThat(hostsOf(r.jsonReport()).keySet()).containsExactly("host-03", UNTRUSTED, "no-such-host");
        assertThat(kinds(hostsOf(r.jsonReport()).get("no-such-host"))).containsExactly("no-segments");
        // Window: the archive's createdAt run from T0 by a minute per segment; hosts packed late only.
        Instant late = TestArchive.T0.plusSeconds(60L * 60);
        VerifyJobResult w = new VerifyJobRunner().run(request(dir.resolve("w")).withWindow(Optional.of(late), Optional.empty()));
        assertThat(w.counts().get().hosts()).isBetween(1L, (long) HOSTS - 1);
        assertThat(hostsOf(w.jsonReport())).containsKey("host-59").doesNotContainKey("host-00");
    }

    /**
     * Above --max-partitions hosts the partitions cover ranges of hosts: the same report and receipts
     * as one partition per host, with at most that many partitions, every host in exactly one.
     */
    @Test
    @SuppressWarnings("unchecked")
    void rangePartitionsGiveTheSameReportAsPerHostPartitions() throws Exception {
        VerifyJobResult perHost = new VerifyJobRunner().run(request(dir.resolve("per-host")));
        int max = 7;
        VerifyJobResult r = new VerifyJobRunner().withMaxPartitions(max).run(request(dir.resolve("ranges"), dir.resolve("state-ranges")));
        assertThat(r.completed()).isTrue();
        assertThat(Files.readString(r.jsonReport())).isEqualTo(Files.readString(perHost.jsonReport()));
        assertThat(r.counts()).isEqualTo(perHost.counts());
        for (String h : hostIds) {
            Path body = r.receiptsDir().resolve(h + VerificationReceipt.JSON_SUFFIX);
            Path expected = perHost.receiptsDir().resolve(h + VerificationReceipt.JSON_SUFFIX);
            assertThat(Files.exists(body)).as(h).isEqualTo(Files.exists(expected));
            if (Files.exists(body)) assertThat(Files.readString(body)).as(h).isEqualTo(Files.readString(expected));
        }
        Map<String, String> steps = stepStatuses(dir.resolve("state-ranges"));
        List<String> partitions = steps.keySet().stream().filter(n -> n.startsWith(ReverifyWorkerConfiguration.WORKER_STEP + ":")).toList();
        assertThat(partitions).hasSizeBetween(2, max).allMatch(n -> n.startsWith(ReverifyWorkerConfiguration.WORKER_STEP + ":hosts-"));
        // The three attacked hosts fall into ranges that completed with the verdict as exit status.
        assertThat(steps.values()).contains("COMPLETED");

        // The window in range mode: applied by the range's worker, same hosts as per-host mode.
        Instant late = TestArchive.T0.plusSeconds(60L * 60);
        VerifyJobResult w1 = new VerifyJobRunner().run(request(dir.resolve("w1")).withWindow(Optional.of(late), Optional.empty()));
        VerifyJobResult w2 = new VerifyJobRunner().withMaxPartitions(4).run(
                request(dir.resolve("w2"), dir.resolve("state-ranges")).withWindow(Optional.of(late), Optional.empty()));
        assertThat(hostsOf(w2.jsonReport()).keySet()).isEqualTo(hostsOf(w1.jsonReport()).keySet());
        assertThat(w2.counts()).isEqualTo(w1.counts());
    }

    static Map<String, String> stepStatuses(Path stateDir) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:h2:file:" + stateDir.toAbsolutePath().resolve("jobrepo"), "sa", "");
             java.sql.Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("select STEP_NAME, STATUS from BATCH_STEP_EXECUTION")) {
            while (rs.next()) out.put(rs.getString(1), rs.getString(2));
        }
        return out;
    }

    @Test
    void htmlEscapesHostileText() throws Exception {
        Map<String, Object> e = new java.util.LinkedHashMap<>();
        e.put("host", "<script>alert('x')</script>&");
        e.put("status", "failed");
        e.put("segments", 1L);
        e.put("records", 2L);
        e.put("failures", List.of(Map.of("kind", "bad-signature", "segment", 0L, "record", Json.NULL, "expected", "\"><img src=x>",
                "found", "", "detail", "<b>")));
        e.put("timeline", List.of(Map.of("segment", 0L, "bootCounter", 0L, "firstIndex", 0L, "records", 2L,
                "createdAt", "\" onmouseover=\"x", "status", "failed", "failures", 1L)));
        java.io.StringWriter w = new java.io.StringWriter();
        HtmlReport.host(w, e);
        String html = w.toString();
        assertThat(html).doesNotContain("<script").doesNotContain("<img").doesNotContain("<b>").doesNotContain("\" onmouseover")
                .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;").contains("&quot;&gt;&lt;img src=x&gt;");
    }
}

package org.imaarchiver.jobs.reverify;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.imaarchiver.replay.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The auditor's page from report.json host objects written out by hand here: every expected value
 * (counts, order, cells, times) is spelled out in the test, not derived from the renderer.
 */
class HtmlReportTest {
    @TempDir
    Path dir;

    static final String HOSTILE = "<script>alert('x')</script>";

    /** Hosts in ascending order, as ReportWriter hands them: failed (hostile id), ok, failed, ok. */
    static List<Map<String, Object>> fleet() {
        List<Map<String, Object>> hosts = new ArrayList<>();
        hosts.add(host("<script>alert('x')</script>", "failed", 1, 50,
                finding("bad-signature", 0L, Json.NULL, "\"><img src=x onerror=alert(1)>", "", "<b>bold</b> & co")));
        hosts.add(host("host-a", "ok", 3, 400));
        hosts.add(host("host-b", "failed", 3, 400,
                finding("replay-mismatch", 2L, 317L, "aa11", "bb22", "replay ends elsewhere"),
                finding("bad-signature", 1L, Json.NULL, "", "", "CMS does not verify")));
        hosts.add(host("host-c", "ok", 2, 300));
        return hosts;
    }

    @SafeVarargs
    static Map<String, Object> host(String id, String status, long segments, long records, Map<String, Object>... failures) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("host", id);
        e.put("status", status);
        e.put("segments", segments);
        e.put("records", records);
        e.put("firstIndex", 0L);
        e.put("lastIndex", records - 1);
        e.put("firstCreatedAt", "2026-12-07T17:30:05.987654321Z");
        e.put("lastCreatedAt", "2026-12-09T02:00:59.000000001Z");
        e.put("failures", List.of(failures));
        e.put("verifiedFromSegment", 0L);
        e.put("sinceReceipt", Json.NULL);
        e.put("receiptRejected", Json.NULL);
        e.put("receipt", "ok".equals(status) ? id + ".receipt.json" : Json.NULL);
        List<Object> timeline = new ArrayList<>();
        for (long s = 0; s < segments; s++) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("segment", s);
            t.put("bootCounter", 0L);
            t.put("firstIndex", 0L);
            t.put("records", records);
            t.put("createdAt", "2026-12-08T02:00:00.123456789Z");
            t.put("status", "ok");
            t.put("failures", 0L);
            timeline.add(t);
        }
        e.put("timeline", timeline);
        return e;
    }

    static Map<String, Object> finding(String kind, Object segment, Object record, String expected, String found, String detail) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("kind", kind);
        f.put("segment", segment);
        f.put("record", record);
        f.put("expected", expected);
        f.put("found", found);
        f.put("detail", detail);
        return f;
    }

    String render(List<Map<String, Object>> hosts, VerifyJobResult.ReportCounts counts) throws Exception {
        HtmlReport.KindTally kinds = new HtmlReport.KindTally();
        hosts.forEach(kinds::add);
        StringWriter w = new StringWriter();
        Path spool = dir.resolve("ok-rows.tmp");
        try (HtmlReport page = HtmlReport.begin(w, spool, "verification of <store>", counts, kinds)) {
            for (Map<String, Object> h : hosts) page.add(h);
            page.finish();
        }
        assertThat(spool).doesNotExist();
        return w.toString();
    }

    // 4 hosts, 2 failed; 1+3+3+2 segments, 50+400+400+300 records, 3 findings.
    static final VerifyJobResult.ReportCounts COUNTS = new VerifyJobResult.ReportCounts(4, 2, 9, 1150, 3);

    @Test
    void countsAndFindingsByKindAtTheTop() throws Exception {
        String html = render(fleet(), COUNTS);
        assertThat(html).contains("<p class=\"verdict failed\">2 of 4 hosts FAILED verification</p>");
        String counts = between(html, "<div class=\"counts\">", "</div>\n");
        assertThat(cards(counts)).containsExactly("2 failed hosts", "2 ok hosts", "4 hosts", "9 segments", "1,150 records", "3 findings");
        // bad-signature: 2 findings on 2 hosts; replay-mismatch: 1 on 1; most findings first.
        String kinds = between(html, "<table class=\"kinds\">", "</table>");
        assertThat(rows(kinds)).containsExactly(List.of("kind", "findings", "hosts"), List.of("bad-signature", "2", "2"),
                List.of("replay-mismatch", "1", "1"));
        assertThat(html.indexOf("class=\"counts\"")).isLessThan(html.indexOf("<section"));
    }

    @Test
    void failedHostsFirstWithTheirFindingsThenVerifiedHostsCollapsed() throws Exception {
        String html = render(fleet(), COUNTS);
        int hostile = html.indexOf("<h2>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; <span");
        int b = html.indexOf("<h2>host-b <span");
        int okTable = html.indexOf("<details class=\"ok-hosts\" id=\"ok-hosts\"><summary>Verified hosts (2)</summary>");
        int a = html.indexOf("<td>host-a <span");
        int c = html.indexOf("<td>host-c <span");
        assertThat(List.of(hostile, b, okTable, a, c)).allMatch(i -> i >= 0).isSorted();
        assertThat(html).contains("<h2 class=\"group\">Failed hosts (2)</h2>");
        // Collapsed (no "open") while hosts failed; ok hosts have no section of their own.
        assertThat(html).doesNotContain("<section class=\"host ok\"").containsOnlyOnce("<section class=\"host failed\" data-f=\"host-b\"");

        String hostB = between(html, "<h2>host-b <span", "</section>");
        assertThat(hostB).contains("2 findings").contains("3 segments · 400 records · records 0–399 of the last boot");
        assertThat(html).contains("1 finding</span>").contains("<p class=\"facts\">1 segment · 50 records ·");
        assertThat(rows(between(hostB, "<table class=\"findings\">", "</table>"))).containsExactly(
                List.of("kind", "segment", "record", "expected", "found", "detail"),
                List.of("replay-mismatch", "2", "317", "aa11", "bb22", "replay ends elsewhere"),
                List.of("bad-signature", "1", "", "", "", "CMS does not verify"));
        // What the filter reads: id, status, kinds.
        assertThat(html).contains("<section class=\"host failed\" data-f=\"host-b\" data-s=\"failed\" data-kinds=\"replay-mismatch bad-signature\">")
                .contains("<tr data-f=\"host-a\" data-s=\"ok\" data-kinds=\"\">");
    }

    @Test
    void nothingFailedOpensTheVerifiedHosts() throws Exception {
        List<Map<String, Object>> hosts = List.of(host("host-a", "ok", 3, 400), host("host-c", "ok", 2, 300));
        String html = render(hosts, new VerifyJobResult.ReportCounts(2, 0, 5, 700, 0));
        assertThat(html).contains("<p class=\"verdict\">All 2 hosts verified</p>").contains("<h2 class=\"group\">No failed hosts</h2>")
                .contains("<details class=\"ok-hosts\" id=\"ok-hosts\" open><summary>Verified hosts (2)</summary>")
                .doesNotContain("<section").doesNotContain("class=\"kinds\"").doesNotContain("count failed");
    }

    @Test
    void everyUntrustedValueIsEscaped() throws Exception {
        String html = render(fleet(), COUNTS);
        // The page has no script element of its own: any "<script" would be injected.
        assertThat(html).doesNotContain("<script").doesNotContain("<img").doesNotContain("<b>").doesNotContain("<store>")
                .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;")
                .contains("<td class=\"hex\">&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</td>")
                .contains("<td>&lt;b&gt;bold&lt;/b&gt; &amp; co</td>")
                .contains("data-f=\"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;\" data-s=\"failed\" data-kinds=\"bad-signature\"")
                .contains("<title>verification of &lt;store&gt;</title>");
        // Nothing but the page's own three handlers, and nothing loaded from anywhere.
        assertThat(attributes(html, "on[a-z]+")).containsOnly("onload", "oninput", "onclick");
        assertThat(html).doesNotContain("href=").doesNotContain("src=\"").doesNotContain("url(").doesNotContain("@import");
    }

    @Test
    void theContentSecurityPolicyAllowsExactlyThePagesHandlers() throws Exception {
        String html = render(fleet(), COUNTS);
        String csp = unescape(group(html, "<meta http-equiv=\"Content-Security-Policy\" content=\"([^\"]*)\">"));
        assertThat(csp).startsWith("default-src 'none'; ");
        List<String> handlers = new ArrayList<>();
        Matcher m = Pattern.compile(" on[a-z]+=\"([^\"]*)\"").matcher(html);
        while (m.find()) handlers.add(unescape(m.group(1)));
        assertThat(handlers).isNotEmpty();
        for (String h : handlers) {
            String sha = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(h.getBytes(StandardCharsets.UTF_8)));
            assertThat(csp).contains("'sha256-" + sha + "'");
        }
        // With scripts off the filter box is not shown (the handler unhides it).
        assertThat(html).contains("<div id=\"filter\" hidden>");
    }

    @Test
    void timesAreUtcToTheSecond() throws Exception {
        String html = render(fleet(), COUNTS);
        // Truncated, not rounded: .987654321 stays at :05.
        assertThat(html).contains("archived 2026-12-07 17:30:05Z – 2026-12-09 02:00:59Z")
                .contains("<td>2026-12-07 17:30:05Z – 2026-12-09 02:00:59Z</td>")
                .contains("created 2026-12-08 02:00:00Z");
        assertThat(Pattern.compile("\\d\\d:\\d\\d:\\d\\d\\.\\d").matcher(html).find()).isFalse();
        assertThat(html).doesNotContain("T17:30").doesNotContain("T02:00");
        // A manifest time that is not an instant is shown as it is (escaped).
        assertThat(HtmlReport.time("yesterday")).isEqualTo("yesterday");
    }

    @Test
    void manyFindingsFoldAfterTheFirstTwenty() throws Exception {
        List<Map<String, Object>> findings = new ArrayList<>();
        for (long r = 0; r < 25; r++) findings.add(finding("index-gap", 0L, r, Long.toString(r), Long.toString(r + 1), "gap"));
        @SuppressWarnings("unchecked")
        Map<String, Object> h = host("host-z", "failed", 1, 25, findings.toArray(Map[]::new));
        String html = render(List.of(h), new VerifyJobResult.ReportCounts(1, 1, 1, 25, 25));
        String section = between(html, "<h2>host-z <span", "</section>");
        assertThat(section).contains("25 findings").contains("<details><summary>5 more findings</summary>");
        String shown = between(section, "<table class=\"findings\">", "</table>");
        String folded = between(section, "<details><summary>5 more findings</summary>", "</details>");
        assertThat(rows(shown)).hasSize(1 + 20);
        assertThat(rows(folded)).hasSize(1 + 5);
        assertThat(rows(folded).get(1)).containsExactly("index-gap", "0", "20", "20", "21", "gap");
    }

    @Test
    void thePageIsWholeAndItsSpoolIsGone() throws Exception {
        String html = render(fleet(), COUNTS);
        assertThat(html).startsWith("<!DOCTYPE html>").endsWith("</body></html>\n");
        try (var files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }

    // ---- tiny HTML readers for the page's own regular markup ----

    static String between(String s, String from, String to) {
        int i = s.indexOf(from);
        assertThat(i).as("missing " + from).isGreaterThanOrEqualTo(0);
        int j = s.indexOf(to, i + from.length());
        assertThat(j).as("missing " + to + " after " + from).isGreaterThanOrEqualTo(0);
        return s.substring(i + from.length(), j);
    }

    static String group(String s, String regex) {
        Matcher m = Pattern.compile(regex).matcher(s);
        assertThat(m.find()).as(regex).isTrue();
        return m.group(1);
    }

    /** The counters as "N label". */
    static List<String> cards(String counts) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("<strong>([^<]*)</strong>([^<]*)</div>").matcher(counts);
        while (m.find()) out.add(m.group(1) + " " + m.group(2));
        return out;
    }

    /** Text of each cell, row by row (tags stripped, entities decoded). */
    static List<List<String>> rows(String table) {
        List<List<String>> out = new ArrayList<>();
        Matcher tr = Pattern.compile("<tr[^>]*>(.*?)</tr>", Pattern.DOTALL).matcher(table);
        while (tr.find()) {
            List<String> cells = new ArrayList<>();
            Matcher td = Pattern.compile("<t[dh][^>]*>(.*?)</t[dh]>", Pattern.DOTALL).matcher(tr.group(1));
            while (td.find()) cells.add(unescape(td.group(1).replaceAll("<[^>]*>", "")));
            out.add(cells);
        }
        return out;
    }

    static List<String> attributes(String html, String nameRegex) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("\\s(" + nameRegex + ")=\"").matcher(html);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    static String unescape(String s) {
        return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&");
    }

}

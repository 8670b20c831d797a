package org.imaarchiver.jobs.reverify;

import java.nio.file.StandardOpenOption;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.imaarchiver.archive.chain.ChainReport;

/**
 * The auditor's page: one self-contained HTML file (inline CSS, no external assets). Top to bottom:
 * the verdict and the counts (hosts failed / ok / total, segments, records, findings by kind); a
 * filter box; the failed hosts, each with its findings (kind, segment, record, expected, found,
 * detail) and its segments grouped by boot; then the verified hosts, one compact row each in a
 * collapsed {@code <details>}. Times are UTC to the second. Every value from the archive (host ids,
 * details, digests, manifest times) is untrusted and escaped.
 *
 * <p>It renders the host objects of report.json ({@link ReportWriter}'s entries, whose keys are a
 * contract), so it depends on no finding type. Hosts arrive in ascending order one at a time:
 * failed hosts go straight to the page, verified hosts' rows to a spool file that {@link #finish}
 * appends, so memory does not grow with the fleet.
 *
 * <p>Scripts: no {@code <script>} element, so any {@code <script} in the page is an injection. The
 * filter is three event-handler attributes ({@link #ON_LOAD} on the body, {@link #ON_INPUT} on the
 * box, {@link #ON_KIND} on the kind cells); the Content-Security-Policy allows exactly those, by
 * hash, and loads nothing, so text that got past escaping could neither run nor fetch. With
 * scripts off the box stays hidden and the page reads the same.
 */
final class HtmlReport implements Closeable {
    /** Findings of one host shown in its table; the rest fold into a {@code <details>} below it. */
    static final int FINDINGS_SHOWN = 20;

    /** {@code 2026-12-07 17:30:05Z}: UTC, truncated to the second. */
    static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

    // On load: show the box; imaFilter hides every host not matching all the words, counts the rest,
    // opens the verified hosts' table when some of them match and keeps the words in the address
    // (#q=..., so a filtered view can be bookmarked or sent); imaKind puts a clicked kind into the
    // box; then a #q= of the address is applied.
    // The handlers contain no '"', '&', '<' or '>': they go into attributes verbatim, so the CSP hashes
    // (over the attribute values) are over exactly this text.
    static final String ON_LOAD = "var d=document,q=d.getElementById('q'),n=d.getElementById('shown'),"
            + "N=function(x){return x.toLocaleString('en')},"
            + "all=d.querySelectorAll('[data-f]');d.body.className='js';d.getElementById('filter').hidden=false;"
            + "window.imaFilter=function(v){var t=v.toLowerCase().split(/\\s+/).filter(Boolean),f=0,o=0;"
            + "all.forEach(function(e){var h=e.getAttribute('data-f'),s=e.getAttribute('data-s'),k=e.getAttribute('data-kinds'),"
            + "m=t.every(function(w){return w=='ok'||w=='failed'?w==s:h.indexOf(w)!=-1||k.indexOf(w)!=-1});"
            + "e.hidden=!m;if(m)if(s=='ok')o++;else f++});"
            + "n.textContent=N(f+o)+' of '+N(all.length)+' hosts shown: '+N(f)+' failed, '+N(o)+' ok';"
            + "if(t.length)if(o)d.getElementById('ok-hosts').open=true;"
            + "try{history.replaceState(null,'',t.length?'#q='+encodeURIComponent(v):location.pathname)}catch(x){}};"
            + "window.imaKind=function(e){q.value=e.getAttribute('data-k');imaFilter(q.value);q.focus()};"
            + "if(location.hash.indexOf('#q=')==0)q.value=decodeURIComponent(location.hash.slice(3));imaFilter(q.value)";
    static final String ON_INPUT = "imaFilter(this.value)";
    static final String ON_KIND = "imaKind(this)";

    static final String CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-hashes' " + hash(ON_LOAD) + " "
            + hash(ON_INPUT) + " " + hash(ON_KIND);

    private static final String CSS = """
            body{font-family:system-ui,sans-serif;margin:1.5em 2em;color:#222;max-width:110em}
            h1{font-size:1.35em;margin:0 0 .4em}h2{font-size:1.05em;margin:.1em 0}
            h2.group{font-size:1.15em;margin:1.4em 0 .5em;padding-bottom:.2em;border-bottom:2px solid #ccc}
            .verdict{font-size:1.2em;font-weight:bold;padding:.5em .8em;margin:.4em 0;border-radius:4px;color:#fff;background:#2e7d32}
            .verdict.failed{background:#c62828}
            .top{display:flex;flex-wrap:wrap;gap:.6em 2em;align-items:flex-start;margin:.6em 0}
            .counts{display:flex;flex-wrap:wrap;gap:.6em}
            .count{border:1px solid #ccc;border-radius:4px;padding:.3em .8em;background:#f7f7f7;min-width:6em}
            .count strong{display:block;font-size:1.4em}.count.failed{border-color:#c62828;background:#fdecea}.count.failed strong{color:#c62828}
            .count.ok strong{color:#2e7d32}
            table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #ccc;padding:.2em .45em;text-align:left;vertical-align:top}
            th{background:#eee}td.num{text-align:right;font-variant-numeric:tabular-nums}
            table.kinds caption{text-align:left;font-weight:bold;padding:.2em 0}
            .js td[data-k]{cursor:pointer;text-decoration:underline dotted}
            #filter{margin:1em 0;padding:.5em .8em;background:#eef3fb;border:1px solid #b6c8e6;border-radius:4px}
            #filter input{font-size:1em;width:24em;padding:.2em}#shown{margin-left:.8em;font-weight:bold}.hint{color:#555;margin-left:.8em}
            section.host{border-left:6px solid #c62828;padding:.3em 1em .6em;margin:.8em 0;background:#fffafa}
            .badge{display:inline-block;padding:0 .5em;border-radius:3px;color:#fff;background:#2e7d32;font-size:.8em;font-weight:normal}
            .failed .badge{background:#c62828}.nfind{font-weight:normal;color:#c62828;font-size:.85em;margin-left:.5em}
            .facts{margin:.2em 0 .4em;color:#444;font-size:.9em}
            td.kind{font-weight:bold;color:#b71c1c;white-space:nowrap}
            td.hex{font-family:monospace,monospace;font-size:.95em;word-break:break-all;max-width:26em}
            .timeline{display:flex;flex-wrap:wrap;gap:2px;align-items:center;margin:.5em 0 0;font-size:.75em}
            .boot{color:#555;margin:0 .3em 0 .8em}.legend{color:#555}
            .seg{display:inline-block;min-width:1.8em;text-align:center;padding:.1em .2em;background:#a5d6a7}
            .seg.failed{background:#ef9a9a;font-weight:bold}
            details summary{cursor:pointer;margin:.3em 0}.lost{color:#c62828;font-weight:bold}details.ok-hosts>summary{font-size:1.15em;font-weight:bold;margin-top:1.4em}
            table.ok{font-size:.8em}table.ok tr:nth-child(even) td{background:#f6f6f6}
            .foot{margin-top:2em;color:#666;font-size:.8em}
            """;

    private final Writer out;
    private final Path okSpool;
    private final BufferedWriter okRows;
    private final VerifyJobResult.ReportCounts counts;

    private HtmlReport(Writer out, Path okSpool, VerifyJobResult.ReportCounts counts) throws IOException {
        this.out = out;
        this.okSpool = okSpool;
        this.okRows = Files.newBufferedWriter(okSpool, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
        this.counts = counts;
    }

    /**
     * Writes the head of the page (verdict, counts, findings by kind, filter, the failed hosts'
     * heading) and returns the page to add the hosts to.
     *
     * @param okSpool a scratch file for the verified hosts' rows (deleted by {@link #close})
     */
    static HtmlReport begin(Writer out, Path okSpool, String title, VerifyJobResult.ReportCounts c, KindTally kinds) throws IOException {
        HtmlReport page = new HtmlReport(out, okSpool, c);
        out.write("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\""
                + escape(CSP) + "\">\n<title>" + escape(title) + "</title>\n<style>" + CSS + "</style></head>\n<body onload=\"" + ON_LOAD
                + "\">\n<h1>" + escape(title) + "</h1>\n");
        long ok = c.hosts() - c.failedHosts();
        out.write(c.failedHosts() > 0
                ? "<p class=\"verdict failed\">" + number(c.failedHosts()) + " of " + number(c.hosts()) + " hosts FAILED verification</p>\n"
                : "<p class=\"verdict\">All " + number(c.hosts()) + " hosts verified</p>\n");
        out.write("<div class=\"top\">\n<div class=\"counts\">" + count(c.failedHosts() > 0 ? "failed" : "", c.failedHosts(), "failed hosts") + count("ok", ok, "ok hosts")
                + count("", c.hosts(), "hosts") + count("", c.segments(), "segments") + count("", c.records(), "records")
                + count(c.failures() > 0 ? "failed" : "", c.failures(), "findings") + "</div>\n");
        if (!kinds.isEmpty()) {
            out.write("<table class=\"kinds\"><caption>Findings by kind</caption>\n<tr><th>kind</th><th>findings</th><th>hosts</th></tr>\n");
            for (KindTally.Row r : kinds.rows()) {
                out.write("<tr><td class=\"kind\" data-k=\"" + escape(r.kind()) + "\" onclick=\"" + ON_KIND + "\">" + escape(r.kind())
                        + "</td><td class=\"num\">" + number(r.findings()) + "</td><td class=\"num\">" + number(r.hosts()) + "</td></tr>\n");
            }
            out.write("</table>\n");
        }
        out.write("</div>\n<div id=\"filter\" hidden><label for=\"q\">Filter hosts</label> <input id=\"q\" type=\"search\" autocomplete=\"off\""
                + " placeholder=\"host id, ok / failed, finding kind\" oninput=\"" + ON_INPUT + "\"><span id=\"shown\"></span>"
                + "<span class=\"hint\">all words must match" + (kinds.isEmpty() ? "" : "; click a kind to filter by it") + "</span></div>\n");
        out.write(c.failedHosts() > 0 ? "<h2 class=\"group\">Failed hosts (" + number(c.failedHosts()) + ")</h2>\n"
                : "<h2 class=\"group\">No failed hosts</h2>\n");
        return page;
    }

    /** Adds one host: a failed one to the page now, a verified one to the table {@link #finish} writes. */
    void add(Map<String, Object> entry) throws IOException {
        host(isOk(entry) ? okRows : out, entry);
    }

    /** The verified hosts' table (collapsed unless nothing failed) and the end of the page. */
    void finish() throws IOException {
        okRows.flush();
        long okHosts = counts.hosts() - counts.failedHosts();
        out.write("<details class=\"ok-hosts\" id=\"ok-hosts\"" + (counts.failedHosts() > 0 ? "" : " open")
                + "><summary>Verified hosts (" + number(okHosts) + ")</summary>\n");
        if (okHosts > 0) {
            out.write("<table class=\"ok\"><tr><th>host</th><th>segments</th><th>records</th><th>records of the last boot</th>"
                    + "<th>archived (UTC)</th><th>receipt</th><th>boots</th><th>AK admission</th></tr>\n");
            try (Reader r = Files.newBufferedReader(okSpool, StandardCharsets.UTF_8)) {
                r.transferTo(out);
            }
            out.write("</table>\n");
        }
        out.write("</details>\n<p class=\"foot\">Times are UTC, to the second. report.json next to this page holds every value in full"
                + " (times to the nanosecond).</p>\n</body></html>\n");
    }

    @Override
    public void close() throws IOException {
        try {
            okRows.close();
        } finally {
            Files.deleteIfExists(okSpool);
        }
    }

    /** One host's markup: a failed host's section, or a verified host's table row. */
    @SuppressWarnings("unchecked")
    static void host(Writer w, Map<String, Object> e) throws IOException {
        String host = Objects.toString(e.get("host"));
        String status = Objects.toString(e.get("status"));
        List<Object> failures = e.get("failures") instanceof List<?> l ? (List<Object>) l : List.of();
        if (isOk(e)) {
            String receipt = receiptNote(e);
            w.write("<tr" + filterAttributes(host, status, List.of()) + "><td>" + escape(host) + " <span class=\"badge\">"
                    + escape(status) + "</span></td><td class=\"num\">" + escape(e.get("segments")) + "</td><td class=\"num\">"
                    + escape(e.get("records")) + "</td><td>" + indexRange(e) + "</td><td>" + archived(e) + "</td><td>"
                    + (receipt.isEmpty() ? "–" : receipt) + "</td><td>" + boots(e) + "</td><td>" + admission(e) + "</td></tr>\n");
            return;
        }
        Set<String> kinds = new LinkedHashSet<>();
        for (Object o : failures) kinds.add(Objects.toString(((Map<String, Object>) o).get("kind")));
        w.write("<section class=\"host failed\"" + filterAttributes(host, status, kinds) + ">\n<h2>" + escape(host)
                + " <span class=\"badge\">" + escape(status) + "</span><span class=\"nfind\">" + plural((long) failures.size(), "finding")
                + "</span></h2>\n");
        StringBuilder facts = new StringBuilder();
        facts.append(plural(e.get("segments"), "segment")).append(" · ").append(plural(e.get("records"), "record"));
        String range = indexRange(e);
        if (!range.isEmpty()) facts.append(" · records ").append(range).append(" of the last boot");
        String archived = archived(e);
        if (!archived.isEmpty()) facts.append(" · archived ").append(archived);
        String receipt = receiptNote(e);
        if (!receipt.isEmpty()) facts.append(" · ").append(receipt);
        w.write("<p class=\"facts\">" + facts + "</p>\n");
        String boots = boots(e);
        if (!boots.isEmpty()) w.write("<p class=\"facts\">boots: " + boots + "</p>\n");
        String admission = admission(e);
        if (!admission.isEmpty()) w.write("<p class=\"facts\">AK admission: " + admission + "</p>\n");
        if (!failures.isEmpty()) {
            findingsTable(w, failures.subList(0, Math.min(FINDINGS_SHOWN, failures.size())));
            if (failures.size() > FINDINGS_SHOWN) {
                w.write("<details><summary>" + (failures.size() - FINDINGS_SHOWN) + " more findings</summary>\n");
                findingsTable(w, failures.subList(FINDINGS_SHOWN, failures.size()));
                w.write("</details>\n");
            }
        }
        timeline(w, e.get("timeline") instanceof List<?> t ? (List<Object>) t : List.of());
        w.write("</section>\n");
    }

    @SuppressWarnings("unchecked")
    private static void findingsTable(Writer w, List<Object> findings) throws IOException {
        w.write("<table class=\"findings\"><tr><th>kind</th><th>segment</th><th>record</th><th>expected</th><th>found</th><th>detail</th></tr>\n");
        for (Object o : findings) {
            Map<String, Object> f = (Map<String, Object>) o;
            w.write("<tr><td class=\"kind\">" + escape(f.get("kind")) + "</td><td class=\"num\">" + whole(f.get("segment"))
                    + "</td><td class=\"num\">" + whole(f.get("record")) + "</td><td class=\"hex\">" + escape(f.get("expected"))
                    + "</td><td class=\"hex\">" + escape(f.get("found")) + "</td><td>" + escape(f.get("detail")) + "</td></tr>\n");
        }
        w.write("</table>\n");
    }

    /** The host's segments in chain order, grouped by boot; a segment with findings is red, each has a tooltip. */
    @SuppressWarnings("unchecked")
    private static void timeline(Writer w, List<Object> timeline) throws IOException {
        if (timeline.isEmpty()) return;
        w.write("<div class=\"timeline\"><span class=\"legend\">segments:</span>");
        String boot = null;
        for (Object o : timeline) {
            Map<String, Object> s = (Map<String, Object>) o;
            // bootCounter and the rest are null when the segment's manifest did not decode.
            String b = s.get("bootCounter") instanceof Long l ? l.toString() : "?";
            if (boot == null || !b.equals(boot)) {
                w.write("<span class=\"boot\">boot " + b + "</span>");
                boot = b;
            }
            boolean segOk = ChainReport.Status.OK.id().equals(s.get("status"));
            String tip = "segment " + s.get("segment") + (s.get("bootCounter") instanceof Long
                    ? ", boot " + b + ", " + s.get("records") + " records from index " + s.get("firstIndex") + ", created " + time(s.get("createdAt"))
                    : ", manifest unreadable") + (segOk ? "" : ", " + s.get("failures") + " finding(s)");
            w.write("<span class=\"seg" + (segOk ? "" : " failed") + "\" title=\"" + escape(tip) + "\">" + escape(s.get("segment")) + "</span>");
        }
        w.write("</div>\n");
    }

    private static boolean isOk(Map<String, Object> e) { return ChainReport.Status.OK.id().equals(e.get("status")); }

    /**
     * What the filter reads, lower case: the host id ({@code data-f}, matched by any part), the status
     * ({@code data-s}: the words "ok" and "failed" match only it, so a host id containing "ok" is not
     * a verified host) and the finding kinds ({@code data-kinds}, matched by any part).
     */
    private static String filterAttributes(String host, String status, Iterable<String> kinds) {
        return " data-f=\"" + escape(host.toLowerCase(Locale.ROOT)) + "\" data-s=\"" + escape(status.toLowerCase(Locale.ROOT))
                + "\" data-kinds=\"" + escape(String.join(" ", kinds).toLowerCase(Locale.ROOT)) + "\"";
    }

    /** Each boot's state ({@link ReportWriter#bootLine}), escaped, separated by line breaks; unclosed boots in red. */
    @SuppressWarnings("unchecked")
    private static String boots(Map<String, Object> e) {
        List<String> lines = new ArrayList<>();
        for (Object o : e.get("boots") instanceof List<?> l ? (List<Object>) l : List.of()) {
            Map<String, Object> b = (Map<String, Object>) o;
            boolean lost = !Boolean.TRUE.equals(b.get("closed")) && !Boolean.TRUE.equals(b.get("current"));
            lines.add(lost ? "<span class=\"lost\">" + escape(ReportWriter.bootLine(b)) + "</span>" : escape(ReportWriter.bootLine(b)));
        }
        return String.join("<br>", lines);
    }

    private static String indexRange(Map<String, Object> e) {
        return e.get("firstIndex") instanceof Long a && e.get("lastIndex") instanceof Long b ? a + "–" + b : "";
    }

    private static String archived(Map<String, Object> e) {
        Object a = e.get("firstCreatedAt");
        Object b = e.get("lastCreatedAt");
        return a instanceof String && b instanceof String ? escape(time(a)) + " – " + escape(time(b)) : "";
    }

    /**
     * How the host's AKs were admitted (the entry's {@code admission}, docs/trust-model.md): the
     * status, then per AK file how it came to be trusted; empty for entries without it.
     */
    @SuppressWarnings("unchecked")
    static String admission(Map<String, Object> e) {
        if (!(e.get("admission") instanceof Map<?, ?> a)) return "";
        StringBuilder sb = new StringBuilder(escape(a.get("status")));
        List<String> files = new ArrayList<>();
        for (Object o : a.get("aks") instanceof List<?> l ? (List<Object>) l : List.of()) {
            Map<String, Object> ak = (Map<String, Object>) o;
            String how = Objects.toString(ak.get("admission"));
            files.add(escape(ak.get("file")) + ": " + escape(how)
                    + (ak.get("admittedAt") instanceof String t ? " " + escape(time(t)) : ""));
        }
        if (!files.isEmpty()) sb.append(" (").append(String.join("; ", files)).append(')');
        return sb.toString();
    }

    private static String receiptNote(Map<String, Object> e) {
        List<String> notes = new ArrayList<>();
        if (e.get("sinceReceipt") instanceof Long s) notes.add("verified after the receipt for segment " + s);
        if (e.get("receiptRejected") instanceof String r) notes.add("receipt rejected, whole chain verified: " + escape(r));
        if (e.get("receipt") instanceof String r) notes.add("signed (" + escape(r) + ")");
        if (e.get("unknownObjectCount") instanceof Long n && n > 0) notes.add(n + " object(s) that are no segment object, not verified");
        return String.join("; ", notes);
    }

    /**
     * An ISO-8601 instant as {@code 2026-12-07 17:30:05Z} (UTC, truncated to the second); anything
     * else (a manifest's time is untrusted text) as it is.
     */
    static String time(Object iso) {
        String s = String.valueOf(iso);
        try {
            return SECONDS.format(Instant.parse(s));
        } catch (DateTimeParseException e) {
            return s;
        }
    }

    /** "1 record", "2 records"; a value that is not a number as it is (escaped). */
    private static String plural(Object n, String word) {
        return escape(n) + " " + word + (Long.valueOf(1).equals(n) ? "" : "s");
    }

    private static String whole(Object v) { return v instanceof Long ? v.toString() : ""; }

    private static String number(long n) { return String.format(Locale.ROOT, "%,d", n); }

    private static String count(String cls, long n, String label) {
        return "<div class=\"count" + (cls.isEmpty() ? "" : " " + cls) + "\"><strong>" + number(n) + "</strong>" + label + "</div>";
    }

    /** Escapes text for HTML element content and double-quoted attribute values. */
    static String escape(Object value) {
        String s = String.valueOf(value);
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> {
                    if (c < 0x20 && c != '\n' && c != '\t') sb.append("&#").append((int) c).append(';');
                    else sb.append(c);
                }
            }
        }
        return sb.toString();
    }

    /** A CSP source for an inline handler: {@code 'sha256-BASE64'} of its text. */
    private static String hash(String handler) {
        if (handler.matches("(?s).*[\"&<>].*")) {
            throw new IllegalStateException("a handler must go into an attribute verbatim: " + handler);
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(handler.getBytes(StandardCharsets.UTF_8));
            return "'sha256-" + Base64.getEncoder().encodeToString(d) + "'";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is a required JDK algorithm", e);
        }
    }

    /** Findings and failed hosts per finding kind, counted over all hosts before the page starts. */
    static final class KindTally {
        record Row(String kind, long findings, long hosts) {}

        private final Map<String, long[]> byKind = new HashMap<>();

        @SuppressWarnings("unchecked")
        void add(Map<String, Object> entry) {
            Set<String> seen = new LinkedHashSet<>();
            if (!(entry.get("failures") instanceof List<?> failures)) return;
            for (Object o : failures) {
                String kind = Objects.toString(((Map<String, Object>) o).get("kind"));
                long[] c = byKind.computeIfAbsent(kind, k -> new long[2]);
                c[0]++;
                if (seen.add(kind)) c[1]++;
            }
        }

        boolean isEmpty() { return byKind.isEmpty(); }

        /** Most findings first, then by kind. */
        List<Row> rows() {
            return byKind.entrySet().stream().map(en -> new Row(en.getKey(), en.getValue()[0], en.getValue()[1]))
                    .sorted(Comparator.comparingLong(Row::findings).reversed().thenComparing(Row::kind)).toList();
        }
    }
}

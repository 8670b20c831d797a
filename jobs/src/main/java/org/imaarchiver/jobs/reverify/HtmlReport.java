package org.imaarchiver.jobs.reverify;

import java.io.IOException;
import java.io.Writer;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The auditor's page: one self-contained HTML file (inline CSS, no scripts, no external assets).
 * Per host: status, counts, a timeline of its segments grouped by boot (green ok, red failed, with
 * a tooltip per segment) and a table of its findings. Every value from the archive is escaped.
 */
final class HtmlReport {
    private HtmlReport() {}

    private static final String CSS = """
            body{font-family:system-ui,sans-serif;margin:2em;color:#222}
            h1{font-size:1.4em}h2{font-size:1.1em;margin:.2em 0}
            .summary{padding:.6em 1em;border:1px solid #ccc;background:#f7f7f7}
            section.host{border-left:6px solid #2e7d32;padding:.4em 1em;margin:1em 0}
            section.host.failed{border-left-color:#c62828}
            .badge{display:inline-block;padding:0 .5em;border-radius:3px;color:#fff;background:#2e7d32;font-size:.85em}
            .failed .badge{background:#c62828}
            .timeline{display:flex;flex-wrap:wrap;gap:2px;align-items:center;margin:.4em 0}
            .boot{font-size:.75em;color:#555;margin:0 .3em 0 .8em}
            .seg{display:inline-block;min-width:1.8em;text-align:center;font-size:.75em;padding:.15em .2em;background:#a5d6a7}
            .seg.failed{background:#ef9a9a;font-weight:bold}
            table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #ccc;padding:.2em .4em;text-align:left;vertical-align:top}
            td.hex{font-family:monospace;word-break:break-all;max-width:28em}
            """;

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

    static void begin(Writer w, String title, VerifyJobResult.ReportCounts c) throws IOException {
        w.write("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" + escape(title) + "</title>\n<style>"
                + CSS + "</style></head>\n<body>\n<h1>" + escape(title) + "</h1>\n");
        w.write("<p class=\"summary\">" + escape(ReportWriter.headline(c)) + "</p>\n");
    }

    @SuppressWarnings("unchecked")
    static void host(Writer w, Map<String, Object> e) throws IOException {
        String status = Objects.toString(e.get("status"));
        boolean ok = "ok".equals(status);
        w.write("<section class=\"host " + (ok ? "ok" : "failed") + "\">\n<h2>" + escape(e.get("host")) + " <span class=\"badge\">"
                + escape(status) + "</span></h2>\n");
        StringBuilder facts = new StringBuilder();
        facts.append("segments ").append(escape(e.get("segments"))).append(" · records ").append(escape(e.get("records")));
        if (e.get("firstIndex") instanceof Long a && e.get("lastIndex") instanceof Long b) {
            facts.append(" · records ").append(a).append("..").append(b).append(" of the last boot");
        }
        if (e.get("firstCreatedAt") instanceof String a && e.get("lastCreatedAt") instanceof String b) {
            facts.append(" · archived ").append(escape(a)).append(" – ").append(escape(b));
        }
        if (e.get("sinceReceipt") instanceof Long s) facts.append(" · verified after the receipt for segment ").append(s);
        if (e.get("receiptRejected") instanceof String r) facts.append(" · receipt rejected: ").append(escape(r));
        w.write("<p>" + facts + "</p>\n");

        List<Object> timeline = e.get("timeline") instanceof List<?> l ? (List<Object>) l : List.of();
        if (!timeline.isEmpty()) {
            w.write("<div class=\"timeline\">");
            Object boot = null;
            for (Object o : timeline) {
                Map<String, Object> s = (Map<String, Object>) o;
                Object b = s.get("bootCounter");
                if (!Objects.equals(b, boot)) {
                    w.write("<span class=\"boot\">boot " + escape(b) + "</span>");
                    boot = b;
                }
                boolean segOk = "ok".equals(s.get("status"));
                String tip = "segment " + s.get("segment") + ", boot " + b + ", records " + s.get("records") + " from index "
                        + s.get("firstIndex") + ", created " + s.get("createdAt") + (segOk ? "" : ", " + s.get("failures") + " finding(s)");
                w.write("<span class=\"seg" + (segOk ? "" : " failed") + "\" title=\"" + escape(tip) + "\">" + escape(s.get("segment"))
                        + "</span>");
            }
            w.write("</div>\n");
        }
        List<Object> failures = (List<Object>) e.get("failures");
        if (!failures.isEmpty()) {
            w.write("<table><tr><th>kind</th><th>segment</th><th>record</th><th>expected</th><th>found</th><th>detail</th></tr>\n");
            for (Object o : failures) {
                Map<String, Object> f = (Map<String, Object>) o;
                w.write("<tr><td>" + escape(f.get("kind")) + "</td><td>" + cell(f.get("segment")) + "</td><td>" + cell(f.get("record"))
                        + "</td><td class=\"hex\">" + escape(f.get("expected")) + "</td><td class=\"hex\">" + escape(f.get("found"))
                        + "</td><td>" + escape(f.get("detail")) + "</td></tr>\n");
            }
            w.write("</table>\n");
        }
        w.write("</section>\n");
    }

    private static String cell(Object v) { return v instanceof Long ? v.toString() : ""; }

    static void end(Writer w) throws IOException {
        w.write("</body></html>\n");
    }
}

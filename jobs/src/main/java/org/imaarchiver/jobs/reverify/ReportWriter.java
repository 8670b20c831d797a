package org.imaarchiver.jobs.reverify;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.imaarchiver.archive.io.OutputTargets;
import org.imaarchiver.archive.io.UnsafeOutputException;
import org.imaarchiver.jobs.batch.ResultFiles;
import org.imaarchiver.archive.chain.ChainFinding;
import org.imaarchiver.archive.receipt.VerificationReceipt;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.sign.SegmentSigner;
import org.imaarchiver.archive.sign.SigningException;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.bytes.Bytes;

/**
 * Assembles the outputs from the per-host result rows ({@link ResultTable}), streaming: one host's
 * entry in memory at a time, totals as counters. Hosts come in ascending order from {@link HostSource};
 * a host without a result (filtered out by the window, or new since partitioning) is not in the
 * report. Receipts are signed here, by the manager's key, from the bodies the workers stored.
 *
 * <ul>
 *   <li>{@value #JSON}: {@code {"hosts": [ ...ArchiveReportJson host objects + timeline... ]}}
 *   <li>{@value #HTML}: one self-contained page ({@link HtmlReport}): counts and findings by kind from the
 *       first pass, failed hosts first
 *   <li>{@value #SUMMARY}: the human summary: one line per host ({@code host: ok|FAILED, N segments, M records}),
 *       one indented line per finding, then the totals ({@link #headline}); what {@code verify} prints
 * </ul>
 */
final class ReportWriter {
    static final String JSON = "report.json";
    static final String HTML = "report.html";
    static final String SUMMARY = "summary.txt";
    /** Failed hosts listed by name in the returned summary text (all are in summary.txt). */
    static final int SUMMARY_HOST_LINES = 50;

    private final HostSource hosts;
    private final ResultTable results;
    private final Path outputDir;
    private final Optional<SegmentSigner> receiptSigner;
    private final Path receiptsDir;

    /**
     * @param receiptKey signs the receipt of every host that verified (the workers store only the
     *     unsigned body); empty: no receipts
     */
    ReportWriter(HostSource hosts, ResultTable results, Path outputDir, Optional<KeyMaterial> receiptKey) {
        this.hosts = Objects.requireNonNull(hosts, "hosts");
        this.results = Objects.requireNonNull(results, "results");
        this.outputDir = Objects.requireNonNull(outputDir, "outputDir");
        this.receiptSigner = receiptKey.map(k -> new SegmentSigner(k, Optional.empty()));
        this.receiptsDir = outputDir.resolve("receipts");
    }

    /**
     * Refuses, before a run, an {@code outputDir} where a report file or its temporary file is not a
     * regular file (OutputTargets: such a thing is never replaced).
     */
    public static void requireReplaceable(Path outputDir) throws UnsafeOutputException {
        for (String name : List.of(JSON, HTML, SUMMARY)) {
            OutputTargets.requireReplaceable(outputDir.resolve(name));
            OutputTargets.requireReplaceable(outputDir.resolve(name + ".tmp"));
        }
    }

    /** What was written. */
    record Written(VerifyJobResult.ReportCounts counts, String summary) {}

    Written write(String title) throws IOException {
        Files.createDirectories(outputDir);
        // Pass 1: totals (the HTML shows them first).
        long[] c = new long[5]; // hosts, failed, segments, records, failures
        HtmlReport.KindTally kinds = new HtmlReport.KindTally();
        forEachHost((e, receipt) -> {
            kinds.add(e);
            c[0]++;
            if (!"ok".equals(e.get("status"))) c[1]++;
            c[2] += (Long) e.get("segments");
            c[3] += (Long) e.get("records");
            c[4] += ((List<?>) e.get("failures")).size();
        });
        VerifyJobResult.ReportCounts counts = new VerifyJobResult.ReportCounts(c[0], c[1], c[2], c[3], c[4]);

        Path jsonTmp = outputDir.resolve(JSON + ".tmp");
        Path htmlTmp = outputDir.resolve(HTML + ".tmp");
        Path summaryTmp = outputDir.resolve(SUMMARY + ".tmp");
        Path htmlOkRows = outputDir.resolve(HTML + ".ok-hosts.tmp");
        StringBuilder shortSummary = new StringBuilder(headline(counts)).append('\n');
        for (Path t : List.of(jsonTmp, htmlTmp, summaryTmp, htmlOkRows)) OutputTargets.freshTemporary(t);
        try (Writer json = Files.newBufferedWriter(jsonTmp, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
             BufferedWriter html = Files.newBufferedWriter(htmlTmp, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
             BufferedWriter summary = Files.newBufferedWriter(summaryTmp, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
             HtmlReport page = HtmlReport.begin(html, htmlOkRows, title, counts, kinds)) {
            json.write("{\"hosts\":[");
            boolean[] first = {true};
            long[] listed = {0};
            forEachHost((e, receipt) -> {
                try {
                    if (receipt.isPresent() && receiptSigner.isPresent()) e.put("receipt", signReceipt(receipt.get()));
                    if (!first[0]) json.write(',');
                    first[0] = false;
                    json.write('\n');
                    json.write(Json.write(e));
                    page.add(e);
                    summary.write(hostLines(e));
                    if (!"ok".equals(e.get("status")) && listed[0]++ < SUMMARY_HOST_LINES) {
                        shortSummary.append(failedLine(e)).append('\n');
                    }
                } catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
            });
            if (listed[0] > SUMMARY_HOST_LINES) {
                shortSummary.append("... and ").append(listed[0] - SUMMARY_HOST_LINES).append(" more failed hosts (see ")
                        .append(outputDir.resolve(SUMMARY)).append(")\n");
            }
            summary.write(headline(counts));
            summary.newLine();
            json.write("\n]}\n");
            page.finish();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        ResultFiles.move(jsonTmp, outputDir.resolve(JSON));
        ResultFiles.move(htmlTmp, outputDir.resolve(HTML));
        ResultFiles.move(summaryTmp, outputDir.resolve(SUMMARY));
        return new Written(counts, shortSummary.toString());
    }

    static String headline(VerifyJobResult.ReportCounts c) {
        return "verified " + c.hosts() + " host(s): " + (c.hosts() - c.failedHosts()) + " ok, " + c.failedHosts() + " failed; "
                + c.segments() + " segment(s), " + c.records() + " record(s), " + c.failures() + " finding(s)";
    }

    /** {@code host: ok|FAILED, N segments, M records[ (since receipt ...)]} and one line per finding. */
    @SuppressWarnings("unchecked")
    static String hostLines(Map<String, Object> e) {
        long segs = (Long) e.get("segments");
        long recs = (Long) e.get("records");
        StringBuilder sb = new StringBuilder().append(e.get("host")).append(": ").append("ok".equals(e.get("status")) ? "ok" : "FAILED")
                .append(", ").append(segs).append(" segment").append(segs == 1 ? "" : "s")
                .append(", ").append(recs).append(" record").append(recs == 1 ? "" : "s");
        if (e.get("sinceReceipt") instanceof Long s) sb.append(" (after the receipt for segment ").append(s).append(')');
        if (e.get("receiptRejected") instanceof String r) sb.append(" (receipt rejected, whole chain verified: ").append(r).append(')');
        sb.append('\n');
        if (e.get("unknownObjectCount") instanceof Long n && n > 0) {
            List<Object> keys = (List<Object>) e.get("unknownObjects");
            sb.append("  note: ").append(n).append(" object(s) that are no segment object (not verified): ")
                    .append(String.join(", ", keys.stream().map(String::valueOf).toList())).append(n > keys.size() ? ", ..." : "")
                    .append('\n');
        }
        for (Object o : (List<Object>) e.get("failures")) findingLine(sb.append("  "), (Map<String, Object>) o);
        for (Object o : (List<Object>) e.getOrDefault("warnings", List.of())) findingLine(sb.append("  warning: "), (Map<String, Object>) o);
        for (Object o : (List<Object>) e.getOrDefault("boots", List.of())) sb.append("  ").append(bootLine((Map<String, Object>) o)).append('\n');
        return sb.toString();
    }

    private static void findingLine(StringBuilder sb, Map<String, Object> f) {
        sb.append(f.get("kind"));
        if (f.get("segment") instanceof Long s) sb.append(" segment ").append(s);
        if (f.get("record") instanceof Long r) sb.append(" record ").append(r);
        sb.append(": ").append(f.get("detail")).append('\n');
    }

    /** {@code boot 2: segments 5..7, 300 records (0..299), closed | open (current) | NOT CLOSED: ...}. */
    static String bootLine(Map<String, Object> b) {
        StringBuilder sb = new StringBuilder("boot ").append(b.get("bootCounter")).append(": segments ").append(b.get("firstSegment"))
                .append("..").append(b.get("lastSegment")).append(", ").append(b.get("records")).append(" records");
        if (b.get("lastIndex") instanceof Long last) sb.append(" (").append(b.get("firstIndex")).append("..").append(last).append(')');
        return sb.append(", ").append(bootState(b)).toString();
    }

    /** How a boot ended: closed by the run at shutdown, still open (the current one), or not closed. */
    static String bootState(Map<String, Object> b) {
        if (Boolean.TRUE.equals(b.get("closed"))) return "closed";
        if (Boolean.TRUE.equals(b.get("current"))) return "open (current)";
        return "NOT CLOSED (records after segment " + b.get("lastSegment") + "'s quote may be lost)";
    }

    @SuppressWarnings("unchecked")
    private static String failedLine(Map<String, Object> e) {
        List<Object> failures = (List<Object>) e.get("failures");
        StringBuilder sb = new StringBuilder("FAILED ").append(e.get("host")).append(": ").append(failures.size()).append(" finding(s)");
        if (!failures.isEmpty()) {
            Map<String, Object> f = (Map<String, Object>) failures.get(0);
            sb.append(", first ").append(f.get("kind"));
            if (f.get("segment") instanceof Long s) sb.append(" in segment ").append(s);
            if (f.get("record") instanceof Long r) sb.append(" record ").append(r);
            sb.append(": ").append(f.get("detail"));
        }
        return sb.toString();
    }

    interface EntryConsumer {
        void accept(Map<String, Object> entry, Optional<Bytes> receiptBody);
    }

    private void forEachHost(EntryConsumer consumer) throws IOException {
        try (Stream<String> s = hosts.hosts()) {
            Iterator<String> it = s.iterator();
            while (it.hasNext()) {
                String host = it.next();
                Optional<ResultTable.Row> r = results.getUnchecked(host);
                if (r.isEmpty()) r = mergedParts(host);
                if (r.isPresent()) consumer.accept(r.get().entry(), r.get().receiptBody());
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /**
     * A host whose long chain was verified in parts (consecutive segment ranges, each with the link
     * to the range before): one entry as if verified whole. The parts' findings are in chain order
     * already; counts add up; the receipt is the last part's, and only if every part verified.
     */
    @SuppressWarnings("unchecked")
    private Optional<ResultTable.Row> mergedParts(String host) throws IOException {
        Map<String, Object>[] merged = new Map[1];
        Optional<Bytes>[] receipt = new Optional[] {Optional.empty()};
        List<ChainFinding> findings = new java.util.ArrayList<>();
        boolean[] ok = {true};
        results.forEachPart(host, row -> {
            Map<String, Object> e = row.entry();
            ok[0] &= "ok".equals(e.get("status"));
            receipt[0] = row.receiptBody();
            findings.addAll(row.findings());
            if (merged[0] == null) {
                merged[0] = new java.util.LinkedHashMap<>(e);
                merged[0].put("failures", new java.util.ArrayList<>((List<Object>) e.get("failures")));
                // rows stored before warnings and boots existed (a run resumed across an upgrade) have neither
                merged[0].put("warnings", new java.util.ArrayList<>((List<Object>) e.getOrDefault("warnings", List.of())));
                merged[0].put("boots", new java.util.ArrayList<>((List<Object>) e.getOrDefault("boots", List.of())));
                merged[0].put("timeline", new java.util.ArrayList<>((List<Object>) e.get("timeline")));
                return;
            }
            Map<String, Object> m = merged[0];
            m.put("segments", (Long) m.get("segments") + (Long) e.get("segments"));
            m.put("records", (Long) m.get("records") + (Long) e.get("records"));
            for (String k : List.of("firstIndex", "firstCreatedAt")) if (m.get(k) == Json.NULL) m.put(k, e.get(k));
            for (String k : List.of("lastIndex", "lastCreatedAt")) if (e.get(k) != Json.NULL) m.put(k, e.get(k));
            ((List<Object>) m.get("failures")).addAll((List<Object>) e.get("failures"));
            ((List<Object>) m.get("warnings")).addAll((List<Object>) e.getOrDefault("warnings", List.of()));
            m.put("boots", mergedBoots((List<Object>) m.get("boots"), (List<Object>) e.getOrDefault("boots", List.of())));
            ((List<Object>) m.get("timeline")).addAll((List<Object>) e.get("timeline"));
        });
        if (merged[0] == null) return Optional.empty();
        merged[0].put("status", ok[0] ? "ok" : "failed");
        return Optional.of(new ResultTable.Row(merged[0], findings, ok[0] ? receipt[0] : Optional.empty()));
    }

    /**
     * The boots of two consecutive parts of a chain as one list: a boot cut by the part boundary is one
     * boot (counts added, the later part's end and closing mark); only the last boot can be current.
     */
    @SuppressWarnings("unchecked")
    static List<Object> mergedBoots(List<Object> before, List<Object> after) {
        List<Object> out = new java.util.ArrayList<>();
        for (Object o : before) out.add(new java.util.LinkedHashMap<>((Map<String, Object>) o));
        for (Object o : after) {
            Map<String, Object> b = new java.util.LinkedHashMap<>((Map<String, Object>) o);
            Map<String, Object> last = out.isEmpty() ? null : (Map<String, Object>) out.get(out.size() - 1);
            if (last != null && last.get("bootCounter").equals(b.get("bootCounter"))) {
                last.put("lastSegment", b.get("lastSegment"));
                last.put("segments", (Long) last.get("segments") + (Long) b.get("segments"));
                last.put("records", (Long) last.get("records") + (Long) b.get("records"));
                if (b.get("lastIndex") != Json.NULL) last.put("lastIndex", b.get("lastIndex"));
                last.put("closed", b.get("closed"));
                last.put("current", b.get("current"));
            } else {
                out.add(b);
            }
        }
        for (int i = 0; i < out.size() - 1; i++) ((Map<String, Object>) out.get(i)).put("current", false);
        return out;
    }

    /** Signs and writes one receipt; returns its file name for the report entry. */
    private String signReceipt(Bytes body) {
        try {
            VerificationReceipt r = VerificationReceipt.parse(body);
            r.write(receiptsDir, receiptSigner.orElseThrow());
            return r.host() + VerificationReceipt.JSON_SUFFIX;
        } catch (VerificationReceipt.ReceiptException e) {
            throw new UncheckedIOException(new IOException("stored receipt body is malformed: " + e.getMessage(), e));
        } catch (SigningException e) {
            throw new UncheckedIOException(new IOException("cannot sign a receipt: " + e.getMessage(), e));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package org.imaarchiver.jobs.compact;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.imaarchiver.jobs.batch.ResultFiles;
import org.imaarchiver.replay.json.Json;

/**
 * {@code report.json}: the per-host result files streamed in host order (one host in memory at a
 * time), then the totals: {@code {"store", "policy", "retention", "hosts": [...], "totals": {...}}}.
 */
final class CompactReportWriter {
    static final String JSON = "report.json";
    static final String SUMMARY = "summary.txt";

    /** Totals over the hosts of a run. */
    record Totals(long hosts, long hostsCompacted, long hostsNotVerified, long hostsStoreProblem, long groupsPlanned,
                  long groupsCompacted, long partsMerged, long records, long bytesBefore, long bytesAfter, long partsDeleted,
                  long partsKept, Map<String, Long> resultsByKind) {
        Totals {
            resultsByKind = Map.copyOf(resultsByKind);
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("hosts", hosts);
            m.put("hostsCompacted", hostsCompacted);
            m.put("hostsNotVerified", hostsNotVerified);
            m.put("hostsStoreProblem", hostsStoreProblem);
            m.put("groupsPlanned", groupsPlanned);
            m.put("groupsCompacted", groupsCompacted);
            m.put("partsMerged", partsMerged);
            m.put("records", records);
            m.put("bytesBefore", bytesBefore);
            m.put("bytesAfter", bytesAfter);
            m.put("partsDeleted", partsDeleted);
            m.put("partsKept", partsKept);
            m.put("resultsByKind", new TreeMap<String, Object>(resultsByKind));
            return m;
        }
    }

    private final CompactHosts hosts;
    private final Path resultsDir;
    private final Path outputDir;
    private final CompactJobRequest request;

    CompactReportWriter(CompactHosts hosts, Path resultsDir, Path outputDir, CompactJobRequest request) {
        this.hosts = Objects.requireNonNull(hosts, "hosts");
        this.resultsDir = Objects.requireNonNull(resultsDir, "resultsDir");
        this.outputDir = Objects.requireNonNull(outputDir, "outputDir");
        this.request = Objects.requireNonNull(request, "request");
    }

    /** Writes {@code report.json} (atomically) and returns the totals. */
    Totals write() throws IOException {
        Files.createDirectories(outputDir);
        Path target = outputDir.resolve(JSON);
        Path tmp = outputDir.resolve(JSON + ".tmp");
        Path summaryTmp = outputDir.resolve(SUMMARY + ".tmp");
        long[] t = new long[12];
        Map<String, Long> byKind = new TreeMap<>();
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8);
             Writer lines = Files.newBufferedWriter(summaryTmp, StandardCharsets.UTF_8);
             Stream<String> s = hosts.hosts()) {
            Map<String, Object> head = new LinkedHashMap<>();
            head.put("store", request.storeUri());
            head.put("policy", policyJson(request));
            head.put("retention", request.retention().id());
            String h = Json.write(head);
            w.write(h, 0, h.length() - 1); // the object stays open for "hosts" and "totals"
            w.write(",\"hosts\":[");
            boolean first = true;
            for (Iterator<String> it = s.iterator(); it.hasNext(); ) {
                String host = it.next();
                var result = HostCompaction.readResult(resultsDir, host);
                if (result.isEmpty()) continue; // not a host with a completed partition (e.g. listed after the run)
                Map<String, Object> r = result.get();
                if (!first) w.write(',');
                first = false;
                w.write(Json.write(r));
                lines.write(hostLine(r));
                t[0]++;
                String status = (String) r.get("status");
                if (status.equals(HostCompaction.Status.COMPACTED.id)) t[1]++;
                if (status.equals(HostCompaction.Status.NOT_VERIFIED.id)) t[2]++;
                if (status.equals(HostCompaction.Status.STORE_PROBLEM.id)) t[3]++;
                t[4] += (Long) r.get("groupsPlanned");
                t[5] += (Long) r.get("groupsCompacted");
                t[6] += (Long) r.get("partsMerged");
                t[7] += (Long) r.get("records");
                t[8] += (Long) r.get("bytesBefore");
                t[9] += (Long) r.get("bytesAfter");
                t[10] += (Long) r.get("partsDeleted");
                t[11] += (Long) r.get("partsKept");
                @SuppressWarnings("unchecked")
                Map<String, Object> kinds = (Map<String, Object>) r.get("resultsByKind");
                kinds.forEach((k, v) -> byKind.merge(k, (Long) v, Long::sum));
            }
            Totals totals = new Totals(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11], byKind);
            w.write("],\"totals\":");
            w.write(Json.write(totals.toJson()));
            w.write("}\n");
            lines.write(summary(totals));
            w.close();
            lines.close();
            ResultFiles.move(tmp, target);
            ResultFiles.move(summaryTmp, outputDir.resolve(SUMMARY));
            return totals;
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** One line per host (plus one per refused group), e.g. {@code h1: compacted 2 groups, 6 parts, 48 records, 30.0 KiB -> 12.0 KiB}. */
    @SuppressWarnings("unchecked")
    static String hostLine(Map<String, Object> r) {
        StringBuilder sb = new StringBuilder();
        String status = (String) r.get("status");
        sb.append(r.get("host")).append(": ");
        if (status.equals(HostCompaction.Status.NOTHING_TO_DO.id)) {
            sb.append("nothing to compact");
        } else {
            sb.append(status.equals(HostCompaction.Status.COMPACTED.id) ? "compacted" : status.toUpperCase(java.util.Locale.ROOT))
                    .append(' ').append(r.get("groupsCompacted")).append(" of ").append(r.get("groupsPlanned")).append(" group(s), ")
                    .append(r.get("partsMerged")).append(" parts, ").append(r.get("records")).append(" records, ")
                    .append(bytes((Long) r.get("bytesBefore"))).append(" -> ").append(bytes((Long) r.get("bytesAfter")));
        }
        if ((Long) r.get("partsDeleted") > 0 || (Long) r.get("partsKept") > 0) {
            sb.append("; parts deleted ").append(r.get("partsDeleted")).append(", kept ").append(r.get("partsKept"));
        }
        sb.append('\n');
        for (Object o : (java.util.List<Object>) r.get("groups")) {
            Map<String, Object> g = (Map<String, Object>) o;
            if (g.get("kind").equals("compacted")) continue;
            sb.append("  segments ").append(g.get("first")).append("..").append(g.get("last")).append(": ").append(g.get("kind"));
            if (g.get("findings") instanceof java.util.List<?> fs && !fs.isEmpty()) {
                Map<String, Object> f = (Map<String, Object>) fs.get(0);
                sb.append(": ").append(f.get("kind"));
                if (f.get("segment") instanceof Long seg) sb.append(" segment ").append(seg);
                if (f.get("record") instanceof Long rec) sb.append(" record ").append(rec);
                sb.append(": ").append(f.get("detail"));
            } else if (g.get("key") instanceof String k) {
                sb.append(": ").append(k);
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    static Map<String, Object> policyJson(CompactJobRequest r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("targetRecords", r.policy().targetRecords());
        m.put("targetBytes", r.policy().targetBytes());
        m.put("minAge", r.policy().minAge().toString());
        m.put("maxParts", (long) r.policy().maxParts());
        m.put("perBoot", Boolean.TRUE);
        return m;
    }

    /** The human summary of the totals. */
    static String summary(Totals t) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("compacted %d of %d host%s: %d of %d planned group%s, %d parts -> %d segment%s, %d records, %s -> %s%n",
                t.hostsCompacted(), t.hosts(), t.hosts() == 1 ? "" : "s", t.groupsCompacted(), t.groupsPlanned(),
                t.groupsPlanned() == 1 ? "" : "s", t.partsMerged(), t.groupsCompacted(), t.groupsCompacted() == 1 ? "" : "s", t.records(),
                bytes(t.bytesBefore()), bytes(t.bytesAfter())));
        sb.append(String.format("parts deleted %d, kept (retention) %d%n", t.partsDeleted(), t.partsKept()));
        if (t.hostsNotVerified() > 0) sb.append("NOT VERIFIED: ").append(t.hostsNotVerified()).append(" host(s): their refused groups were not compacted\n");
        if (t.hostsStoreProblem() > 0) sb.append("STORE PROBLEM: ").append(t.hostsStoreProblem()).append(" host(s): re-run to retry\n");
        return sb.toString();
    }

    static String bytes(long b) {
        if (b < 1024) return b + " B";
        if (b < 1024 * 1024) return String.format("%.1f KiB", b / 1024.0);
        if (b < 1024L * 1024 * 1024) return String.format("%.1f MiB", b / (1024.0 * 1024));
        return String.format("%.2f GiB", b / (1024.0 * 1024 * 1024));
    }
}

package org.imaarchiver.archive.chain;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.imaarchiver.replay.json.Json;

/**
 * The JSON form of an {@link ArchiveReport} (docs/archive-format.md "Verification report"), what the
 * CLI prints unchanged:
 *
 * <pre>
 * {"hosts": [{"host": "h1", "status": "ok"|"failed", "segments": 3, "records": 900,
 *             "firstIndex": 0|null, "lastIndex": 899|null, "firstCreatedAt": "...Z"|null, "lastCreatedAt": "...Z"|null,
 *             "failures": [{"kind": "index-gap", "segment": 2|null, "record": 17|null,
 *                           "expected": "...", "found": "...", "detail": "..."}],
 *             "warnings": [ ...as failures... ],
 *             "boots": [{"bootCounter": 0, "firstSegment": 0, "lastSegment": 2, "segments": 3, "records": 600,
 *                        "firstIndex": 0, "lastIndex": 599|null, "closed": true|false, "current": true|false}]}]}
 * </pre>
 *
 * Every key is always present; {@code segment} and {@code record} are {@code null} when the finding
 * is not about one segment / one record (likewise the index and time keys of a host without segments).
 * {@code current} marks the host's last boot when it was not closed: open, not lost.
 */
public final class ArchiveReportJson {
    private ArchiveReportJson() {}

    /** The report as a JSON value tree (maps, lists, strings, longs, {@link Json#NULL}). */
    public static Map<String, Object> toJson(ArchiveReport report) {
        List<Object> hosts = new ArrayList<>();
        for (ChainReport r : report.hosts()) {
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("host", r.host());
            h.put("status", r.status().id());
            h.put("segments", r.segments());
            h.put("records", r.records());
            h.put("firstIndex", r.firstIndex().isPresent() ? (Object) r.firstIndex().getAsLong() : Json.NULL);
            h.put("lastIndex", r.lastIndex().isPresent() ? (Object) r.lastIndex().getAsLong() : Json.NULL);
            h.put("firstCreatedAt", r.firstCreatedAt().<Object>map(Object::toString).orElse(Json.NULL));
            h.put("lastCreatedAt", r.lastCreatedAt().<Object>map(Object::toString).orElse(Json.NULL));
            List<Object> failures = new ArrayList<>();
            for (ChainFinding f : r.findings()) failures.add(toJson(f));
            h.put("failures", failures);
            List<Object> warnings = new ArrayList<>();
            for (ChainFinding f : r.warnings()) warnings.add(toJson(f));
            h.put("warnings", warnings);
            List<Object> boots = new ArrayList<>();
            for (int i = 0; i < r.boots().size(); i++) boots.add(toJson(r.boots().get(i), i == r.boots().size() - 1));
            h.put("boots", boots);
            hosts.add(h);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("hosts", hosts);
        return root;
    }

    /** One element of a host's {@code failures}: the finding's kind id, segment, record and its rendered text. */
    public static Map<String, Object> toJson(ChainFinding f) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("kind", f.kind().id());
        o.put("segment", f.segment().isPresent() ? (Object) f.segment().getAsLong() : Json.NULL);
        o.put("record", f.record().isPresent() ? (Object) f.record().getAsLong() : Json.NULL);
        o.put("expected", f.expected());
        o.put("found", f.found());
        o.put("detail", f.detail());
        return o;
    }

    /** One element of a host's {@code boots}; {@code last}: the host's last boot, current unless closed. */
    public static Map<String, Object> toJson(BootSummary b, boolean last) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("bootCounter", b.bootCounter());
        o.put("firstSegment", b.firstSegment());
        o.put("lastSegment", b.lastSegment());
        o.put("segments", b.segments());
        o.put("records", b.records());
        o.put("firstIndex", b.firstIndex());
        o.put("lastIndex", b.lastIndex().isPresent() ? (Object) b.lastIndex().getAsLong() : Json.NULL);
        o.put("closed", b.closed());
        o.put("current", last && !b.closed());
        return o;
    }

    /** Compact JSON text (no trailing newline). */
    public static String encode(ArchiveReport report) { return Json.write(toJson(report)); }

    /** Indented JSON text for people. */
    public static String encodePretty(ArchiveReport report) { return Json.pretty(toJson(report)); }
}

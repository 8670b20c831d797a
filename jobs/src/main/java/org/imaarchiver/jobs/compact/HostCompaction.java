package org.imaarchiver.jobs.compact;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.imaarchiver.archive.io.InputLimit;
import org.imaarchiver.archive.io.LimitedFiles;
import org.imaarchiver.jobs.batch.ResultFiles;
import org.imaarchiver.archive.chain.ChainFinding;
import org.imaarchiver.archive.chain.ChainReport;
import org.imaarchiver.archive.compact.CompactionGroup;
import org.imaarchiver.archive.compact.CompactionResult;
import org.imaarchiver.archive.compact.Compactor;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.ObjectInfo;
import org.imaarchiver.replay.json.Json;

/**
 * One host's compaction, as {@link Compactor#compact(String)} does it (cleanup of superseded parts,
 * plan, each group in chain order) but step by step so the summary knows each group's size before
 * and after. The summary is the host's result file {@code <resultsDir>/<host>.json}, written
 * atomically once the host is done.
 */
final class HostCompaction {
    /** At most this many findings of a refused group are kept in the summary. */
    static final int FINDINGS_KEPT = 5;

    /** A host's verdict, worst first. */
    enum Status {
        /** A group's parts (or the output) did not verify: that group was refused, nothing of it switched. */
        NOT_VERIFIED("not-verified"),
        /** A store problem (conflict, not durable, chain changed meanwhile): nothing of that group switched. */
        STORE_PROBLEM("store-problem"),
        /** At least one group was switched in. */
        COMPACTED("compacted"),
        /** Nothing the policy would merge. */
        NOTHING_TO_DO("nothing-to-do");

        final String id;

        Status(String id) { this.id = id; }
    }

    /** One group: what was planned and what happened. */
    record GroupOutcome(long first, long last, int parts, long bootCounter, long records, long bytesBefore, long bytesAfter,
                        CompactionResult result) {
        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", result.kind());
            m.put("first", first);
            m.put("last", last);
            m.put("parts", (long) parts);
            m.put("bootCounter", bootCounter);
            m.put("records", records);
            m.put("bytesBefore", bytesBefore);
            m.put("bytesAfter", bytesAfter);
            if (result instanceof CompactionResult.Compacted c) {
                m.put("segment", c.segmentKey());
                m.put("partsDeleted", (long) c.partsDeleted());
                m.put("partsKept", (long) c.partsKept());
            } else if (result instanceof CompactionResult.PartsInvalid p) {
                m.put("findings", findings(p.report()));
            } else if (result instanceof CompactionResult.OutputInvalid o) {
                m.put("findings", findings(o.report()));
            } else if (result instanceof CompactionResult.StoreConflict s) {
                m.put("key", s.key());
            } else if (result instanceof CompactionResult.NotDurable n) {
                m.put("key", n.key());
            }
            return m;
        }
    }

    /** What one host's run did. */
    record HostSummary(String host, Status status, long supersededDeleted, long supersededKept, List<GroupOutcome> groups) {
        HostSummary {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(status, "status");
            groups = List.copyOf(groups);
        }

        long groupsCompacted() { return groups.stream().filter(g -> g.result() instanceof CompactionResult.Compacted).count(); }

        /** Parts merged by the groups that were switched in. */
        long partsMerged() { return sum(g -> g.parts()); }

        long records() { return sum(GroupOutcome::records); }

        long bytesBefore() { return sum(GroupOutcome::bytesBefore); }

        long bytesAfter() { return sum(GroupOutcome::bytesAfter); }

        private long sum(java.util.function.ToLongFunction<GroupOutcome> f) {
            return groups.stream().filter(g -> g.result() instanceof CompactionResult.Compacted).mapToLong(f).sum();
        }

        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("host", host);
            m.put("status", status.id);
            m.put("groupsPlanned", (long) groups.size());
            m.put("groupsCompacted", groupsCompacted());
            m.put("partsMerged", partsMerged());
            m.put("records", records());
            m.put("bytesBefore", bytesBefore());
            m.put("bytesAfter", bytesAfter());
            long deleted = supersededDeleted;
            long kept = supersededKept;
            for (GroupOutcome g : groups) {
                if (g.result() instanceof CompactionResult.Compacted c) {
                    deleted += c.partsDeleted();
                    kept += c.partsKept();
                }
            }
            m.put("partsDeleted", deleted);
            m.put("partsKept", kept);
            m.put("supersededDeletedBefore", supersededDeleted);
            Map<String, Object> byKind = new TreeMap<>();
            for (GroupOutcome g : groups) byKind.merge(g.result().kind(), 1L, (a, b) -> (Long) a + (Long) b);
            m.put("resultsByKind", byKind);
            List<Object> gs = new ArrayList<>();
            for (GroupOutcome g : groups) gs.add(g.toJson());
            m.put("groups", gs);
            return m;
        }
    }

    /** Told after each group (progress). */
    @FunctionalInterface
    interface GroupListener {
        void groupDone(GroupOutcome outcome);

        GroupListener NONE = g -> {};
    }

    private final ArchiveStore store;
    private final Compactor compactor;
    private final GroupListener listener;

    HostCompaction(ArchiveStore store, Compactor compactor, GroupListener listener) {
        this.store = Objects.requireNonNull(store, "store");
        this.compactor = Objects.requireNonNull(compactor, "compactor");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** Compacts {@code host}; store errors propagate (the partition fails and is re-run on restart). */
    HostSummary compact(String host) throws IOException {
        int[] cleaned = compactor.cleanup(host);
        List<GroupOutcome> outcomes = new ArrayList<>();
        for (CompactionGroup g : compactor.plan(host)) {
            CompactionResult r = compactor.compact(g);
            long after = 0;
            if (r instanceof CompactionResult.Compacted c) after = store.stat(c.segmentKey()).map(ObjectInfo::size).orElse(0L);
            GroupOutcome o = new GroupOutcome(g.firstSequence(), g.lastSequence(), g.parts().size(), g.bootCounter(), g.records(),
                    g.bytes(), after, r);
            outcomes.add(o);
            listener.groupDone(o);
        }
        return new HostSummary(host, statusOf(outcomes), cleaned[0], cleaned[1], outcomes);
    }

    static Status statusOf(List<GroupOutcome> outcomes) {
        Status s = Status.NOTHING_TO_DO;
        for (GroupOutcome g : outcomes) {
            CompactionResult r = g.result();
            Status t;
            if (r instanceof CompactionResult.PartsInvalid || r instanceof CompactionResult.OutputInvalid) t = Status.NOT_VERIFIED;
            else if (r instanceof CompactionResult.Compacted) t = Status.COMPACTED;
            else t = Status.STORE_PROBLEM;
            if (t.ordinal() < s.ordinal()) s = t;
        }
        return s;
    }

    static List<Object> findings(ChainReport report) {
        List<Object> kept = new ArrayList<>();
        for (ChainFinding f : report.findings().subList(0, Math.min(FINDINGS_KEPT, report.findings().size()))) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", f.kind().id());
            m.put("segment", f.segment().isPresent() ? (Object) f.segment().getAsLong() : Json.NULL);
            m.put("record", f.record().isPresent() ? (Object) f.record().getAsLong() : Json.NULL);
            m.put("detail", f.detail().length() > 300 ? f.detail().substring(0, 300) + "..." : f.detail());
            kept.add(m);
        }
        return kept;
    }

    /** The host's result file. */
    static Path resultFile(Path resultsDir, String host) { return resultsDir.resolve(host + ".json"); }

    /** Writes the summary so it appears complete or not at all. */
    static void writeResult(Path resultsDir, HostSummary summary) throws IOException {
        Files.createDirectories(resultsDir);
        Path target = resultFile(resultsDir, summary.host());
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.writeString(tmp, Json.write(summary.toJson()) + "\n", StandardCharsets.UTF_8);
        ResultFiles.move(tmp, target);
    }

    /** Reads a result file back as a JSON object. */
    static Optional<Map<String, Object>> readResult(Path resultsDir, String host) throws IOException {
        Path f = resultFile(resultsDir, host);
        if (!Files.exists(f)) return Optional.empty();
        try {
            return Optional.of(Json.asObject(Json.parse(LimitedFiles.readString(f, InputLimit.STATE_FILE)), f.toString()));
        } catch (Json.JsonException e) {
            throw new IOException(f + ": not a result file: " + e.getMessage(), e);
        }
    }
}

package org.imaarchiver.jobs.reverify;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.chain.ArchiveReport;
import org.imaarchiver.archive.chain.ArchiveReportJson;
import org.imaarchiver.archive.chain.ChainFinding;
import org.imaarchiver.archive.chain.ChainFindingCodec;
import org.imaarchiver.archive.chain.ChainIndex;
import org.imaarchiver.archive.chain.ExpectedCadence;
import org.imaarchiver.archive.chain.ChainReport;
import org.imaarchiver.archive.chain.ChainVerifier;
import org.imaarchiver.archive.receipt.VerificationReceipt;
import org.imaarchiver.archive.segment.MalformedManifestException;
import org.imaarchiver.archive.segment.ManifestCodec;
import org.imaarchiver.archive.segment.SegmentManifest;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.StoreException;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;

/**
 * What the worker step does for one host: verify its chain (whole, or after its receipt) and store
 * the host's result row ({@link ResultTable}: the JSON report entry plus a segment timeline and, if
 * it verified, the unsigned body of a fresh receipt). Memory is one host's findings and manifests.
 */
final class HostVerification {
    /** Test hook: called around each host's verification, on the worker thread. */
    interface HostListener {
        HostListener NONE = new HostListener() {};

        default void beforeHost(String host) {}

        default void afterHost(String host, HostOutcome outcome) {}
    }

    /** The small summary the worker keeps in its step execution context. */
    record HostOutcome(String host, boolean ok, long segments, long records, List<ChainFinding> findings) {
        HostOutcome { findings = List.copyOf(findings); }
    }

    /** The version recorded in receipts. */
    static final String VERIFIER = "ima-archiver/" + Optional.ofNullable(HostVerification.class.getPackage().getImplementationVersion())
            .orElse("0.1.0-SNAPSHOT");

    /**
     * The expected cadence and the run's reference time (a job parameter, so the manager and every
     * worker, and a resumed run, check against the same instant).
     */
    record Cadence(ExpectedCadence expected, Instant asOf) {
        Cadence {
            Objects.requireNonNull(expected, "expected");
            Objects.requireNonNull(asOf, "asOf");
        }
    }

    private final ArchiveStore store;
    private final ChainVerifier verifier;
    private final VerifyJobRequest request;
    private final Cadence cadence;
    private final ResultTable results;
    private final HostListener listener;

    HostVerification(ArchiveStore store, ChainVerifier verifier, VerifyJobRequest request, Cadence cadence, ResultTable results,
                     HostListener listener) {
        this.store = Objects.requireNonNull(store, "store");
        this.verifier = Objects.requireNonNull(verifier, "verifier");
        this.request = Objects.requireNonNull(request, "request");
        this.cadence = Objects.requireNonNull(cadence, "cadence");
        this.results = Objects.requireNonNull(results, "results");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * Verifies {@code host} and records the result.
     *
     * @throws IOException when the store cannot be listed or the result cannot be stored: the
     *     partition fails and a restart runs it again
     */
    HostOutcome verifyAndRecord(String host) throws IOException {
        listener.beforeHost(host);
        Optional<VerificationReceipt> receipt = Optional.empty();
        Optional<String> receiptRejected = Optional.empty();
        Optional<SinceReceiptTable.Verdict> verdict = receiptVerdict(host);
        if (verdict.isPresent() && verdict.get() instanceof SinceReceiptTable.Accepted a) receipt = Optional.of(a.receipt());
        if (verdict.isPresent() && verdict.get() instanceof SinceReceiptTable.Rejected r) receiptRejected = Optional.of(r.reason()); // fail closed: whole chain
        ChainReport report = receipt.isPresent() ? verifier.verifyAfter(store, host, receipt.get()) : verifier.verifyHost(store, host);
        report = withCadence(host, report, receipt.isPresent());
        long from = receipt.map(r -> r.sequence() + 1).orElse(0L);
        Timeline timeline = timeline(host, from, Long.MAX_VALUE, report);

        // The receipt body only: the manager signs it with its key when it writes the reports, so
        // remote workers need no signing key (docs/operations.md, distributed mode).
        Optional<VerificationReceipt> next = Optional.empty();
        if (report.ok()) {
            next = timeline.last().map(l -> receiptBody(host, l));
            if (next.isEmpty()) next = receipt.map(r -> new VerificationReceipt(host, r.boot(), r.sequence(), r.manifestDigest(),
                    r.end(), request.clock().instant(), VERIFIER));
        }

        Map<String, Object> entry = hostEntry(report);
        entry.put("admission", verifier.admissionOf(host).toJson());
        entry.put("verifiedFromSegment", from);
        entry.put("sinceReceipt", receipt.<Object>map(r -> r.sequence()).orElse(Json.NULL));
        entry.put("receiptRejected", receiptRejected.<Object>map(s -> s).orElse(Json.NULL));
        entry.put("receipt", Json.NULL); // set by ReportWriter when it signs the receipt
        entry.put("timeline", timeline.entries());
        putUnknownObjects(entry, timeline);
        results.put(host, Json.write(entry), next.map(VerificationReceipt::canonicalBytes), report.ok(), report.segments(),
                report.records());
        HostOutcome outcome = new HostOutcome(host, report.ok(), report.segments(), report.records(), report.findings());
        listener.afterHost(host, outcome);
        return outcome;
    }

    /** One part of a long chain: where it is in the chain (segment sequences, inclusive). */
    record Part(int index, int count, long first, long last) {
        Part {
            if (index < 0 || index >= count) throw new IllegalArgumentException("part " + index + " of " + count);
            if (first < 0 || last < first) throw new IllegalArgumentException("range " + first + ".." + last);
        }

        boolean isLast() { return index == count - 1; }
    }

    /**
     * Verifies one part of a host's long chain ({@link ChainVerifier#verifyRangeLinked}: its segments,
     * the links between them and the link to the part before) and records it under
     * {@link ResultTable#partKey}; the report merges the parts in order. Only the last part carries
     * a receipt body (the report drops it unless every part verified).
     */
    HostOutcome verifyAndRecordPart(String host, Part part) throws IOException {
        listener.beforeHost(host);
        ChainReport report = verifier.verifyRangeLinked(store, host, part.first(), part.last());
        if (part.index() == 0) report = verifier.withAdmission(host, report); // once per host: the merged report's first part
        if (part.isLast()) report = withCadence(host, report, false); // the last part holds the chain's newest segment
        Timeline timeline = timeline(host, part.first(), part.last(), report);
        Optional<VerificationReceipt> next = Optional.empty();
        if (report.ok() && part.isLast()) {
            next = timeline.last().map(l -> receiptBody(host, l));
        }
        Map<String, Object> entry = hostEntry(report);
        if (part.index() == 0) entry.put("admission", verifier.admissionOf(host).toJson()); // the merged entry keeps the first part's keys
        entry.put("verifiedFromSegment", 0L);
        entry.put("sinceReceipt", Json.NULL);
        entry.put("receiptRejected", Json.NULL);
        entry.put("receipt", Json.NULL);
        entry.put("timeline", timeline.entries());
        putUnknownObjects(entry, timeline);
        results.put(ResultTable.partKey(host, part.index()), Json.write(entry), next.map(VerificationReceipt::canonicalBytes), report.ok(),
                report.segments(), report.records());
        HostOutcome outcome = new HostOutcome(host, report.ok(), report.segments(), report.records(), report.findings());
        listener.afterHost(host, outcome);
        return outcome;
    }

    /**
     * The receipt decision for {@code host}: local mode reads the receipts directory itself; a remote
     * worker (which has neither the directory nor the receipt signers) takes the verdict the manager
     * stored in the job repository before it sent the partitions ({@link SinceReceiptTable}).
     */
    private Optional<SinceReceiptTable.Verdict> receiptVerdict(String host) throws IOException {
        if (request.sinceReceipts().isPresent()) {
            return SinceReceiptTable.read(request.sinceReceipts().get(), host, request.effectiveReceiptSigners());
        }
        if (request.remote()) return results.sinceReceipts().get(host);
        return Optional.empty();
    }

    /**
     * {@code report} plus its {@code stale-chain} finding, if the chain's newest segment is older than
     * the cadence: the newest segment verified, or, after a receipt with nothing new, the receipt's
     * own segment (the head). A host that verified nothing else gets no receipt then.
     */
    private ChainReport withCadence(String host, ChainReport report, boolean afterReceipt) throws IOException {
        if (cadence.expected() instanceof ExpectedCadence.Off) return report;
        Optional<Instant> newest = report.lastCreatedAt();
        if (newest.isEmpty() && afterReceipt) {
            try {
                newest = new ChainIndex(store).head(host).map(h -> createdAt(h.manifest()));
            } catch (MalformedManifestException | StoreException e) {
                newest = Optional.empty(); // an unreadable head: the receipt check has found it already
            }
        }
        Optional<ChainFinding> stale = cadence.expected().check(host, newest, cadence.asOf());
        if (stale.isEmpty()) return report;
        List<ChainFinding> findings = new ArrayList<>(report.findings());
        findings.add(stale.get());
        return new ChainReport(host, report.segments(), report.records(), report.firstIndex(), report.lastIndex(),
                report.firstCreatedAt(), report.lastCreatedAt(), findings);
    }

    /** Report keys {@code unknownObjects} (the first {@value #UNKNOWN_KEPT} keys) and {@code unknownObjectCount}. */
    private static void putUnknownObjects(Map<String, Object> entry, Timeline timeline) {
        entry.put("unknownObjects", List.<Object>copyOf(timeline.unknownKeys()));
        entry.put("unknownObjectCount", timeline.unknownCount());
    }

    /** "Verified up to here": the last segment verified (unsigned; the manager signs it). */
    private VerificationReceipt receiptBody(String host, LastSegment l) {
        return new VerificationReceipt(host, l.manifest().boot(), l.manifest().sequence(), l.digest(), l.manifest().end(),
                request.clock().instant(), VERIFIER);
    }

    static Path receiptsDir(VerifyJobRequest request) { return request.outputDir().resolve("receipts"); }

    /**
     * One host's object of the JSON report, in ArchiveReportJson's encoding, except that its
     * {@code failures} are the typed findings ({@link ChainFindingCodec}): {@link ResultTable} gives
     * them back typed and renders the report's text from them.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> hostEntry(ChainReport report) {
        List<Object> hosts = (List<Object>) ArchiveReportJson.toJson(new ArchiveReport(List.of(report))).get("hosts");
        Map<String, Object> entry = new LinkedHashMap<>((Map<String, Object>) hosts.get(0));
        entry.put("failures", report.findings().stream().<Object>map(ChainFindingCodec::toJson).toList());
        return entry;
    }

    // ---- timeline ----

    /** Unknown objects named in a host's report entry (all are counted). */
    static final int UNKNOWN_KEPT = 20;

    /**
     * The last readable sidecar (for the receipt), one timeline entry per sequence, and the objects
     * under the host's prefix that are no segment object (a note, not a finding: they are not part
     * of the chain, but an operator should know that someone left them there).
     */
    record Timeline(List<Object> entries, Optional<LastSegment> last, List<String> unknownKeys, long unknownCount) {
        Timeline { unknownKeys = List.copyOf(unknownKeys); }
    }

    record LastSegment(SegmentManifest manifest, Digest digest) {}

    /**
     * One entry per sequence in {@code from..to} present in the store: segment, boot counter, first
     * index, records, createdAt (from the sidecar when it decodes) and ok/failed by the findings.
     */
    private Timeline timeline(String host, long from, long to, ChainReport report) throws IOException {
        TreeSet<Long> seqs = new TreeSet<>();
        List<String> unknown = new ArrayList<>();
        long[] unknownCount = {0};
        try (Stream<String> keys = store.list(ArchiveLayout.hostPrefix(host))) {
            keys.forEach(k -> {
                Optional<ArchiveLayout.ObjectName> n = ArchiveLayout.parse(k).filter(x -> x.host().equals(host));
                if (n.isEmpty()) {
                    if (unknownCount[0]++ < UNKNOWN_KEPT) unknown.add(k);
                } else if (n.get().sequence() >= from && n.get().sequence() <= to) {
                    seqs.add(n.get().sequence());
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        Map<Long, Long> failuresPerSegment = new TreeMap<>();
        for (ChainFinding f : report.findings()) {
            if (f.segment().isPresent()) failuresPerSegment.merge(f.segment().getAsLong(), 1L, Long::sum);
        }
        List<Object> entries = new ArrayList<>();
        Optional<LastSegment> last = Optional.empty();
        for (long seq : seqs) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("segment", seq);
            Optional<SegmentManifest> m = Optional.empty();
            try {
                Bytes bytes = Bytes.wrap(store.readAll(ArchiveLayout.manifestKey(host, seq)));
                m = Optional.of(ManifestCodec.decode(bytes));
                last = Optional.of(new LastSegment(m.get(), ManifestCodec.digestOf(bytes)));
            } catch (StoreException | MalformedManifestException ex) {
                last = Optional.empty(); // the head is unreadable: no receipt past it (the report has the finding)
            }
            e.put("bootCounter", m.<Object>map(x -> x.boot().bootCounter()).orElse(Json.NULL));
            e.put("firstIndex", m.<Object>map(SegmentManifest::firstIndex).orElse(Json.NULL));
            e.put("records", m.<Object>map(SegmentManifest::recordCount).orElse(Json.NULL));
            e.put("createdAt", m.<Object>map(SegmentManifest::createdAt).orElse(Json.NULL));
            long failures = failuresPerSegment.getOrDefault(seq, 0L);
            e.put("status", failures == 0 ? "ok" : "failed");
            e.put("failures", failures);
            entries.add(e);
        }
        return new Timeline(entries, last, unknown, unknownCount[0]);
    }

    /** createdAt of a manifest as an instant (for the window filter). */
    static Instant createdAt(SegmentManifest m) { return Instant.parse(m.createdAt()); }
}

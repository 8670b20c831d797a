package org.imaarchiver.archive.chain;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.imaarchiver.archive.segment.BootIdentity;
import org.imaarchiver.archive.segment.Checkpoint;
import org.imaarchiver.archive.segment.MalformedManifestException;
import org.imaarchiver.archive.segment.ManifestCodec;
import org.imaarchiver.archive.segment.NonceDerivation;
import org.imaarchiver.archive.segment.SegmentFinding;
import org.imaarchiver.archive.segment.SegmentFormatException;
import org.imaarchiver.archive.segment.SegmentManifest;
import org.imaarchiver.archive.segment.SegmentReader;
import org.imaarchiver.archive.segment.SegmentVerifier;
import org.imaarchiver.archive.sign.SignatureVerifier;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.StoreException;
import org.imaarchiver.replay.log.Bytes;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.pcr.PcrState;
import org.imaarchiver.replay.quote.AkPublicKey;
import org.imaarchiver.replay.quote.PcrSelection;
import org.imaarchiver.replay.quote.QuoteFailure;
import org.imaarchiver.replay.quote.QuoteResult;
import org.imaarchiver.replay.quote.QuoteVerifier;
import org.imaarchiver.replay.quote.VerifiedQuote;
import org.imaarchiver.replay.replay.QuotePointFinder;
import org.imaarchiver.replay.replay.QuotePointResult;
import org.imaarchiver.replay.replay.ReplayFailure;
import org.imaarchiver.replay.replay.RecordSource;
import org.imaarchiver.replay.replay.ReplayResult;
import org.imaarchiver.replay.replay.Replayer;

/**
 * Offline, complete verification of archived chains (docs/archive-format.md §12 "Verifying a
 * segment", §13 "Verifying a chain"). Segments are independent given their manifest's base, so the
 * segments of a chain are verified in parallel on a bounded pool; only the link checks run in chain
 * order. Verification continues past failures and reports every finding. The chain is
 * {@link ChainListing#effective()}: a switched compacted segment stands in for its parts, which (like
 * staged compacted segments) are not part of the chain (docs/archive-format.md §16.4); compacted
 * segments also get their checkpoints verified (§16.5). Memory is bounded by the
 * number of one host's manifests, not by the records (rows are streamed).
 */
public final class ChainVerifier {
    /** Which hosts to verify. */
    public record HostFilter(Optional<Set<String>> hosts) {
        public HostFilter {
            Objects.requireNonNull(hosts, "hosts");
            hosts = hosts.map(Set::copyOf);
        }

        /** Every host in the archive. */
        public static HostFilter all() { return new HostFilter(Optional.empty()); }

        /** Only these hosts; a named host without segments is reported with {@link FindingKind#NO_SEGMENTS}. */
        public static HostFilter only(Collection<String> hosts) { return new HostFilter(Optional.of(Set.copyOf(hosts))); }
    }

    private final TrustStore trust;
    private final int parallelism;
    private final Path workDir;
    private final QuoteVerifier quoteVerifier = new QuoteVerifier();
    private final SignatureVerifier signatureVerifier;

    /**
     * @param trust       accepted signers and AKs
     * @param parallelism segments verified at once (>= 1)
     * @param workDir     where segment files are downloaded for reading (each deleted after its check)
     */
    public ChainVerifier(TrustStore trust, int parallelism, Path workDir) {
        this.trust = Objects.requireNonNull(trust, "trust");
        if (parallelism < 1) throw new IllegalArgumentException("parallelism < 1");
        this.parallelism = parallelism;
        this.workDir = Objects.requireNonNull(workDir, "workDir");
        this.signatureVerifier = SignatureVerifier.trusting(trust.signers());
    }

    /**
     * Verifies the hosts of {@code store} the filter selects, ascending by host id.
     *
     * @throws IOException only when the store cannot be listed at all; per-object failures are findings
     */
    public ArchiveReport verify(ArchiveStore store, HostFilter filter) throws IOException {
        Set<String> hosts = new TreeSet<>();
        if (filter.hosts().isPresent()) {
            hosts.addAll(filter.hosts().get());
        } else {
            try (Stream<String> s = new ChainIndex(store).hosts()) {
                s.forEach(hosts::add);
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }
        List<ChainReport> reports = new ArrayList<>();
        for (String h : hosts) reports.add(verifyHost(store, h));
        return new ArchiveReport(reports);
    }

    /** What one segment's check learned, for the chain checks. */
    private record Checked(long sequence, long lastSequence, Optional<SegmentManifest> manifest, Optional<Digest> manifestDigest,
                           List<ChainFinding> findings) {
        /** What the next segment must link to. */
        Optional<Digest> linkDigest() {
            return manifest.flatMap(m -> manifestDigest.map(m::chainLinkDigest));
        }
    }

    /**
     * Verifies one host's chain: the segments of {@link ChainListing#effective()} (superseded parts of
     * a switched compaction and staged compacted segments are not part of the chain and are not checked).
     */
    public ChainReport verifyHost(ArchiveStore store, String host) throws IOException {
        ArchiveLayout.requireValidHostId(host);
        return verifyUnits(store, host, ChainListing.of(store, host).effective(), OptionalLong.empty(), OptionalLong.empty(),
                Optional.empty());
    }

    /**
     * Verifies the part of {@code host}'s chain covering the positions {@code first..last}: every
     * chain segment inside the range (§12) and the links between them (§13); the link of the first one
     * to its predecessor is not checked (unless {@code first} is 0: the chain start rules). The range
     * must be covered exactly: a chain segment straddling an end or a missing position is a
     * {@code sequence-gap}. Used by compaction before it merges a range.
     */
    public ChainReport verifyRange(ArchiveStore store, String host, long first, long last) throws IOException {
        return verifyRange(store, host, first, last, false);
    }

    /**
     * {@link #verifyRange} plus the link of the range's first chain segment to its predecessor (the
     * last chain segment before {@code first}, read from its sidecar manifest; its own checks belong
     * to the range before), with exactly the chain check of §13. A chain verified as consecutive
     * ranges, the first starting at 0, gives the findings of {@link #verifyHost} in the same order:
     * how the bulk job splits a very long chain over several partitions.
     */
    public ChainReport verifyRangeLinked(ArchiveStore store, String host, long first, long last) throws IOException {
        return verifyRange(store, host, first, last, true);
    }

    private ChainReport verifyRange(ArchiveStore store, String host, long first, long last, boolean linked) throws IOException {
        ArchiveLayout.requireValidHostId(host);
        if (last < first) throw new IllegalArgumentException("empty range " + first + ".." + last);
        List<SegmentUnit> units = new ArrayList<>();
        List<ChainFinding> outside = new ArrayList<>();
        Optional<SegmentUnit> predecessor = Optional.empty();
        for (SegmentUnit u : ChainListing.of(store, host).effective()) {
            if (u.lastSequence() < first) predecessor = Optional.of(u);
            boolean overlaps = u.lastSequence() >= first && u.firstSequence() <= last;
            if (!overlaps) continue;
            if (u.firstSequence() < first || u.lastSequence() > last) {
                outside.add(seg(host, u.firstSequence(), FindingKind.SEQUENCE_GAP, first + ".." + last,
                        u.firstSequence() + ".." + u.lastSequence(), "a chain segment straddles the range"));
            } else {
                units.add(u);
            }
        }
        ChainReport r = verifyUnits(store, host, units, OptionalLong.of(first), OptionalLong.of(last),
                linked ? predecessor : Optional.empty());
        if (outside.isEmpty()) return r;
        List<ChainFinding> all = new ArrayList<>(r.findings());
        all.addAll(outside);
        return new ChainReport(r.host(), r.segments(), r.records(), r.firstIndex(), r.lastIndex(), r.firstCreatedAt(),
                r.lastCreatedAt(), all);
    }

    private ChainReport verifyUnits(ArchiveStore store, String host, List<SegmentUnit> units, OptionalLong rangeFirst,
                                    OptionalLong rangeLast, Optional<SegmentUnit> predecessor) throws IOException {
        if (units.isEmpty()) {
            return new ChainReport(host, 0, 0, OptionalLong.empty(), OptionalLong.empty(), Optional.empty(), Optional.empty(),
                    List.of(new ChainFinding.HostFinding(host, FindingKind.NO_SEGMENTS, "at least one segment", "none",
                            "no objects under " + ArchiveLayout.segmentsPrefix(host))));
        }

        List<Checked> checked = new ArrayList<>();
        int concurrent = Math.min(parallelism, units.size());
        // Cores the segment pool leaves idle go to hashing workers of each segment's replay.
        int replayWorkers = parallelism / concurrent - 1;
        ExecutorService pool = Executors.newFixedThreadPool(concurrent, r -> {
            Thread t = new Thread(r, "chain-verify-" + host);
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Checked>> futures = new ArrayList<>();
            for (SegmentUnit u : units) futures.add(pool.submit(() -> checkSegment(store, host, u, replayWorkers)));
            for (Future<Checked> f : futures) checked.add(f.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("verification interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            throw new IllegalStateException("segment check failed unexpectedly", e.getCause());
        } finally {
            pool.shutdownNow();
        }

        List<ChainFinding> findings = new ArrayList<>();
        Checked prev = predecessor.isPresent() ? manifestOnly(store, host, predecessor.get()) : null;
        long records = 0;
        OptionalLong firstIndex = OptionalLong.empty();
        OptionalLong lastIndex = OptionalLong.empty();
        Optional<Instant> firstAt = Optional.empty();
        Optional<Instant> lastAt = Optional.empty();
        for (Checked c : checked) {
            findings.addAll(c.findings());
            linkChecks(host, prev, c, rangeFirst.orElse(0), findings);
            if (c.manifest().isPresent()) {
                SegmentManifest m = c.manifest().get();
                records += m.recordCount();
                if (firstIndex.isEmpty()) firstIndex = OptionalLong.of(m.firstIndex());
                if (m.recordCount() > 0) lastIndex = OptionalLong.of(m.lastIndex());
                Instant at = Instant.parse(m.createdAt());
                if (firstAt.isEmpty()) firstAt = Optional.of(at);
                lastAt = Optional.of(at);
            }
            prev = c;
        }
        if (rangeLast.isPresent() && prev != null && prev.lastSequence() < rangeLast.getAsLong()) {
            findings.add(seg(host, prev.lastSequence() + 1, FindingKind.SEQUENCE_GAP, Long.toString(prev.lastSequence() + 1), "none",
                    "sequences " + (prev.lastSequence() + 1) + ".." + rangeLast.getAsLong() + " are missing"));
        }
        return new ChainReport(host, units.size(), records, firstIndex, lastIndex, firstAt, lastAt, findings);
    }

    // ---- chain checks (sequential) ----

    /**
     * A predecessor outside the verified range: only what the link check reads, the manifest that
     * {@link #checkSegment} would take for it, so a range links exactly as the whole chain does: the
     * sidecar, or without a usable one the segment file's footer manifest (downloaded only then).
     * Its own findings belong to the range that owns it.
     */
    private Checked manifestOnly(ArchiveStore store, String host, SegmentUnit u) throws IOException {
        if (u.hasManifest()) {
            try {
                Bytes b = Bytes.wrap(store.readAll(u.key(ArchiveLayout.ObjectKind.MANIFEST)));
                return new Checked(u.firstSequence(), u.lastSequence(), Optional.of(ManifestCodec.decode(b)),
                        Optional.of(ManifestCodec.digestOf(b)), List.of());
            } catch (StoreException | MalformedManifestException e) {
                // no usable sidecar: as checkSegment, fall back to the footer
            }
        }
        if (u.hasSegment()) {
            Files.createDirectories(workDir);
            Path local = Files.createTempFile(workDir, "link-" + host + "-" + u.firstSequence() + "-", ".parquet");
            Files.delete(local); // download wants a fresh target
            try {
                store.download(u.key(ArchiveLayout.ObjectKind.SEGMENT), local);
                Optional<SegmentReader> reader = open(host, u.firstSequence(), local, new ArrayList<>());
                if (reader.isPresent()) {
                    return new Checked(u.firstSequence(), u.lastSequence(), Optional.of(reader.get().manifest()),
                            Optional.of(ManifestCodec.digestOf(reader.get().manifestBytes())), List.of());
                }
            } catch (StoreException e) {
                // unreadable: nothing to link against, as in checkSegment
            } finally {
                Files.deleteIfExists(local);
            }
        }
        return new Checked(u.firstSequence(), u.lastSequence(), Optional.empty(), Optional.empty(), List.of());
    }

    private static void linkChecks(String host, Checked prev, Checked cur, long firstExpected, List<ChainFinding> out) {
        long seq = cur.sequence();
        long expectedSeq = prev == null ? firstExpected : prev.lastSequence() + 1;
        if (seq != expectedSeq) {
            out.add(seg(host, seq, FindingKind.SEQUENCE_GAP, Long.toString(expectedSeq), Long.toString(seq),
                    prev == null ? "the chain (or the verified range) does not start at sequence " + expectedSeq : "sequences " + expectedSeq + ".." + (seq - 1) + " are missing"));
        }
        if (cur.manifest().isEmpty()) return;
        SegmentManifest m = cur.manifest().get();
        boolean adjacent = prev != null && seq == prev.lastSequence() + 1 && prev.manifest().isPresent();
        if (prev == null && seq == 0) {
            if (m.previousManifestDigest().isPresent()) {
                out.add(seg(host, seq, FindingKind.BROKEN_LINK, "none", m.previousManifestDigest().get().hex(),
                        "the first segment of a chain names a predecessor"));
            }
            checkBootStart(host, seq, m, 0, out);
            return;
        }
        if (!adjacent) return; // nothing to link against; the gap or the unreadable predecessor is reported
        SegmentManifest p = prev.manifest().get();
        // A compacted predecessor stands in for its parts: its successor links to the last part (chainLinkDigest).
        Digest prevDigest = prev.linkDigest().orElseThrow();
        if (!m.previousManifestDigest().equals(Optional.of(prevDigest))) {
            out.add(seg(host, seq, FindingKind.BROKEN_LINK, prevDigest.hex(),
                    m.previousManifestDigest().map(Digest::hex).orElse("none"),
                    "previousManifestDigest is not the digest of segment " + prev.sequence() + "'s manifest"));
        }
        BootIdentity pb = p.boot();
        BootIdentity cb = m.boot();
        if (cb.bootCounter() == pb.bootCounter()) {
            if (cb.bootAggregateAlgorithm() != pb.bootAggregateAlgorithm() || !cb.bootAggregate().equals(pb.bootAggregate())
                    || cb.resetCount() != pb.resetCount()) {
                out.add(seg(host, seq, FindingKind.BOOT_SPLICE, describe(pb), describe(cb),
                        "boot identity changes inside boot " + cb.bootCounter()));
            }
            if (!sameState(p.end(), m.base())) {
                out.add(seg(host, seq, FindingKind.BASE_MISMATCH, stateSummary(p.end()), stateSummary(m.base()),
                        "base is not segment " + prev.sequence() + "'s end state"));
            }
        } else if (cb.bootCounter() == pb.bootCounter() + 1) {
            checkBootStart(host, seq, m, pb.bootCounter() + 1, out);
        } else {
            out.add(seg(host, seq, FindingKind.BOOT_SPLICE, pb.bootCounter() + " or " + (pb.bootCounter() + 1),
                    Long.toString(cb.bootCounter()), "boot counter jumps"));
        }
    }

    /** A boot's first segment starts at record 0 from all-zero PCRs (the boot_aggregate check is per segment). */
    private static void checkBootStart(String host, long seq, SegmentManifest m, long expectedCounter, List<ChainFinding> out) {
        if (m.boot().bootCounter() != expectedCounter) {
            out.add(seg(host, seq, FindingKind.BOOT_SPLICE, Long.toString(expectedCounter), Long.toString(m.boot().bootCounter()),
                    "boot counter of a boot's first segment"));
        }
        if (m.base().nextIndex() != 0 || !isZero(m.base())) {
            out.add(seg(host, seq, FindingKind.BOOT_SPLICE, "base at index 0 with all-zero PCRs", stateSummary(m.base()),
                    "a boot's first segment does not start at its boot"));
        }
    }

    // ---- one segment (parallel) ----

    private Checked checkSegment(ArchiveStore store, String host, SegmentUnit present, int replayWorkers) throws IOException {
        List<ChainFinding> out = new ArrayList<>();
        long seq = present.firstSequence();
        String segKey = present.key(ArchiveLayout.ObjectKind.SEGMENT);
        String manKey = present.key(ArchiveLayout.ObjectKind.MANIFEST);
        String sigKey = present.key(ArchiveLayout.ObjectKind.SIGNATURE);
        if (!present.hasManifest()) out.add(seg(host, seq, FindingKind.MISSING_SIDECAR, manKey, "absent", "segment without its sidecar manifest"));
        if (!present.hasSignature()) out.add(seg(host, seq, FindingKind.MISSING_SIDECAR, sigKey, "absent", "segment without its CMS signature"));
        if (!present.hasSegment()) out.add(seg(host, seq, FindingKind.MISSING_SEGMENT, segKey, "absent", "sidecar without its segment file"));

        // 1. Sidecar manifest: decode, bind to the key, verify the CMS.
        Optional<Bytes> sidecarBytes = Optional.empty();
        Optional<SegmentManifest> sidecar = Optional.empty();
        Optional<Bytes> sidecarCms = Optional.empty();
        if (present.hasManifest()) {
            try {
                sidecarBytes = Optional.of(Bytes.wrap(store.readAll(manKey)));
                sidecar = Optional.of(ManifestCodec.decode(sidecarBytes.get()));
            } catch (StoreException e) {
                out.add(seg(host, seq, FindingKind.STORE_ERROR, "", e.reason(), manKey + ": " + e.getMessage()));
            } catch (MalformedManifestException e) {
                out.add(seg(host, seq, FindingKind.MALFORMED_SEGMENT, "canonical manifest", "undecodable", manKey + ": " + e.getMessage()));
            }
        }
        if (sidecar.isPresent() && present.hasSignature()) {
            try {
                Bytes cms = Bytes.wrap(store.readAll(sigKey));
                sidecarCms = Optional.of(cms);
                for (SegmentFinding f : SegmentVerifier.verifySignature(sidecar.get(), sidecarBytes.get(), Optional.of(cms),
                        signatureVerifier)) {
                    out.add(fromSegmentFinding(host, seq, f));
                }
            } catch (StoreException e) {
                out.add(seg(host, seq, FindingKind.STORE_ERROR, "", e.reason(), sigKey + ": " + e.getMessage()));
            }
        }

        // The switch of a compacted segment names exactly this manifest.
        if (present.committed() && sidecarBytes.isPresent()) {
            String commitKey = present.key(ArchiveLayout.ObjectKind.COMMIT);
            try {
                String named = new String(store.readAll(commitKey, 1024), java.nio.charset.StandardCharsets.US_ASCII);
                String digest = ManifestCodec.digestOf(sidecarBytes.get()).hex();
                if (!named.equals(digest)) {
                    out.add(seg(host, seq, FindingKind.COMPACTION_MISMATCH, digest, named, "the commit object does not name this manifest"));
                }
            } catch (StoreException e) {
                out.add(seg(host, seq, FindingKind.STORE_ERROR, "", e.reason(), commitKey + ": " + e.getMessage()));
            }
        }

        // 2. Segment file: footer manifest, rows, replay.
        Optional<SegmentManifest> effective = sidecar;
        Optional<Digest> effectiveDigest = sidecarBytes.map(ManifestCodec::digestOf);
        if (present.hasSegment()) {
            Files.createDirectories(workDir);
            Path local = Files.createTempFile(workDir, "verify-" + host + "-" + seq + "-", ".parquet");
            Files.delete(local); // download wants a fresh target
            try {
                store.download(segKey, local);
                Optional<SegmentReader> reader = open(host, seq, local, out);
                if (reader.isPresent()) {
                    SegmentReader r = reader.get();
                    if (sidecarBytes.isPresent()) {
                        for (SegmentFinding f : SegmentVerifier.compareSidecar(r, sidecarBytes.get())) out.add(fromSegmentFinding(host, seq, f));
                    }
                    for (SegmentFinding f : SegmentVerifier.compareFooterSignature(r, sidecarCms)) out.add(fromSegmentFinding(host, seq, f));
                    if (effective.isEmpty()) {
                        // No usable sidecar: the footer manifest still describes the rows and the links.
                        effective = Optional.of(r.manifest());
                        effectiveDigest = Optional.of(ManifestCodec.digestOf(r.manifestBytes()));
                    }
                    checkManifest(host, present, effective.get(), out);
                    checkRows(host, seq, r, effective.get(), replayWorkers, out);
                }
            } catch (StoreException e) {
                out.add(seg(host, seq, FindingKind.STORE_ERROR, "", e.reason(), segKey + ": " + e.getMessage()));
            } finally {
                Files.deleteIfExists(local);
            }
            namesTheKeyNotTheDownload(out, local, segKey);
        } else if (effective.isPresent()) {
            checkManifest(host, present, effective.get(), out);
        }
        return new Checked(seq, present.lastSequence(), effective, effectiveDigest, List.copyOf(out));
    }

    /**
     * Parquet's messages name the file it read: the local download, a temporary name. Findings name
     * the store key instead, so a report does not depend on where or when it was verified.
     */
    private static void namesTheKeyNotTheDownload(List<ChainFinding> out, Path local, String key) {
        String path = local.toString();
        out.replaceAll(f -> {
            if (!f.detail().contains(path)) return f;
            String d = f.detail().replace(path, key);
            if (f instanceof ChainFinding.SegmentFinding sf) {
                return new ChainFinding.SegmentFinding(sf.host(), sf.sequence(), sf.kind(), sf.expected(), sf.found(), d);
            }
            if (f instanceof ChainFinding.RecordFinding rf) {
                return new ChainFinding.RecordFinding(rf.host(), rf.sequence(), rf.recordIndex(), rf.kind(), rf.expected(), rf.found(), d);
            }
            return f;
        });
    }

    private static Optional<SegmentReader> open(String host, long seq, Path local, List<ChainFinding> out) throws IOException {
        if (!endsWithParquetMagic(local)) {
            out.add(seg(host, seq, FindingKind.TRUNCATED_FILE, "trailing PAR1", "absent",
                    "the segment file is cut short (" + Files.size(local) + " bytes)"));
            return Optional.empty();
        }
        try {
            return Optional.of(SegmentReader.open(local));
        } catch (SegmentFormatException e) {
            out.add(seg(host, seq, FindingKind.MALFORMED_SEGMENT, "segment file", "unreadable", e.getMessage()));
        } catch (MalformedManifestException e) {
            out.add(seg(host, seq, FindingKind.MALFORMED_SEGMENT, "canonical footer manifest", "undecodable", e.getMessage()));
        }
        return Optional.empty();
    }

    private static boolean endsWithParquetMagic(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 12) return false;
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4);
            ch.read(b, size - 4);
            return new String(b.array(), java.nio.charset.StandardCharsets.US_ASCII).equals("PAR1");
        }
    }

    /** Manifest-only checks: key binding, derived nonce, quote (AK, nonce, pcrDigest, counters). */
    private void checkManifest(String host, SegmentUnit unit, SegmentManifest m, List<ChainFinding> out) {
        long seq = unit.firstSequence();
        if (!m.hostId().equals(host)) {
            out.add(seg(host, seq, FindingKind.FOREIGN_HOST, host, m.hostId(), "the manifest belongs to another host"));
        }
        if (m.sequence() != seq) {
            out.add(seg(host, seq, FindingKind.SEQUENCE_GAP, Long.toString(seq), Long.toString(m.sequence()),
                    "the manifest under this key is segment " + m.sequence()));
        }
        if (unit.range() != m.isCompacted() || m.lastSequence() != unit.lastSequence()) {
            out.add(seg(host, seq, FindingKind.COMPACTION_MISMATCH, unit.firstSequence() + ".." + unit.lastSequence(),
                    m.sequence() + ".." + m.lastSequence() + (m.isCompacted() ? " compacted" : " plain"),
                    "the manifest's range is not the key's"));
        }
        for (SegmentFinding f : SegmentVerifier.verifyNonce(m)) out.add(fromSegmentFinding(host, seq, f));
        verifyQuote(host, seq, m, out);
        if (m.isCompacted()) checkCheckpoints(host, seq, m, out);
    }

    /**
     * Compaction: the checkpoints chain (each names its predecessor's manifest digest, the first the
     * segment's previousManifestDigest) and each intermediate checkpoint's quote verifies in its
     * original context like a segment's end quote (§12.5–6). The last checkpoint is the segment's own
     * quote, checked by §12.6.
     */
    private void checkCheckpoints(String host, long seq, SegmentManifest m, List<ChainFinding> out) {
        List<Checkpoint> cps = m.checkpoints();
        Optional<Digest> expectedPrev = m.previousManifestDigest();
        for (int i = 0; i < cps.size(); i++) {
            Checkpoint c = cps.get(i);
            if (!c.previousManifestDigest().equals(expectedPrev)) {
                out.add(new ChainFinding.RecordFinding(host, seq, c.quotePoint() - 1, FindingKind.CHECKPOINT_MISMATCH,
                        expectedPrev.map(Digest::hex).orElse("none"), c.previousManifestDigest().map(Digest::hex).orElse("none"),
                        "checkpoint " + c.sequence() + " does not link to its predecessor"));
            }
            expectedPrev = Optional.of(c.manifestDigest());
            if (i < cps.size() - 1) {
                SegmentVerifier.checkpointNonceMismatch(m, c).ifPresent(expected -> out.add(new ChainFinding.RecordFinding(host, seq,
                        c.quotePoint() - 1, FindingKind.CHECKPOINT_MISMATCH, expected.hex(), c.nonceDerivation().nonce().hex(),
                        "checkpoint " + c.sequence() + ": the derived nonce does not recompute")));
                verifyCheckpointQuote(host, seq, m, c, out);
            }
        }
    }

    /** A checkpoint's quote: AK, nonce, pcrDigest over its end state, counters; failures are checkpoint findings. */
    private Optional<VerifiedQuote> verifyCheckpointQuote(String host, long seq, SegmentManifest m, Checkpoint c, List<ChainFinding> out) {
        long rec = c.quotePoint() - 1;
        String what = "checkpoint " + c.sequence() + ": ";
        List<AkPublicKey> aks = trust.aksOf(host);
        for (AkPublicKey ak : aks) {
            QuoteResult r = quoteVerifier.verify(c.quote(), ak,
                    c.nonceDerivation().nonce());
            if (r instanceof QuoteResult.Verified v) {
                VerifiedQuote q = v.value();
                PcrState end = c.end();
                Optional<QuoteFailure> f = quoteVerifier.checkPcrDigest(q, (PcrBank k) -> end.banks().contains(k.algorithm())
                        ? Optional.of(end.value(k.index(), k.algorithm())) : Optional.<Digest>empty());
                if (f.isPresent()) {
                    out.add(new ChainFinding.RecordFinding(host, seq, rec, FindingKind.CHECKPOINT_MISMATCH, q.pcrDigest().hex(),
                            f.get() instanceof QuoteFailure.PcrDigestMismatch d ? d.computed().hex() : "",
                            what + "the quote does not attest the checkpoint's end PCRs"));
                }
                if (q.resetCount() != m.boot().resetCount() || q.restartCount() != c.restartCount()) {
                    out.add(new ChainFinding.RecordFinding(host, seq, rec, FindingKind.CHECKPOINT_MISMATCH,
                            m.boot().resetCount() + "/" + c.restartCount(), q.resetCount() + "/" + q.restartCount(),
                            what + "the quote's resetCount/restartCount are not the checkpoint's boot"));
                }
                return Optional.of(q);
            }
            QuoteFailure f = ((QuoteResult.Failed) r).reason();
            if (f instanceof QuoteFailure.BadSignature || f instanceof QuoteFailure.SignatureKeyMismatch) continue;
            out.add(new ChainFinding.RecordFinding(host, seq, rec, FindingKind.CHECKPOINT_MISMATCH, "a verifiable quote",
                    f instanceof QuoteFailure.NonceMismatch nm ? nm.found().hex() : "", what + f.describe()));
            return Optional.empty();
        }
        out.add(new ChainFinding.RecordFinding(host, seq, rec, FindingKind.CHECKPOINT_MISMATCH, aks.size() + " enrolled AK(s)",
                c.quote().akName().hex(), what + "the quote verifies under no enrolled AK"));
        return Optional.empty();
    }

    private Optional<VerifiedQuote> verifyQuote(String host, long seq, SegmentManifest m, List<ChainFinding> out) {
        Bytes nonce = m.nonceDerivation().nonce();
        List<AkPublicKey> aks = trust.aksOf(host);
        QuoteFailure lastSignatureFailure = null;
        for (AkPublicKey ak : aks) {
            QuoteResult r = quoteVerifier.verify(m.quote(), ak, nonce);
            if (r instanceof QuoteResult.Verified v) {
                VerifiedQuote q = v.value();
                checkQuoteAgainstManifest(host, seq, m, q, out);
                return Optional.of(q);
            }
            QuoteFailure f = ((QuoteResult.Failed) r).reason();
            if (f instanceof QuoteFailure.BadSignature || f instanceof QuoteFailure.SignatureKeyMismatch) {
                lastSignatureFailure = f;
                continue;
            }
            if (f instanceof QuoteFailure.NonceMismatch nm) {
                out.add(seg(host, seq, FindingKind.NONCE_MISMATCH, nm.expected().hex(), nm.found().hex(),
                        "the quote's extraData is not the manifest's nonce"));
            } else {
                out.add(seg(host, seq, FindingKind.QUOTE_SIGNATURE, "a TPM2_Quote", "", f.describe()));
            }
            return Optional.empty();
        }
        out.add(seg(host, seq, FindingKind.UNTRUSTED_AK, aks.size() + " enrolled AK(s)", m.quote().akName().hex(),
                aks.isEmpty() ? "no AK is enrolled for the host" : "the quote verifies under no enrolled AK: "
                        + (lastSignatureFailure == null ? "" : lastSignatureFailure.describe())));
        return Optional.empty();
    }

    private void checkQuoteAgainstManifest(String host, long seq, SegmentManifest m, VerifiedQuote q, List<ChainFinding> out) {
        PcrState end = m.end();
        Optional<QuoteFailure> f = quoteVerifier.checkPcrDigest(q, (PcrBank k) -> end.banks().contains(k.algorithm())
                ? Optional.of(end.value(k.index(), k.algorithm())) : Optional.<Digest>empty());
        if (f.isPresent()) {
            String found = f.get() instanceof QuoteFailure.PcrDigestMismatch d ? d.computed().hex() : "";
            out.add(seg(host, seq, FindingKind.PCR_DIGEST_MISMATCH, q.pcrDigest().hex(), found,
                    "the quote does not attest the manifest's end PCRs: " + f.get().describe()));
        }
        if (q.resetCount() != m.boot().resetCount() || q.restartCount() != m.boot().restartCount()) {
            out.add(seg(host, seq, FindingKind.BOOT_SPLICE, m.boot().resetCount() + "/" + m.boot().restartCount(),
                    q.resetCount() + "/" + q.restartCount(), "the quote's resetCount/restartCount are not the manifest's boot"));
        }
    }

    /** Segments with fewer records than this replay on the segment's own thread (threads cost more than they save). */
    private static final int PARALLEL_REPLAY_MIN_RECORDS = 4 * Replayer.DEFAULT_BATCH_SIZE;

    /**
     * Data digest, indices, record count, record syntax and query columns; the replay from base against
     * end and quote; the boot_aggregate. ONE pass over the rows (docs/performance.md): the replay pulls
     * the records through the data check, and the rows after the quote point (or after a record that
     * stops the replay) are then checked without replaying. The findings are those of
     * {@link SegmentVerifier#verifyData} followed by the replay's, as with separate passes.
     */
    private void checkRows(String host, long seq, SegmentReader r, SegmentManifest m, int replayWorkers, List<ChainFinding> out) {
        // Replay from the base; with a verified quote also require it to match first at the last row.
        Optional<VerifiedQuote> q = verifyQuote(host, seq, m, new ArrayList<>()); // findings already reported
        if (m.isCompacted()) {
            // Checkpoint-by-checkpoint replay: a separate pass after the data check (docs/archive-format.md §16).
            try {
                for (SegmentFinding f : SegmentVerifier.verifyData(r)) out.add(fromSegmentFinding(host, seq, f));
            } catch (IOException | RuntimeException e) {
                out.add(seg(host, seq, FindingKind.MALFORMED_SEGMENT, "readable data pages", "unreadable", e.getMessage()));
                return;
            }
            checkCompactedRows(host, seq, r, m, q, out);
            return;
        }
        SegmentVerifier.DataCheck data = new SegmentVerifier.DataCheck(r);
        List<ChainFinding> replayFindings = new ArrayList<>();
        try (SegmentReader.Cursor<SegmentReader.FullRow> rows = r.fullRows()) {
            RecordSource records = () -> data.next(rows);
            Replayer replayer = replayWorkers > 0 && m.recordCount() >= PARALLEL_REPLAY_MIN_RECORDS
                    ? Replayer.of(replayWorkers, Replayer.DEFAULT_BATCH_SIZE) : Replayer.sequential();
            ReplayResult replay;
            if (q.isPresent()) {
                VerifiedQuote vq = q.get();
                List<PcrSelection> sel = vq.pcrSelection();
                QuotePointResult res = new QuotePointFinder(replayer).find(m.base(), records, sel, vq.signingHash(), vq.pcrDigest());
                replay = res.replay();
                if (res instanceof QuotePointResult.Found found) {
                    if (found.quotePoint() != m.end().nextIndex()) {
                        replayFindings.add(new ChainFinding.RecordFinding(host, seq, found.quotePoint() - 1, FindingKind.REPLAY_MISMATCH,
                                "quote point " + m.end().nextIndex(), "quote point " + found.quotePoint(),
                                "the quote already matches after record " + (found.quotePoint() - 1)
                                        + ": the segment holds more than the quoted prefix"));
                    } else if (!sameState(found.state(), m.end())) {
                        replayFindings.add(seg(host, seq, FindingKind.REPLAY_MISMATCH, stateSummary(m.end()), stateSummary(found.state()),
                                "replay from base does not reproduce the manifest's end state"));
                    }
                } else {
                    QuotePointResult.NotFound nf = (QuotePointResult.NotFound) res;
                    replayFindings.add(seg(host, seq, FindingKind.REPLAY_MISMATCH, "quote pcrDigest " + vq.pcrDigest().hex(),
                            stateSummary(nf.replay().state()), "no prefix of the rows gives the quote: " + nf.failure().describe()));
                }
            } else {
                replay = replayer.replay(m.base(), records);
                if (!sameState(replay.state(), m.end())) {
                    replayFindings.add(seg(host, seq, FindingKind.REPLAY_MISMATCH, stateSummary(m.end()), stateSummary(replay.state()),
                            "replay from base does not reproduce the manifest's end state"));
                }
            }
            for (ReplayFailure f : replay.failures()) {
                if (f instanceof ReplayFailure.TemplateDigestMismatch t) {
                    replayFindings.add(new ChainFinding.RecordFinding(host, seq, t.recordIndex(), FindingKind.TEMPLATE_DIGEST_MISMATCH,
                            t.computed().hex(), t.stored().hex(), f.describe()));
                } else if (f instanceof ReplayFailure.UnhashableTemplate u) {
                    replayFindings.add(new ChainFinding.RecordFinding(host, seq, u.recordIndex(), FindingKind.MALFORMED_RECORD,
                            "hashable template", u.templateName(), f.describe()));
                } else if (f instanceof ReplayFailure.PcrOutOfRange p) {
                    replayFindings.add(new ChainFinding.RecordFinding(host, seq, p.recordIndex(), FindingKind.MALFORMED_RECORD, "PCR 0..23",
                            Integer.toString(p.pcr()), f.describe()));
                }
                // Index gaps and unparseable rows are reported by the data check.
            }
            data.drain(rows); // the rows the replay did not need
        } catch (IOException | RuntimeException e) {
            // Corrupt page headers can make Parquet fail with unchecked errors (NPE, ...) on any thread: a bad file, not a bug to abort on.
            // An unreadable page: the one finding, as when the data check read the file on its own.
            out.add(seg(host, seq, FindingKind.MALFORMED_SEGMENT, "readable data pages", "unreadable", e.getMessage()));
            return;
        }
        for (SegmentFinding f : data.finish()) out.add(fromSegmentFinding(host, seq, f));
        out.addAll(replayFindings);
        if (m.firstIndex() == 0 && m.recordCount() > 0) checkBootAggregate(host, seq, data.firstRecord(), m, out);
    }

    /**
     * A compacted segment replays checkpoint by checkpoint: from the base, each checkpoint's quote must
     * match first at exactly its quote point and the state there must be its end (as §12.10 for a
     * segment from the previous checkpoint); the last checkpoint is the segment's own end quote.
     */
    private void checkCompactedRows(String host, long seq, SegmentReader r, SegmentManifest m, Optional<VerifiedQuote> endQuote,
                                    List<ChainFinding> out) {
        List<Checkpoint> cps = m.checkpoints();
        try (SegmentReader.Cursor<MeasurementRecord> records = r.records()) {
            PeekSource source = new PeekSource(records);
            Replayer replayer = Replayer.sequential();
            PcrState state = m.base();
            for (int i = 0; i < cps.size(); i++) {
                Checkpoint c = cps.get(i);
                boolean last = i == cps.size() - 1;
                FindingKind kind = last ? FindingKind.REPLAY_MISMATCH : FindingKind.CHECKPOINT_MISMATCH;
                String what = last ? "" : "checkpoint " + c.sequence() + ": ";
                Optional<VerifiedQuote> vq = last ? endQuote : verifyCheckpointQuote(host, seq, m, c, new ArrayList<>());
                RecordSource upTo = source.below(c.quotePoint());
                if (vq.isPresent()) {
                    QuotePointResult res = new QuotePointFinder(replayer).find(state, upTo, vq.get().pcrSelection(),
                            vq.get().signingHash(), vq.get().pcrDigest());
                    replayFailures(host, seq, res.replay(), out);
                    if (res instanceof QuotePointResult.Found found) {
                        state = found.state();
                        if (found.quotePoint() != c.quotePoint()) {
                            out.add(new ChainFinding.RecordFinding(host, seq, found.quotePoint() - 1, kind, "quote point " + c.quotePoint(),
                                    "quote point " + found.quotePoint(), what + "the quote already matches after record "
                                            + (found.quotePoint() - 1)));
                            ReplayResult rest = replayer.replay(state, upTo);
                            replayFailures(host, seq, rest, out);
                            state = rest.state();
                        } else if (!sameState(state, c.end())) {
                            out.add(seg(host, seq, kind, stateSummary(c.end()), stateSummary(state),
                                    what + "replay does not reproduce the end state at the quote point"));
                        }
                    } else {
                        state = res.replay().state();
                        out.add(new ChainFinding.RecordFinding(host, seq, c.quotePoint() - 1, kind, "quote point " + c.quotePoint(),
                                stateSummary(state), what + "no prefix of the rows gives the quote"));
                    }
                } else {
                    ReplayResult rr = replayer.replay(state, upTo);
                    replayFailures(host, seq, rr, out);
                    state = rr.state();
                    if (!sameState(state, c.end())) {
                        out.add(seg(host, seq, kind, stateSummary(c.end()), stateSummary(state),
                                what + "replay does not reproduce the end state at the quote point"));
                    }
                }
                // Resynchronise on the manifest's values so one bad checkpoint is one finding.
                state = c.end();
            }
            if (m.firstIndex() == 0 && m.recordCount() > 0) checkBootAggregate(host, seq, r, m, out);
        } catch (IOException | RuntimeException e) {
            out.add(seg(host, seq, FindingKind.MALFORMED_SEGMENT, "readable data pages", "unreadable", e.getMessage()));
        }
    }

    /** A record source over a cursor that can hand out the records below an index and keep the rest. */
    private static final class PeekSource {
        private final SegmentReader.Cursor<MeasurementRecord> cursor;
        private Optional<MeasurementRecord> pending;

        PeekSource(SegmentReader.Cursor<MeasurementRecord> cursor) { this.cursor = cursor; }

        RecordSource below(long limit) {
            return () -> {
                if (pending == null) pending = cursor.next();
                if (pending.isPresent() && pending.get().index() < limit) {
                    Optional<MeasurementRecord> r = pending;
                    pending = null;
                    return r;
                }
                return Optional.empty();
            };
        }
    }

    private static void replayFailures(String host, long seq, ReplayResult replay, List<ChainFinding> out) {
        {
            for (ReplayFailure f : replay.failures()) {
                if (f instanceof ReplayFailure.TemplateDigestMismatch t) {
                    out.add(new ChainFinding.RecordFinding(host, seq, t.recordIndex(), FindingKind.TEMPLATE_DIGEST_MISMATCH,
                            t.computed().hex(), t.stored().hex(), f.describe()));
                } else if (f instanceof ReplayFailure.UnhashableTemplate u) {
                    out.add(new ChainFinding.RecordFinding(host, seq, u.recordIndex(), FindingKind.MALFORMED_RECORD, "hashable template",
                            u.templateName(), f.describe()));
                } else if (f instanceof ReplayFailure.PcrOutOfRange p) {
                    out.add(new ChainFinding.RecordFinding(host, seq, p.recordIndex(), FindingKind.MALFORMED_RECORD, "PCR 0..23",
                            Integer.toString(p.pcr()), f.describe()));
                }
                // Index gaps and unparseable rows are reported by verifyData.
            }
        }
    }

    /** Record 0 of a boot is the boot_aggregate the manifest's boot identity names (ima-kernel.md B.9). */
    private static void checkBootAggregate(String host, long seq, Optional<MeasurementRecord> first, SegmentManifest m,
                                           List<ChainFinding> out) {
        // No first record (none, or it does not parse) is reported by the data check.
        if (first.isEmpty() || first.get().index() != 0) return; // reported as an index gap
        Optional<SegmentPacker.BootAggregate> ba = SegmentPacker.BootAggregate.of(first.get());
        BootIdentity b = m.boot();
        if (ba.isEmpty() || ba.get().algorithm() != b.bootAggregateAlgorithm() || !ba.get().digest().equals(b.bootAggregate())) {
            out.add(new ChainFinding.RecordFinding(host, seq, 0, FindingKind.BOOT_SPLICE,
                    b.bootAggregateAlgorithm() + ":" + b.bootAggregate().hex(),
                    ba.map(x -> x.algorithm() + ":" + x.digest().hex()).orElse("no boot_aggregate"),
                    "record 0 is not the boot_aggregate of the manifest's boot"));
        }
    }

    /** The same, reading record 0 from the segment (the compacted path, which has no data check to ask). */
    private static void checkBootAggregate(String host, long seq, SegmentReader r, SegmentManifest m, List<ChainFinding> out)
            throws IOException {
        try (SegmentReader.Cursor<MeasurementRecord> records = r.records()) {
            checkBootAggregate(host, seq, records.next(), m, out);
        } catch (MalformedLogException e) {
            // reported by verifyData as a malformed record
        }
    }

    // ---- helpers ----

    private static ChainFinding fromSegmentFinding(String host, long seq, SegmentFinding f) {
        if (f instanceof SegmentFinding.DataDigestMismatch d) {
            return seg(host, seq, FindingKind.DATA_DIGEST_MISMATCH, d.expected().hex(), d.found().hex(), "data digest over the rows");
        }
        if (f instanceof SegmentFinding.RecordCountMismatch c) {
            return seg(host, seq, FindingKind.RECORD_COUNT_MISMATCH, Long.toString(c.expected()), Long.toString(c.found()), "row count");
        }
        if (f instanceof SegmentFinding.IndexGap g) {
            return new ChainFinding.RecordFinding(host, seq, g.foundIndex(), FindingKind.INDEX_GAP, Long.toString(g.expectedIndex()),
                    Long.toString(g.foundIndex()), "row with index " + g.foundIndex() + " where " + g.expectedIndex() + " was due");
        }
        if (f instanceof SegmentFinding.MalformedRecord mr) {
            return new ChainFinding.RecordFinding(host, seq, mr.recordIndex(), FindingKind.MALFORMED_RECORD, "one well-formed record",
                    mr.kind().toString(), mr.detail());
        }
        if (f instanceof SegmentFinding.QueryColumnMismatch q) {
            return new ChainFinding.RecordFinding(host, seq, q.recordIndex(), FindingKind.QUERY_COLUMN_MISMATCH, q.expected(),
                    q.found(), "query column " + q.column() + " does not match the record's raw bytes");
        }
        if (f instanceof SegmentFinding.LayoutMismatch l) {
            return seg(host, seq, FindingKind.LAYOUT_MISMATCH, l.expected(), l.found(), "segment file structure: " + l.structure());
        }
        if (f instanceof SegmentFinding.ManifestMismatch mm) {
            return seg(host, seq, FindingKind.MANIFEST_MISMATCH, mm.expected().hex(), mm.found().hex(),
                    "footer manifest (expected) and sidecar manifest (found) differ");
        }
        if (f instanceof SegmentFinding.NonceMismatch n) {
            return seg(host, seq, FindingKind.NONCE_MISMATCH, n.expected().hex(), n.found().hex(),
                    "the derived nonce does not recompute from the manifest");
        }
        if (f instanceof SegmentFinding.MissingSignature) {
            return seg(host, seq, FindingKind.MISSING_SIDECAR, "CMS signature", "absent", "no signature");
        }
        if (f instanceof SegmentFinding.UntrustedSigner u) {
            return seg(host, seq, FindingKind.UNTRUSTED_SIGNER, "a key from signers/", "", u.detail());
        }
        if (f instanceof SegmentFinding.BadSignature b) {
            return seg(host, seq, FindingKind.BAD_SIGNATURE, "valid CMS over the sidecar", b.kind().toString(), b.detail());
        }
        if (f instanceof SegmentFinding.BadTimestamp t) {
            return seg(host, seq, FindingKind.BAD_SIGNATURE, "valid timestamp", t.kind().toString(), t.detail());
        }
        if (f instanceof SegmentFinding.FindingsTruncated t) {
            return seg(host, seq, FindingKind.FINDINGS_TRUNCATED, "", Long.toString(t.omitted()), t.omitted() + " more record findings");
        }
        throw new IllegalStateException("unhandled segment finding " + f);
    }

    private static ChainFinding.SegmentFinding seg(String host, long seq, FindingKind kind, String expected, String found, String detail) {
        return new ChainFinding.SegmentFinding(host, seq, kind, expected, found, detail);
    }

    /** Equal states, treating absent and explicit zero values alike (docs/archive-format.md §6.3). */
    public static boolean sameState(PcrState a, PcrState b) {
        return a.nextIndex() == b.nextIndex() && a.banks().equals(b.banks()) && a.extendModes().equals(b.extendModes())
                && nonZero(a).equals(nonZero(b));
    }

    private static Map<PcrBank, Digest> nonZero(PcrState s) {
        Map<PcrBank, Digest> m = new TreeMap<>();
        s.values().forEach((k, v) -> {
            if (!v.isAllZero()) m.put(k, v);
        });
        return m;
    }

    private static boolean isZero(PcrState s) { return nonZero(s).isEmpty(); }

    private static String stateSummary(PcrState s) {
        StringBuilder sb = new StringBuilder("nextIndex ").append(s.nextIndex());
        nonZero(s).forEach((k, v) -> sb.append(' ').append(k).append('=').append(v.hex()));
        return sb.toString();
    }

    private static String describe(BootIdentity b) {
        return b.bootAggregateAlgorithm() + ":" + b.bootAggregate().hex() + " reset " + b.resetCount() + " boot " + b.bootCounter();
    }
}

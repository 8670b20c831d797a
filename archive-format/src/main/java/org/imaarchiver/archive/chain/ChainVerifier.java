package org.imaarchiver.archive.chain;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.imaarchiver.archive.admission.HostAdmission;
import org.imaarchiver.archive.receipt.VerificationReceipt;
import org.imaarchiver.archive.segment.MalformedManifestException;
import org.imaarchiver.archive.segment.ManifestCodec;
import org.imaarchiver.archive.segment.SegmentManifest;
import org.imaarchiver.archive.segment.SegmentReader;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.ObjectMissingException;
import org.imaarchiver.archive.store.StoreException;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;

/**
 * Offline, complete verification of archived chains (docs/archive-format.md §12 "Verifying a
 * segment", §13 "Verifying a chain"). Segments are independent given their manifest's base, so the
 * segments of a chain are checked in parallel on a bounded pool ({@link SegmentChecks}); only the
 * chain rules ({@link ChainLink}) run in chain order. Verification continues past failures and
 * reports every finding. The chain is {@link ChainListing#effective()}: a switched compacted segment
 * stands in for its parts, which (like staged compacted segments) are not part of the chain
 * (docs/archive-format.md §16.4); compacted segments also get their checkpoints verified (§16.5).
 * Memory is bounded by the number of one host's manifests, not by the records (rows are streamed).
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
    /**
     * What an unclosed boot ({@link FindingKind#UNCLOSED_BOOT}) does to a host (docs/archive-format.md §13
     * step 7): a warning in the report, or a failure like any other finding ({@code verify --require-closed-boots}).
     */
    public enum BootClosure {
        /** Unclosed boots are warnings: archives written before the run at shutdown existed verify. */
        WARN,
        /** Unclosed boots fail the host. */
        REQUIRE
    }

    private final int parallelism;
    private final SegmentChecks segments;
    private final BootClosure bootClosure;

    private ChainVerifier(TrustStore trust, int parallelism, SegmentChecks segments, BootClosure bootClosure) {
        this.trust = trust;
        this.parallelism = parallelism;
        this.segments = segments;
        this.bootClosure = Objects.requireNonNull(bootClosure, "bootClosure");
    }

    /** This verifier (same trust, parallelism and work directory) with another policy for unclosed boots. */
    public ChainVerifier withBootClosure(BootClosure policy) {
        return policy == bootClosure ? this : new ChainVerifier(trust, parallelism, segments, policy);
    }

    /**
     * @param trust       accepted signers and AKs
     * @param parallelism segments verified at once (>= 1)
     * @param workDir     where segment files are downloaded for reading (each deleted after its check)
     */
    public ChainVerifier(TrustStore trust, int parallelism, Path workDir) {
        this(trust, parallelism, workDir, BootClosure.WARN);
    }

    /** @param bootClosure whether an unclosed boot fails the host or is a warning */
    public ChainVerifier(TrustStore trust, int parallelism, Path workDir, BootClosure bootClosure) {
        this(Objects.requireNonNull(trust, "trust"), checkedParallelism(parallelism), new SegmentChecks(trust, workDir), bootClosure);
    }

    private static int checkedParallelism(int parallelism) {
        if (parallelism < 1) throw new IllegalArgumentException("parallelism < 1");
        return parallelism;
    }

    /**
     * Verifies the hosts of {@code store} the filter selects, ascending by host id; every host means
     * the hosts with objects in the store and the hosts enrolled in the trust directory (an enrolled
     * host without a chain is a {@link LossFinding.MissingChain}).
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
            hosts.addAll(trust.enrolledHosts());
        }
        List<ChainReport> reports = new ArrayList<>();
        for (String h : hosts) reports.add(verifyHost(store, h));
        return new ArchiveReport(reports);
    }

    /**
     * Verifies one host's chain: the segments of {@link ChainListing#effective()} (superseded parts of
     * a switched compaction and staged compacted segments are not part of the chain and are not checked).
     * No chain segment: {@link LossFinding.MissingChain} for an enrolled host, else {@link ObjectFinding.NoSegments}.
     */
    public ChainReport verifyHost(ArchiveStore store, String host) throws IOException {
        return verifyHostChain(store, host).report();
    }

    /**
     * {@link #verifyHost}, keeping for each chain segment the manifest it was verified under: what a
     * reader of the verified records ({@link BootExporter}) binds its second read to.
     */
    public VerifiedChain verifyHostChain(ArchiveStore store, String host) throws IOException {
        ArchiveLayout.requireValidHostId(host);
        List<SegmentUnit> units = ChainListing.of(store, host).effective();
        if (units.isEmpty()) {
            ChainReport none = trust.isEnrolled(host) ? emptyReport(host, List.of(new LossFinding.MissingChain(host))) : noSegments(host);
            return new VerifiedChain(withAdmission(host, none), List.of());
        }
        VerifiedChain verified = verifyUnitsKeeping(store, host, units, new ChainPredecessor.Start(0), OptionalLong.empty());
        return new VerifiedChain(withAdmission(host, verified.report()), verified.segments());
    }

    /** How {@code host}'s AKs were admitted (the report's {@code admission}; docs/trust-model.md). */
    public HostAdmission admissionOf(String host) throws IOException { return trust.admissionOf(host); }

    /**
     * {@code report} with the host's {@link AdmissionFinding}s first: an AK whose admission record
     * does not hold fails the host (docs/archive-format.md "Trust directory"). Added once per host:
     * by the whole-chain checks ({@link #verifyHost}, {@link #verifyAfter}), and by the caller to the
     * first part of a chain verified in parts ({@link #verifyRangeLinked} does not).
     */
    public ChainReport withAdmission(String host, ChainReport report) throws IOException {
        List<AdmissionFinding> findings = trust.admissionOf(host).findings();
        return findings.isEmpty() ? report : report.withFindings(List.copyOf(findings), List.of());
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

    /**
     * Verifies {@code host}'s chain after a verification receipt (docs/archive-format.md §17): the
     * stored sidecar manifest of the receipt's segment is still the one the receipt names, the chain
     * segments after it (§12) and their links (§13), the first one linked to the receipt as its
     * predecessor. Segments up to the receipt's are not read. Nothing after the receipt is no finding;
     * a chain that ends before the receipt's segment (or has no segment left) is one
     * {@link LossFinding.BehindReceipt}: the receipt is a floor.
     *
     * @param receipt a receipt of {@code host} whose signature the caller has verified
     */
    public ChainReport verifyAfter(ArchiveStore store, String host, VerificationReceipt receipt) throws IOException {
        ArchiveLayout.requireValidHostId(host);
        if (!receipt.host().equals(host)) throw new IllegalArgumentException("a receipt of host " + receipt.host() + ", not " + host);
        List<SegmentUnit> chain = ChainListing.of(store, host).effective();
        OptionalLong last = chain.isEmpty() ? OptionalLong.empty() : OptionalLong.of(chain.get(chain.size() - 1).lastSequence());
        if (last.isEmpty() || last.getAsLong() < receipt.sequence()) {
            return withAdmission(host, emptyReport(host, List.of(new LossFinding.BehindReceipt(host, receipt.sequence(), last))));
        }
        List<ChainFinding> stored = new ArrayList<>();
        boolean closesBoot = receiptStillStored(store, host, receipt, stored);
        List<SegmentUnit> after = chain.stream().filter(u -> u.firstSequence() > receipt.sequence()).toList();
        ChainReport r = after.isEmpty() ? emptyReport(host, List.of())
                : verifyUnits(store, host, after, new ChainPredecessor.Receipt(receipt, closesBoot), OptionalLong.empty());
        return withAdmission(host, r.withFindings(stored, List.of()));
    }

    /**
     * Adds a finding to {@code out} unless the receipt's segment manifest is still stored with the
     * digest the receipt names; returns whether that manifest closes its boot (false when it is not
     * the receipt's).
     */
    private static boolean receiptStillStored(ArchiveStore store, String host, VerificationReceipt receipt, List<ChainFinding> out) {
        long s = receipt.sequence();
        String key = ArchiveLayout.manifestKey(host, s);
        try {
            Bytes bytes = Bytes.wrap(store.readAll(key));
            Digest stored = ManifestCodec.digestOf(bytes);
            if (stored.equals(receipt.manifestDigest())) return ManifestCodec.decode(bytes).closesBoot();
            out.add(new LinkFinding.ReceiptManifestReplaced(host, s, receipt.manifestDigest(), stored));
        } catch (ObjectMissingException e) {
            out.add(new ObjectFinding.MissingObject(host, s, ObjectFinding.Role.RECEIPT_MANIFEST, key));
        } catch (StoreException e) {
            out.add(new ObjectFinding.StoreError(host, s, key, e.reason(), String.valueOf(e.getMessage())));
        } catch (MalformedManifestException e) {
            // the receipt vouched for these bytes, so they decoded when it was made; a reader that
            // cannot decode them now (an older one, §1) counts the boot as not closed
        }
        return false;
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
                outside.add(new LinkFinding.Straddles(host, u.firstSequence(), u.lastSequence(), first, last));
            } else {
                units.add(u);
            }
        }
        if (units.isEmpty()) return noSegments(host, outside);
        ChainPredecessor before = linked && predecessor.isPresent() ? predecessorOf(store, host, predecessor.get())
                : new ChainPredecessor.Start(first);
        ChainReport r = verifyUnits(store, host, units, before, OptionalLong.of(last));
        return outside.isEmpty() ? r : r.withFindings(List.of(), outside);
    }

    private static ChainReport noSegments(String host) { return noSegments(host, List.of()); }

    private static ChainReport noSegments(String host, List<ChainFinding> more) {
        List<ChainFinding> findings = new ArrayList<>();
        findings.add(new ObjectFinding.NoSegments(host));
        findings.addAll(more);
        return emptyReport(host, findings);
    }

    private static ChainReport emptyReport(String host, List<ChainFinding> findings) {
        return new ChainReport(host, 0, 0, OptionalLong.empty(), OptionalLong.empty(), Optional.empty(), Optional.empty(), findings);
    }

    /**
     * Checks {@code units} (non-empty, in chain order) in parallel, then the chain rules in order, the
     * first unit following {@code before}; {@code rangeLast}: the range must reach this sequence.
     */
    private ChainReport verifyUnits(ArchiveStore store, String host, List<SegmentUnit> units, ChainPredecessor before,
                                    OptionalLong rangeLast) throws IOException {
        return verifyUnitsKeeping(store, host, units, before, rangeLast).report();
    }

    private VerifiedChain verifyUnitsKeeping(ArchiveStore store, String host, List<SegmentUnit> units, ChainPredecessor before,
                                             OptionalLong rangeLast) throws IOException {
        List<CheckedSegment> checked = checkAll(store, host, units);
        List<VerifiedChain.Segment> kept = new ArrayList<>();
        for (int i = 0; i < checked.size(); i++) {
            if (checked.get(i).manifest().isPresent()) kept.add(new VerifiedChain.Segment(units.get(i), checked.get(i).manifest().get()));
        }
        List<ChainFinding> findings = new ArrayList<>();
        List<ChainFinding> warnings = new ArrayList<>();
        List<BootSummary> boots = new ArrayList<>();
        long records = 0;
        OptionalLong firstIndex = OptionalLong.empty();
        OptionalLong lastIndex = OptionalLong.empty();
        Optional<Instant> firstAt = Optional.empty();
        Optional<Instant> lastAt = Optional.empty();
        for (CheckedSegment c : checked) {
            findings.addAll(c.findings());
            findings.addAll(ChainLink.check(host, before, c.sequence(), c.manifest()));
            ChainLink.unclosedBoot(host, before, c.sequence(), c.manifest())
                    .ifPresent((bootClosure == BootClosure.WARN ? warnings : findings)::add);
            if (c.manifest().isPresent()) {
                SegmentManifest m = c.manifest().get();
                records += m.recordCount();
                if (firstIndex.isEmpty()) firstIndex = OptionalLong.of(m.firstIndex());
                if (m.recordCount() > 0) lastIndex = OptionalLong.of(m.lastIndex());
                Instant at = Instant.parse(m.createdAt());
                if (firstAt.isEmpty()) firstAt = Optional.of(at);
                lastAt = Optional.of(at);
                addToBoots(boots, c, m);
            }
            before = c.asPredecessor();
        }
        long next = before.nextSequence();
        if (rangeLast.isPresent() && next <= rangeLast.getAsLong()) {
            findings.add(new LinkFinding.RangeEndMissing(host, next, rangeLast.getAsLong()));
        }
        return new VerifiedChain(new ChainReport(host, units.size(), records, firstIndex, lastIndex, firstAt, lastAt, findings, warnings, boots),
                kept);
    }

    /**
     * The chain segment {@code c} continues the last boot of {@code boots}, or starts the next entry. Its
     * position is the key's ({@code c}), never the manifest's: a tampered manifest may name any sequence
     * (that is a finding of its own), and the summary must still be built.
     */
    private static void addToBoots(List<BootSummary> boots, CheckedSegment c, SegmentManifest m) {
        BootSummary one = new BootSummary(m.boot().bootCounter(), c.sequence(), c.lastSequence(), 1, m.recordCount(), m.firstIndex(),
                m.recordCount() > 0 ? OptionalLong.of(m.lastIndex()) : OptionalLong.empty(), m.closesBoot());
        int last = boots.size() - 1;
        if (last >= 0 && boots.get(last).bootCounter() == one.bootCounter()) boots.set(last, boots.get(last).followedBy(one));
        else boots.add(one);
    }

    private List<CheckedSegment> checkAll(ArchiveStore store, String host, List<SegmentUnit> units) throws IOException {
        List<CheckedSegment> checked = new ArrayList<>();
        int concurrent = Math.min(parallelism, units.size());
        // Cores the segment pool leaves idle go to hashing workers of each segment's replay.
        int replayWorkers = parallelism / concurrent - 1;
        ExecutorService pool = Executors.newFixedThreadPool(concurrent, r -> {
            Thread t = new Thread(r, "chain-verify-" + host);
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<CheckedSegment>> futures = new ArrayList<>();
            for (SegmentUnit u : units) futures.add(pool.submit(() -> segments.check(store, host, u, replayWorkers)));
            for (Future<CheckedSegment> f : futures) checked.add(f.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("verification interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            throw new IllegalStateException("segment check failed unexpectedly", e.getCause());
        } finally {
            pool.shutdownNow();
        }
        return checked;
    }

    /**
     * A predecessor outside the verified range: only what the chain rules read, the manifest that
     * {@link SegmentChecks} would take for it, so a range links exactly as the whole chain does: the
     * sidecar, or without a usable one the segment file's footer manifest (downloaded only then).
     * Its own findings belong to the range that owns it.
     */
    private ChainPredecessor predecessorOf(ArchiveStore store, String host, SegmentUnit u) throws IOException {
        if (u.hasManifest()) {
            try {
                Bytes b = Bytes.wrap(store.readAll(u.key(ArchiveLayout.ObjectKind.MANIFEST)));
                return new ChainPredecessor.Segment(u.lastSequence(), ManifestCodec.decode(b), ManifestCodec.digestOf(b));
            } catch (StoreException | MalformedManifestException e) {
                // no usable sidecar: as SegmentChecks, fall back to the footer
            }
        }
        if (u.hasSegment()) {
            Path local = segments.localPath(host, u, "link-");
            try (SegmentFile file = SegmentFile.fetch(store, u.key(ArchiveLayout.ObjectKind.SEGMENT), local, java.util.OptionalLong.empty())) {
                Optional<SegmentReader> reader = SegmentChecks.open(host, u.firstSequence(), file.path(), new ArrayList<>());
                if (reader.isPresent()) {
                    return new ChainPredecessor.Segment(u.lastSequence(), reader.get().manifest(),
                            ManifestCodec.digestOf(reader.get().manifestBytes()));
                }
            } catch (StoreException e) {
                // unreadable: nothing to link against, as in SegmentChecks
            }
        }
        return new ChainPredecessor.Unreadable(u.lastSequence());
    }
}

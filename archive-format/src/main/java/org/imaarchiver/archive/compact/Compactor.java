package org.imaarchiver.archive.compact;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.chain.ArchiveLayout.ObjectKind;
import org.imaarchiver.archive.chain.ChainListing;
import org.imaarchiver.archive.chain.ChainReport;
import org.imaarchiver.archive.chain.ChainVerifier;
import org.imaarchiver.archive.chain.SegmentPacker;
import org.imaarchiver.archive.chain.SegmentUnit;
import org.imaarchiver.archive.segment.Checkpoint;
import org.imaarchiver.archive.segment.Compaction;
import org.imaarchiver.archive.segment.MalformedManifestException;
import org.imaarchiver.archive.segment.ManifestCodec;
import org.imaarchiver.archive.segment.SegmentFormatException;
import org.imaarchiver.archive.segment.SegmentManifest;
import org.imaarchiver.archive.segment.SegmentReader;
import org.imaarchiver.archive.segment.SegmentSummary;
import org.imaarchiver.archive.segment.QueryColumns;
import org.imaarchiver.archive.segment.SegmentWriter;
import org.imaarchiver.archive.segment.WrittenSegment;
import org.imaarchiver.archive.sign.SegmentSigner;
import org.imaarchiver.archive.sign.SigningException;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.LocalDirectoryStore;
import org.imaarchiver.archive.store.ObjectAlreadyExistsException;
import org.imaarchiver.archive.store.ObjectInfo;
import org.imaarchiver.archive.store.StoreException;
import org.imaarchiver.archive.store.StoredObject;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;

/**
 * Merges consecutive segments of one host and one boot into one larger segment that replaces them
 * in the chain (docs/archive-format.md "Compaction"). Protocol per group, each step crash-safe (the
 * chain verifies after a crash at any point: either the parts or the compacted segment are the chain):
 *
 * <ol>
 *   <li>verify the parts ({@link ChainVerifier#verifyRange});</li>
 *   <li>stream their records into a new segment (one part file on disk at a time), keep every part's
 *       end quote as a checkpoint, sign it with this compactor's key;</li>
 *   <li>verify it locally, with its commit, like a chain segment;</li>
 *   <li>upload it create-only under its range name {@code <first>-<last>}: staged, not part of the
 *       chain while its {@code .commit} is absent;</li>
 *   <li>re-read it ({@code verifyDurable});</li>
 *   <li>switch: create {@code <first>-<last>.commit} (its manifest digest) and re-read it;</li>
 *   <li>delete the parts, unless retained ({@link RetentionPolicy}).</li>
 * </ol>
 *
 * A re-run first deletes superseded parts left by an earlier run (crash after the switch) and
 * replaces staged leftovers of the range it compacts. One compactor per host at a time (the caller
 * holds the host's lock, as for packing).
 */
public final class Compactor {
    /** Called after each protocol step; tests inject crashes here. */
    @FunctionalInterface
    public interface StepHook {
        void after(CompactionStep step) throws IOException;

        StepHook NONE = step -> {};
    }

    /** What one {@link #compact(String)} run did. */
    public record Run(String host, List<CompactionResult> results, int supersededDeleted, int supersededKept) {
        public Run {
            results = List.copyOf(results);
        }
    }

    private final ArchiveStore store;
    private final ChainVerifier verifier;
    private final SegmentSigner signer;
    private final Path workDir;
    private final Clock clock;
    private final CompactionPolicy policy;
    private final RetentionPolicy retention;
    private final String producer;
    private final StepHook hook;

    /**
     * @param store     the archive
     * @param verifier  verifies parts before and the output after merging (its trust store must
     *                  trust this compactor's signer)
     * @param signer    signs compacted manifests (the compactor's key)
     * @param workDir   spool space: one part and the output at a time
     * @param clock     createdAt of outputs and the minimum-age rule
     * @param policy    what to merge
     * @param retention which replaced objects must stay
     * @param producer  the manifests' producer string
     */
    public Compactor(ArchiveStore store, ChainVerifier verifier, SegmentSigner signer, Path workDir, Clock clock,
                     CompactionPolicy policy, RetentionPolicy retention, String producer) {
        this(store, verifier, signer, workDir, clock, policy, retention, producer, StepHook.NONE);
    }

    private Compactor(ArchiveStore store, ChainVerifier verifier, SegmentSigner signer, Path workDir, Clock clock,
                      CompactionPolicy policy, RetentionPolicy retention, String producer, StepHook hook) {
        this.store = Objects.requireNonNull(store, "store");
        this.verifier = Objects.requireNonNull(verifier, "verifier");
        this.signer = Objects.requireNonNull(signer, "signer");
        this.workDir = Objects.requireNonNull(workDir, "workDir");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.retention = Objects.requireNonNull(retention, "retention");
        this.producer = Objects.requireNonNull(producer, "producer");
        this.hook = Objects.requireNonNull(hook, "hook");
    }

    /** This compactor with a hook called after each step. */
    public Compactor withHook(StepHook hook) {
        return new Compactor(store, verifier, signer, workDir, clock, policy, retention, producer, hook);
    }

    /** Cleans up superseded parts, then plans and compacts every group of {@code host}. */
    public Run compact(String host) throws IOException {
        int[] cleaned = cleanup(host);
        List<CompactionResult> results = new ArrayList<>();
        for (CompactionGroup g : plan(host)) results.add(compact(g));
        return new Run(host, results, cleaned[0], cleaned[1]);
    }

    /**
     * Deletes superseded parts (inside a switched compacted segment) that retention allows.
     *
     * @return {deleted, kept}
     */
    public int[] cleanup(String host) throws IOException {
        int deleted = 0;
        int kept = 0;
        for (SegmentUnit u : ChainListing.of(store, host).superseded()) {
            if (deletePart(u)) deleted++;
            else kept++;
        }
        return new int[] {deleted, kept};
    }

    // ------------------------------------------------------------------ planning

    /** Groups of consecutive chain segments to merge under the policy, in chain order. */
    public List<CompactionGroup> plan(String host) throws IOException {
        ArchiveLayout.requireValidHostId(host);
        // A zero minimum age is no age condition: a segment stamped ahead of this machine's clock
        // (a host clock running fast) is as eligible as any other.
        Instant cutoff = policy.minAge().isZero() ? Instant.MAX : clock.instant().minus(policy.minAge());
        List<CompactionGroup> groups = new ArrayList<>();
        List<SegmentUnit> cur = new ArrayList<>();
        long curBoot = -1;
        long curRecords = 0;
        long curBytes = 0;
        for (SegmentUnit u : ChainListing.of(store, host).effective()) {
            Optional<Candidate> c = candidate(u, cutoff);
            boolean fits = c.isPresent() && !cur.isEmpty() && c.get().boot == curBoot && cur.size() < policy.maxParts()
                    && curRecords + c.get().records <= policy.targetRecords() && curBytes + c.get().bytes <= policy.targetBytes()
                    && u.firstSequence() == cur.get(cur.size() - 1).lastSequence() + 1;
            if (!fits) {
                if (cur.size() >= 2) groups.add(new CompactionGroup(host, cur, curBoot, curRecords, curBytes));
                cur = new ArrayList<>();
                curRecords = 0;
                curBytes = 0;
                if (c.isEmpty()) continue;
                curBoot = c.get().boot;
            }
            cur.add(u);
            curRecords += c.get().records;
            curBytes += c.get().bytes;
        }
        if (cur.size() >= 2) groups.add(new CompactionGroup(host, cur, curBoot, curRecords, curBytes));
        return groups;
    }

    private record Candidate(long boot, long records, long bytes) {}

    /** A complete chain segment old enough and alone within the targets; empty when it cannot join a group. */
    private Optional<Candidate> candidate(SegmentUnit u, Instant cutoff) throws IOException {
        if (!u.hasSegment() || !u.hasManifest() || !u.hasSignature()) return Optional.empty();
        SegmentManifest m;
        try {
            m = ManifestCodec.decode(store.readAll(u.key(ObjectKind.MANIFEST)));
        } catch (MalformedManifestException e) {
            return Optional.empty(); // the verifier reports it; never merge what does not decode
        }
        if (Instant.parse(m.createdAt()).isAfter(cutoff)) return Optional.empty();
        Optional<ObjectInfo> info = store.stat(u.key(ObjectKind.SEGMENT));
        if (info.isEmpty()) return Optional.empty();
        if (m.recordCount() > policy.targetRecords() || info.get().size() > policy.targetBytes()) return Optional.empty();
        return Optional.of(new Candidate(m.boot().bootCounter(), m.recordCount(), info.get().size()));
    }

    // ------------------------------------------------------------------ the protocol

    /** Runs the protocol for one group. */
    public CompactionResult compact(CompactionGroup group) throws IOException {
        String host = group.host();
        long first = group.firstSequence();
        long last = group.lastSequence();
        List<SegmentUnit> now = ChainListing.of(store, host).effective().stream()
                .filter(u -> u.lastSequence() >= first && u.firstSequence() <= last).toList();
        if (!now.equals(group.parts())) return new CompactionResult.Stale(first, last);

        // 1. The parts verify (signatures, quotes, rows, replay, links between them).
        ChainReport partsReport = verifier.verifyRange(store, host, first, last);
        if (!partsReport.ok()) return new CompactionResult.PartsInvalid(first, last, partsReport);
        hook.after(CompactionStep.PARTS_VERIFIED);

        Files.createDirectories(workDir);
        Path out = workDir.resolve("compact-" + host + "-" + first + "-" + last + "-" + System.nanoTime() + ".parquet");
        Path local = Files.createTempDirectory(workDir, "compact-verify-");
        try {
            // 2. Merge, streamed.
            Output merged = write(group, out);
            WrittenSegment written = merged.segment();
            Bytes cms = merged.cms();
            hook.after(CompactionStep.WRITTEN);
            Bytes commit = commitBytes(written.manifestDigest());

            // 3. Verify the output like a chain segment, before anything is uploaded.
            try (LocalDirectoryStore ls = LocalDirectoryStore.open(local)) {
                ls.createNew(ArchiveLayout.rangeKey(host, first, last, ObjectKind.SEGMENT), written.file());
                ls.createNew(ArchiveLayout.rangeKey(host, first, last, ObjectKind.SIGNATURE), cms.toArray());
                ls.createNew(ArchiveLayout.rangeKey(host, first, last, ObjectKind.MANIFEST), written.manifestBytes().toArray());
                ls.createNew(ArchiveLayout.rangeKey(host, first, last, ObjectKind.COMMIT), commit.toArray());
                ChainReport outReport = verifier.verifyRange(ls, host, first, last);
                if (!outReport.ok()) return new CompactionResult.OutputInvalid(first, last, outReport);
            }
            hook.after(CompactionStep.VERIFIED_LOCALLY);

            // 4. Stage: replace leftovers of an unswitched earlier attempt, then upload create-only.
            for (SegmentUnit u : ChainListing.of(store, host).staged()) {
                if (u.firstSequence() == first && u.lastSequence() == last) {
                    for (String k : u.listedKeys()) store.delete(k);
                    hook.after(CompactionStep.LEFTOVERS_REMOVED);
                }
            }
            List<StoredObject> staged = new ArrayList<>();
            try {
                staged.add(store.createNew(ArchiveLayout.rangeKey(host, first, last, ObjectKind.SEGMENT), written.file()));
                hook.after(CompactionStep.STAGED_SEGMENT);
                staged.add(store.createNew(ArchiveLayout.rangeKey(host, first, last, ObjectKind.SIGNATURE), cms.toArray()));
                hook.after(CompactionStep.STAGED_SIGNATURE);
                staged.add(store.createNew(ArchiveLayout.rangeKey(host, first, last, ObjectKind.MANIFEST),
                        written.manifestBytes().toArray()));
                hook.after(CompactionStep.STAGED_MANIFEST);
            } catch (ObjectAlreadyExistsException e) {
                return new CompactionResult.StoreConflict(e.key());
            }

            // 5. Durable before the switch: the switch must never name bytes the store does not hold.
            for (StoredObject o : staged) {
                if (!store.verifyDurable(o.key(), o.sha256())) return new CompactionResult.NotDurable(o.key());
            }
            hook.after(CompactionStep.DURABLE);

            // 6. Switch.
            String commitKey = ArchiveLayout.rangeKey(host, first, last, ObjectKind.COMMIT);
            StoredObject c;
            try {
                c = store.createNew(commitKey, commit.toArray());
            } catch (ObjectAlreadyExistsException e) {
                return new CompactionResult.StoreConflict(e.key());
            }
            if (!store.verifyDurable(c.key(), c.sha256())) {
                store.delete(commitKey); // un-switch: the parts stay the chain
                return new CompactionResult.NotDurable(commitKey);
            }
            hook.after(CompactionStep.SWITCHED);

            // 7. Delete what the compacted segment supersedes (the parts, and older leftovers inside the range).
            int deleted = 0;
            int kept = 0;
            for (SegmentUnit u : ChainListing.of(store, host).superseded()) {
                if (u.firstSequence() < first || u.lastSequence() > last) continue;
                if (deletePart(u)) deleted++;
                else kept++;
            }
            return new CompactionResult.Compacted(ArchiveLayout.rangeKey(host, first, last, ObjectKind.SEGMENT), first, last,
                    written.manifest().recordCount(), deleted, kept);
        } finally {
            Files.deleteIfExists(out);
            deleteTree(local);
        }
    }

    /** Deletes a superseded part unless one of its objects is retained; true when deleted. */
    private boolean deletePart(SegmentUnit u) throws IOException {
        List<String> keys = u.listedKeys();
        for (String k : keys) if (retention.retained(k)) return false;
        for (String k : keys) store.delete(k);
        hook.after(CompactionStep.PART_DELETED);
        return true;
    }

    /** The written compacted segment and its CMS (also in its footer). */
    private record Output(WrittenSegment segment, Bytes cms) {}

    /** Streams every part's rows into one segment and builds its manifest. */
    private Output write(CompactionGroup group, Path out) throws IOException {
        String host = group.host();
        List<Checkpoint> checkpoints = new ArrayList<>();
        List<Digest> replaces = new ArrayList<>();
        SegmentManifest firstPart = null;
        SegmentManifest lastPart = null;
        Digest lastLink = null;
        try (SegmentWriter w = SegmentWriter.create(out, firstIndexOf(group), QueryColumns::of)) {
            for (SegmentUnit u : group.parts()) {
                Bytes bytes = Bytes.wrap(store.readAll(u.key(ObjectKind.MANIFEST)));
                SegmentManifest m = ManifestCodec.decode(bytes);
                Digest digest = ManifestCodec.digestOf(bytes);
                if (firstPart == null) firstPart = m;
                if (m.boot().bootCounter() != group.bootCounter() || !m.replay().equals(firstPart.replay())) {
                    throw new IOException("segment " + u.firstSequence() + " of " + host + " is of another boot or replay");
                }
                replaces.add(digest);
                if (m.isCompacted()) checkpoints.addAll(m.checkpoints());
                else checkpoints.add(Checkpoint.of(m, digest));
                lastPart = m;
                lastLink = m.chainLinkDigest(digest);
                copyRows(u, w);
            }
            SegmentSummary s = w.summary();
            Instant createdAt = clock.instant().truncatedTo(ChronoUnit.SECONDS);
            SegmentManifest m = new SegmentManifest(SegmentManifest.FORMAT_VERSION, host, lastPart.boot(), firstPart.sequence(),
                    s.firstIndex(), s.recordCount(), firstPart.base(), lastPart.end(), lastPart.quote(), lastPart.nonceDerivation(),
                    firstPart.replay(), createdAt.toString(), producer, s.dataDigest(), firstPart.previousManifestDigest(),
                    checkpoints, Optional.of(new Compaction(lastPart.lastSequence(), replaces, lastLink)),
                    lastPart.closesBoot()); // a boot closed by its last part stays closed (§16.2)
            Bytes manifestBytes = ManifestCodec.encode(m);
            Bytes cms = sign(manifestBytes, createdAt);
            return new Output(w.finish(m, Optional.of(cms)), cms);
        } catch (MalformedManifestException e) {
            throw new IOException("a part's manifest does not decode: " + e.getMessage(), e);
        }
    }

    private long firstIndexOf(CompactionGroup group) throws IOException {
        try {
            return ManifestCodec.decode(store.readAll(group.parts().get(0).key(ObjectKind.MANIFEST))).firstIndex();
        } catch (MalformedManifestException e) {
            throw new IOException("the first part's manifest does not decode: " + e.getMessage(), e);
        }
    }

    private void copyRows(SegmentUnit u, SegmentWriter w) throws IOException {
        Path part = Files.createTempFile(workDir, "compact-part-", ".parquet");
        Files.delete(part); // download wants a fresh target
        try {
            store.download(u.key(ObjectKind.SEGMENT), part);
            SegmentReader r = SegmentReader.open(part);
            try (SegmentReader.Cursor<MeasurementRecord> records = r.records()) {
                for (Optional<MeasurementRecord> next = records.next(); next.isPresent(); next = records.next()) w.write(next.get());
            }
        } catch (SegmentFormatException | MalformedManifestException | MalformedLogException e) {
            throw new IOException("part " + u.key(ObjectKind.SEGMENT) + " does not read: " + e.getMessage(), e);
        } finally {
            Files.deleteIfExists(part);
        }
    }

    private Bytes sign(Bytes manifestBytes, Instant at) throws IOException {
        try {
            return signer.sign(manifestBytes, at);
        } catch (SigningException e) {
            throw new IOException("cannot sign the compacted manifest: " + e.getMessage(), e);
        }
    }

    /** The commit object's content: the compacted manifest's digest, lowercase hex, ASCII. */
    static Bytes commitBytes(Digest manifestDigest) {
        return Bytes.wrap(manifestDigest.hex().getBytes(StandardCharsets.US_ASCII));
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}

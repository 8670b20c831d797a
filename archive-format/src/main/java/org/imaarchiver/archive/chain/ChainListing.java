package org.imaarchiver.archive.chain;

import java.io.UncheckedIOException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.imaarchiver.archive.store.ArchiveStore;

/**
 * One host's segment names classified for compaction (docs/archive-format.md "Compaction"):
 *
 * <ul>
 *   <li>{@code effective}: the chain: switched (committed) compacted segments not inside another
 *       switched one, and plain segments not inside any switched one; in chain order;</li>
 *   <li>{@code superseded}: plain or compacted segments inside a switched compacted segment (parts
 *       left by a crash after the switch, or kept under retention): not part of the chain;</li>
 *   <li>{@code staged}: compacted segments without their commit (a crash before the switch):
 *       leftovers, not part of the chain.</li>
 * </ul>
 *
 * Memory: one entry per segment name of the host (as the verifier's manifests).
 */
public record ChainListing(String host, List<SegmentUnit> effective, List<SegmentUnit> superseded, List<SegmentUnit> staged) {
    private static final Comparator<SegmentUnit> ORDER =
            Comparator.comparingLong(SegmentUnit::firstSequence).thenComparingLong(SegmentUnit::lastSequence);

    public ChainListing {
        ArchiveLayout.requireValidHostId(host);
        effective = List.copyOf(effective);
        superseded = List.copyOf(superseded);
        staged = List.copyOf(staged);
    }

    /** Lists {@code host}'s segment keys in {@code store} and classifies them. */
    public static ChainListing of(ArchiveStore store, String host) throws IOException {
        try (Stream<String> keys = store.list(ArchiveLayout.segmentsPrefix(host))) {
            return of(host, keys);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Classifies the keys (other hosts' and foreign keys are ignored). */
    public static ChainListing of(String host, Stream<String> keys) {
        Map<String, boolean[]> seen = new TreeMap<>(); // "first,last,range" -> segment, manifest, signature, commit
        Map<String, long[]> pos = new TreeMap<>();
        keys.forEach(k -> ArchiveLayout.parse(k).filter(n -> n.host().equals(host)).ifPresent(n -> {
            String id = n.sequence() + "," + n.lastSequence() + "," + n.range();
            boolean[] p = seen.computeIfAbsent(id, x -> new boolean[4]);
            pos.putIfAbsent(id, new long[] {n.sequence(), n.lastSequence(), n.range() ? 1 : 0});
            p[n.kind().ordinal()] = true;
        }));
        List<SegmentUnit> all = new ArrayList<>();
        for (var e : seen.entrySet()) {
            long[] q = pos.get(e.getKey());
            boolean[] p = e.getValue();
            all.add(new SegmentUnit(host, q[0], q[1], q[2] == 1, p[ArchiveLayout.ObjectKind.SEGMENT.ordinal()],
                    p[ArchiveLayout.ObjectKind.MANIFEST.ordinal()], p[ArchiveLayout.ObjectKind.SIGNATURE.ordinal()],
                    p[ArchiveLayout.ObjectKind.COMMIT.ordinal()]));
        }
        all.sort(ORDER);
        List<SegmentUnit> committed = all.stream().filter(SegmentUnit::committed).toList();
        List<SegmentUnit> maximal = committed.stream()
                .filter(c -> committed.stream().noneMatch(o -> o != c && c.within(o))).toList();
        List<SegmentUnit> effective = new ArrayList<>();
        List<SegmentUnit> superseded = new ArrayList<>();
        List<SegmentUnit> staged = new ArrayList<>();
        for (SegmentUnit u : all) {
            if (u.range() && !u.hasCommit()) {
                staged.add(u);
            } else if (maximal.contains(u)) {
                effective.add(u);
            } else if (maximal.stream().anyMatch(u::within)) {
                superseded.add(u);
            } else {
                effective.add(u);
            }
        }
        return new ChainListing(host, effective, superseded, staged);
    }
}

package org.imaarchiver.jobs.reverify;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.archive.chain.ChainListing;
import org.imaarchiver.archive.chain.SegmentUnit;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.jobs.batch.HostPartitioner;
import org.imaarchiver.jobs.batch.OrderedParallel;
import org.springframework.batch.core.partition.Partitioner;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.scope.context.StepContext;
import org.springframework.batch.core.scope.context.StepSynchronizationManager;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.infrastructure.item.ExecutionContext;

/**
 * {@code reverifyJob}'s partitions: {@link HostPartitioner}'s, with every very long chain (more than
 * {@code segmentsPerPartition} chain segments) cut into consecutive segment ranges, one partition
 * each ({@code host-<id>.part-0000}, ...; input context {@value #PART} = "index,count,first,last").
 * The ranges are contiguous in sequence space from 0 and end at chain-segment boundaries (a
 * compacted segment is never cut); each part verifies its segments, the links between them and
 * the link to the part before ({@code ChainVerifier.verifyRangeLinked}), so the merged result is
 * the whole chain's. Only in per-host mode (range partitions already bound the partition count) and
 * not with {@code --since-receipt} (a chain after its receipt is short by design).
 *
 * <p>Planning lists the chain of each host once (one listing per host, at most
 * {@code --max-partitions} hosts, {@link OrderedParallel#PLANNING_THREADS} at a time). The cuts are
 * kept in the manager step's execution context, which a restart inherits: a resumed run re-runs
 * parts with their first boundaries, never new ones, so no segment falls between two plans.
 */
final class ChainSplittingPartitioner implements Partitioner {
    /** The worker's input key of a part: "index,count,first,last". */
    static final String PART = "segmentPart";
    static final String PART_INFIX = ".part-";
    /** Default: about 1.5 years of nightly segments per partition. */
    static final int DEFAULT_SEGMENTS_PER_PARTITION = 500;
    static final String SPLITS = "imaarchiver.partitions.splits";

    /** The longest chain verified as one partition (a bean of the manager's context; option {@code --segments-per-partition}). */
    record SegmentsPerPartition(int value) {
        static final SegmentsPerPartition DEFAULT = new SegmentsPerPartition(DEFAULT_SEGMENTS_PER_PARTITION);

        SegmentsPerPartition {
            if (value < 1) throw new IllegalArgumentException("segments per partition < 1: " + value);
        }
    }

    private final HostPartitioner hosts;
    private final ArchiveStore store;
    private final int segmentsPerPartition;
    private final boolean enabled;
    private final Optional<JobRepository> repository;

    ChainSplittingPartitioner(HostPartitioner hosts, ArchiveStore store, int segmentsPerPartition, boolean enabled,
                              Optional<JobRepository> repository) {
        this.hosts = Objects.requireNonNull(hosts, "hosts");
        this.store = Objects.requireNonNull(store, "store");
        if (segmentsPerPartition < 1) throw new IllegalArgumentException("segmentsPerPartition < 1");
        this.segmentsPerPartition = segmentsPerPartition;
        this.enabled = enabled;
        this.repository = Objects.requireNonNull(repository, "repository");
    }

    @Override
    public Map<String, ExecutionContext> partition(int gridSize) {
        Map<String, ExecutionContext> in = hosts.partition(gridSize);
        if (!enabled) return in;
        Optional<StepExecution> manager = Optional.ofNullable(StepSynchronizationManager.getContext()).map(StepContext::getStepExecution);
        Optional<Map<String, List<long[]>>> stored = manager.map(StepExecution::getExecutionContext)
                .filter(c -> c.containsKey(SPLITS)).map(c -> decode(c.getString(SPLITS)));
        if (in.values().stream().anyMatch(c -> !c.containsKey(HostPartitioner.HOST_ID))) return in; // range partitions: not split
        List<String> hostIds = in.values().stream().map(c -> c.getString(HostPartitioner.HOST_ID)).toList();
        // One chain listing per host, on a few threads (store round trips, not CPU).
        List<List<long[]>> planned = stored.isPresent()
                ? hostIds.stream().map(h -> stored.get().getOrDefault(h, List.<long[]>of())).toList()
                : OrderedParallel.map(hostIds, this::plan, OrderedParallel.PLANNING_THREADS);
        Map<String, List<long[]>> splits = new LinkedHashMap<>();
        Map<String, ExecutionContext> out = new LinkedHashMap<>();
        int i = 0;
        for (Map.Entry<String, ExecutionContext> e : in.entrySet()) {
            ExecutionContext c = e.getValue();
            String host = hostIds.get(i);
            List<long[]> ranges = planned.get(i++);
            if (ranges.isEmpty()) {
                out.put(e.getKey(), c);
                continue;
            }
            splits.put(host, ranges);
            for (int k = 0; k < ranges.size(); k++) {
                ExecutionContext p = new ExecutionContext();
                p.putString(HostPartitioner.HOST_ID, host);
                p.putString(PART, k + "," + ranges.size() + "," + ranges.get(k)[0] + "," + ranges.get(k)[1]);
                out.put(e.getKey() + PART_INFIX + String.format("%04d", k), p);
            }
        }
        if (stored.isEmpty() && manager.isPresent() && repository.isPresent()) {
            manager.get().getExecutionContext().putString(SPLITS, encode(splits));
            repository.get().updateExecutionContext(manager.get());
        }
        return out;
    }

    /** Contiguous ranges from 0 of at most segmentsPerPartition chain segments; empty: one partition. */
    private List<long[]> plan(String host) {
        List<SegmentUnit> units;
        try {
            units = ChainListing.of(store, host).effective();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the chain of host " + host, e);
        }
        if (units.size() <= segmentsPerPartition) return List.of();
        List<long[]> ranges = new ArrayList<>();
        long next = 0;
        for (int i = 0; i < units.size(); i += segmentsPerPartition) {
            long last = units.get(Math.min(i + segmentsPerPartition, units.size()) - 1).lastSequence();
            ranges.add(new long[] {next, last});
            next = last + 1;
        }
        return ranges;
    }

    static HostVerification.Part part(String value) {
        String[] f = value.split(",");
        return new HostVerification.Part(Integer.parseInt(f[0]), Integer.parseInt(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]));
    }

    /** {@code host=first-last,first-last;host2=...}: host ids contain none of "=;,". */
    static String encode(Map<String, List<long[]>> splits) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, List<long[]>> e : splits.entrySet()) {
            if (sb.length() > 0) sb.append(';');
            sb.append(e.getKey()).append('=');
            for (int i = 0; i < e.getValue().size(); i++) {
                if (i > 0) sb.append(',');
                sb.append(e.getValue().get(i)[0]).append('-').append(e.getValue().get(i)[1]);
            }
        }
        return sb.toString();
    }

    static Map<String, List<long[]>> decode(String s) {
        Map<String, List<long[]>> m = new LinkedHashMap<>();
        if (s.isEmpty()) return m;
        for (String hostPart : s.split(";")) {
            int eq = hostPart.indexOf('=');
            List<long[]> ranges = new ArrayList<>();
            for (String r : hostPart.substring(eq + 1).split(",")) {
                int dash = r.indexOf('-');
                ranges.add(new long[] {Long.parseLong(r.substring(0, dash)), Long.parseLong(r.substring(dash + 1))});
            }
            m.put(hostPart.substring(0, eq), ranges);
        }
        return m;
    }
}

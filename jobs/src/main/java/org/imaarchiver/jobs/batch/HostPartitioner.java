package org.imaarchiver.jobs.batch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongConsumer;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.chain.ChainIndex;
import org.imaarchiver.archive.store.ArchiveStore;
import org.springframework.batch.core.partition.Partitioner;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.scope.context.StepContext;
import org.springframework.batch.core.scope.context.StepSynchronizationManager;
import org.springframework.batch.core.step.StepExecution;
import org.springframework.batch.infrastructure.item.ExecutionContext;

/**
 * The partitions of a per-host bulk job ({@code reverifyJob}, {@code compactJob}); Batch calls this
 * again on a restart and re-runs only the partitions not COMPLETED before.
 *
 * <p>Up to {@code maxPartitions} hosts: one partition per host, named {@code host-<id>} (so a worker
 * step execution is {@code <step>:host-<id>} and a failed step names its host; very long ids are
 * shortened, {@link #partitionName}), input context
 * {@value #HOST_ID}. Above that, Spring Batch's per-partition state (a {@code StepExecution} and its
 * execution context, kept by the job execution for the whole run: ~1 KB) would make memory grow
 * with the archive, so the hosts are cut into at most {@code maxPartitions} contiguous ranges in
 * {@link ArchiveLayout#HOST_ORDER}, named {@code hosts-0000}, ..., input context {@value #FROM_HOST}
 * (inclusive, absent in the first) and {@value #TO_HOST} (exclusive, absent in the last): together
 * they cover every host id, including hosts added later. A range's worker lists its own hosts from
 * the store ({@link Range#hosts}) and works through them in order.
 *
 * <p>Planning is one pass over the host listing holding at most {@code maxPartitions + 1} ids (the
 * group size doubles whenever the ranges would exceed the cap). The plan is kept in the manager
 * step's execution context, which a restart inherits, so a resumed run has exactly the partitions of
 * the first; in per-host mode a restart lists the hosts again (new hosts become new partitions).
 */
public final class HostPartitioner implements Partitioner {
    /** Per-host mode: the worker's input key. */
    public static final String HOST_ID = "hostId";
    /** Range mode: first host of the range (inclusive); absent = from the first host. */
    public static final String FROM_HOST = "fromHost";
    /** Range mode: first host after the range (exclusive); absent = to the last host. */
    public static final String TO_HOST = "toHost";
    public static final String PARTITION_PREFIX = "host-";
    public static final String RANGE_PREFIX = "hosts-";
    /** Above this many hosts partitions cover ranges of hosts (1 KB of Batch state each). */
    public static final int DEFAULT_MAX_PARTITIONS = 1024;

    static final String PLAN_MODE = "imaarchiver.partitions.mode";
    static final String PLAN_STARTS = "imaarchiver.partitions.starts";
    static final String PLAN_HOSTS = "imaarchiver.partitions.hosts";

    /** The cap on partitions of one run (a bean of the job's context; option {@code --max-partitions}). */
    public record MaxPartitions(int value) {
        public static final MaxPartitions DEFAULT = new MaxPartitions(DEFAULT_MAX_PARTITIONS);

        public MaxPartitions {
            if (value < 1) throw new IllegalArgumentException("max partitions < 1: " + value);
        }
    }

    /** The hosts to partition, in {@link ArchiveLayout#HOST_ORDER}; opened once per plan. */
    @FunctionalInterface
    public interface Hosts {
        Stream<String> open() throws IOException;
    }

    /** A range partition's hosts: {@code from <= host < to} in {@link ArchiveLayout#HOST_ORDER}. */
    public record Range(Optional<String> from, Optional<String> to) {
        public Range {
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
            from.ifPresent(ArchiveLayout::requireValidHostId);
            to.ifPresent(ArchiveLayout::requireValidHostId);
        }

        /** From the context values bound by a step-scoped bean (absent keys bind as null). */
        public static Range ofContext(String from, String to) {
            return new Range(Optional.ofNullable(from).filter(s -> !s.isEmpty()), Optional.ofNullable(to).filter(s -> !s.isEmpty()));
        }

        public boolean contains(String host) {
            return from.map(f -> ArchiveLayout.HOST_ORDER.compare(f, host) <= 0).orElse(true)
                    && to.map(t -> ArchiveLayout.HOST_ORDER.compare(host, t) < 0).orElse(true);
        }

        /** The store's hosts in this range, listed from {@code from} on (not from the start); the caller closes it. */
        public Stream<String> hosts(ArchiveStore store) throws IOException {
            ChainIndex index = new ChainIndex(store);
            Stream<String> s = from.isPresent() ? index.hostsFrom(from.get()) : index.hosts();
            return s.takeWhile(this::contains);
        }
    }

    /** How the hosts were cut; kept in the manager step's context. */
    sealed interface Plan {
        record PerHost() implements Plan {}

        /** {@code starts.get(k)} is the first host of range k (at planning time); {@code hosts} were counted. */
        record Ranges(List<String> starts, long hosts) implements Plan {
            public Ranges { starts = List.copyOf(starts); }
        }
    }

    private final Hosts hosts;
    private final Predicate<String> perHostFilter;
    private final LongConsumer total;
    private final int maxPartitions;
    private final boolean rangesAllowed;
    private final Optional<JobRepository> repository;

    /**
     * @param perHostFilter applied to hosts in per-host mode (a range's worker applies it itself)
     * @param total         told the number of hosts to do (progress display)
     * @param rangesAllowed false for an explicit host list (a user's command line is not what grows)
     * @param repository    stores the plan in the manager step's context (empty: tests without a step)
     */
    public HostPartitioner(Hosts hosts, Predicate<String> perHostFilter, LongConsumer total, int maxPartitions, boolean rangesAllowed,
                           Optional<JobRepository> repository) {
        this.hosts = Objects.requireNonNull(hosts, "hosts");
        this.perHostFilter = Objects.requireNonNull(perHostFilter, "perHostFilter");
        this.total = Objects.requireNonNull(total, "total");
        if (maxPartitions < 1) throw new IllegalArgumentException("maxPartitions < 1: " + maxPartitions);
        this.maxPartitions = maxPartitions;
        this.rangesAllowed = rangesAllowed;
        this.repository = Objects.requireNonNull(repository, "repository");
    }

    @Override
    public Map<String, ExecutionContext> partition(int gridSize) {
        Optional<StepExecution> manager = Optional.ofNullable(StepSynchronizationManager.getContext()).map(StepContext::getStepExecution);
        Optional<Plan> stored = manager.flatMap(m -> read(m.getExecutionContext()));
        List<String> listed = null;
        Plan plan;
        if (stored.isPresent()) {
            plan = stored.get();
        } else {
            Planned p = plan();
            plan = p.plan();
            listed = p.hosts();
            if (manager.isPresent() && repository.isPresent()) {
                write(plan, manager.get().getExecutionContext());
                repository.get().updateExecutionContext(manager.get());
            }
        }
        Map<String, ExecutionContext> partitions = new LinkedHashMap<>();
        if (plan instanceof Plan.Ranges r) {
            for (int k = 0; k < r.starts().size(); k++) {
                ExecutionContext c = new ExecutionContext();
                if (k > 0) c.putString(FROM_HOST, r.starts().get(k));
                if (k + 1 < r.starts().size()) c.putString(TO_HOST, r.starts().get(k + 1));
                partitions.put(rangeName(k), c);
            }
            total.accept(r.hosts());
            return partitions;
        }
        List<String> perHost = listed != null ? listed : listAll();
        // The filter (the verify window: one or two manifest reads per host) on a few threads.
        List<Boolean> keep = OrderedParallel.map(perHost, perHostFilter::test, OrderedParallel.PLANNING_THREADS);
        for (int i = 0; i < perHost.size(); i++) {
            if (!keep.get(i)) continue;
            String h = perHost.get(i);
            ExecutionContext c = new ExecutionContext();
            c.putString(HOST_ID, h);
            partitions.put(partitionName(h), c);
        }
        total.accept(partitions.size());
        return partitions;
    }

    static String rangeName(int k) { return RANGE_PREFIX + String.format("%04d", k); }

    /**
     * Longest partition name: Batch's STEP_NAME column is VARCHAR(100) and a worker step execution is
     * named {@code <step>:<partition>} (steps of 11 characters here) plus, for a part of a long chain,
     * {@code .part-0000}. Host ids may have 128 characters.
     */
    public static final int MAX_NAME = 78;

    /**
     * The partition of one host: {@code host-<id>}, or for an id too long for that,
     * {@code host-<first 56 characters>~<16 hex digits of SHA-256(id)>}: unique, stable across
     * restarts (Batch finds the partitions of a restart by name), and the context names the host.
     */
    public static String partitionName(String host) {
        String plain = PARTITION_PREFIX + ArchiveLayout.requireValidHostId(host);
        if (plain.length() <= MAX_NAME) return plain;
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(host.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String hex = java.util.HexFormat.of().formatHex(d, 0, 8);
            return PARTITION_PREFIX + host.substring(0, MAX_NAME - PARTITION_PREFIX.length() - 1 - hex.length()) + "~" + hex;
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    private record Planned(Plan plan, List<String> hosts) {}

    /** One pass: every {@code size}-th host starts a range; the size doubles when ranges exceed the cap. */
    private Planned plan() {
        List<String> starts = new ArrayList<>();
        long count = 0;
        long size = 1;
        try (Stream<String> s = hosts.open()) {
            for (Iterator<String> it = s.iterator(); it.hasNext(); ) {
                String h = it.next();
                if (count % size == 0) {
                    starts.add(h);
                    if (rangesAllowed && starts.size() > maxPartitions) {
                        List<String> kept = new ArrayList<>(starts.size() / 2 + 1);
                        for (int i = 0; i < starts.size(); i += 2) kept.add(starts.get(i));
                        starts = kept;
                        size *= 2;
                    }
                }
                count++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the hosts of the archive: " + e.getMessage(), e);
        }
        if (size == 1) return new Planned(new Plan.PerHost(), starts);
        return new Planned(new Plan.Ranges(starts, count), List.of());
    }

    private List<String> listAll() {
        List<String> all = new ArrayList<>();
        try (Stream<String> s = hosts.open()) {
            s.forEach(all::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the hosts of the archive: " + e.getMessage(), e);
        }
        return all;
    }

    static void write(Plan plan, ExecutionContext c) {
        if (plan instanceof Plan.Ranges r) {
            c.putString(PLAN_MODE, "ranges");
            c.putString(PLAN_STARTS, String.join(",", r.starts())); // host ids contain no ','
            c.putLong(PLAN_HOSTS, r.hosts());
        } else {
            c.putString(PLAN_MODE, "per-host");
        }
    }

    static Optional<Plan> read(ExecutionContext c) {
        if (!c.containsKey(PLAN_MODE)) return Optional.empty();
        if ("ranges".equals(c.getString(PLAN_MODE))) {
            return Optional.of(new Plan.Ranges(Arrays.asList(c.getString(PLAN_STARTS).split(",")), c.getLong(PLAN_HOSTS)));
        }
        return Optional.of(new Plan.PerHost());
    }
}

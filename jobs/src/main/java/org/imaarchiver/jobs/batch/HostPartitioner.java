package org.imaarchiver.jobs.batch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import org.springframework.batch.core.partition.Partitioner;
import org.springframework.batch.infrastructure.item.ExecutionContext;

/**
 * One partition per host, named {@code host-<id>} so a worker step execution is {@code <step>:host-<id>}
 * and a failed step names its host. The input context holds only {@value #HOST_ID}. The grid size is
 * ignored: hosts are the unit of work and of restart. Batch calls this again on a restart and re-runs
 * only the partitions not COMPLETED before. Shared by {@code reverifyJob} and {@code compactJob}.
 */
public final class HostPartitioner implements Partitioner {
    /** The worker's input key. */
    public static final String HOST_ID = "hostId";
    public static final String PARTITION_PREFIX = "host-";

    /** The hosts to partition, ascending; opened once per {@link #partition} call. */
    @FunctionalInterface
    public interface Hosts {
        Stream<String> open() throws IOException;
    }

    private final Hosts hosts;
    private final LongConsumer total;

    /** @param total told the number of partitions (progress display) */
    public HostPartitioner(Hosts hosts, LongConsumer total) {
        this.hosts = Objects.requireNonNull(hosts, "hosts");
        this.total = Objects.requireNonNull(total, "total");
    }

    @Override
    public Map<String, ExecutionContext> partition(int gridSize) {
        Map<String, ExecutionContext> partitions = new LinkedHashMap<>();
        try (Stream<String> s = hosts.open()) {
            s.forEach(h -> {
                ExecutionContext c = new ExecutionContext();
                c.putString(HOST_ID, h);
                partitions.put(PARTITION_PREFIX + h, c);
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the hosts of the archive", e);
        }
        total.accept(partitions.size());
        return partitions;
    }
}

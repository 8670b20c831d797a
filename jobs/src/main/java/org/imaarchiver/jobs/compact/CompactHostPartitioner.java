package org.imaarchiver.jobs.compact;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import org.imaarchiver.jobs.batch.HostProgress;
import org.springframework.batch.core.partition.Partitioner;
import org.springframework.batch.infrastructure.item.ExecutionContext;

/**
 * One partition per host, named {@code host-<id>} so the worker's step execution is
 * {@code compactHost:host-<id>}; the input context holds only {@value #HOST_ID}. Batch calls this
 * again on a restart and re-runs only the partitions not COMPLETED before.
 */
final class CompactHostPartitioner implements Partitioner {
    static final String HOST_ID = "hostId";
    static final String PARTITION_PREFIX = "host-";

    private final CompactHosts hosts;
    private final HostProgress progress;

    CompactHostPartitioner(CompactHosts hosts, HostProgress progress) {
        this.hosts = Objects.requireNonNull(hosts, "hosts");
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    @Override
    public Map<String, ExecutionContext> partition(int gridSize) {
        Map<String, ExecutionContext> partitions = new LinkedHashMap<>();
        try (Stream<String> s = hosts.hosts()) {
            s.forEach(h -> {
                ExecutionContext c = new ExecutionContext();
                c.putString(HOST_ID, h);
                partitions.put(PARTITION_PREFIX + h, c);
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the hosts of the archive", e);
        }
        progress.total(partitions.size());
        return partitions;
    }
}

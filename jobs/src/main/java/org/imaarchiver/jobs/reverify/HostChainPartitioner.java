package org.imaarchiver.jobs.reverify;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import org.springframework.batch.core.partition.Partitioner;
import org.springframework.batch.infrastructure.item.ExecutionContext;

/**
 * One partition per host chain, named {@code host-<id>} so the worker's step execution is
 * {@code verifyChain:host-<id>} and a failed step names its host. The input context holds only
 * {@value #HOST_ID}. The grid size is ignored: hosts are the unit of work and of restart. Batch
 * calls this again on a restart and re-runs only the partitions not COMPLETED before.
 */
final class HostChainPartitioner implements Partitioner {
    /** The worker's input key. */
    static final String HOST_ID = "hostId";
    static final String PARTITION_PREFIX = "host-";

    private final HostSource hosts;
    private final Progress progress;

    HostChainPartitioner(HostSource hosts, Progress progress) {
        this.hosts = Objects.requireNonNull(hosts, "hosts");
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    @Override
    public Map<String, ExecutionContext> partition(int gridSize) {
        Map<String, ExecutionContext> partitions = new LinkedHashMap<>();
        try (Stream<String> s = hosts.hosts()) {
            s.filter(hosts::inWindow).forEach(h -> {
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

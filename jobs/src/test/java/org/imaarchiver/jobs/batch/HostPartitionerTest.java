package org.imaarchiver.jobs.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.batch.infrastructure.item.ExecutionContext;

/** The partition plan: per host up to the cap, else at most the cap of ranges that cover every host id once. */
class HostPartitionerTest {
    static List<String> hosts(int n) {
        // Ids whose key order differs from String order ("h-1" < "h" in key order) are mixed in.
        return IntStream.range(0, n).mapToObj(i -> (i % 3 == 0 ? "h-" : i % 3 == 1 ? "h" : "h.") + i)
                .sorted(ArchiveLayout.HOST_ORDER).collect(Collectors.toList());
    }

    @ParameterizedTest(name = "{0} hosts, at most {1} partitions")
    @CsvSource({"0,4", "1,1", "4,4", "5,4", "9,2", "10,3", "1000,7", "1000,64", "4097,1024", "333,1"})
    void everyHostInExactlyOnePartitionAndNoMoreThanTheCap(int n, int max) {
        List<String> hosts = hosts(n);
        AtomicLong total = new AtomicLong(-1);
        HostPartitioner p = new HostPartitioner(hosts::stream, h -> true, total::set, max, true, Optional.empty());
        Map<String, ExecutionContext> parts = p.partition(1);
        assertThat(parts.size()).isLessThanOrEqualTo(Math.max(max, 0));
        assertThat(total.get()).isEqualTo(n);
        if (n <= max) {
            assertThat(parts.keySet()).containsExactlyElementsOf(hosts.stream().map(h -> "host-" + h).toList());
            parts.forEach((name, c) -> assertThat(c.getString(HostPartitioner.HOST_ID)).isEqualTo(name.substring(5)));
            return;
        }
        List<HostPartitioner.Range> ranges = new ArrayList<>();
        parts.values().forEach(c -> ranges.add(HostPartitioner.Range.ofContext(
                c.containsKey(HostPartitioner.FROM_HOST) ? c.getString(HostPartitioner.FROM_HOST) : null,
                c.containsKey(HostPartitioner.TO_HOST) ? c.getString(HostPartitioner.TO_HOST) : null)));
        List<Integer> sizes = new ArrayList<>();
        for (HostPartitioner.Range r : ranges) sizes.add((int) hosts.stream().filter(r::contains).count());
        for (String h : hosts) assertThat(ranges.stream().filter(r -> r.contains(h)).count()).as(h).isEqualTo(1);
        // Hosts added after planning land in exactly one range too.
        for (String h : List.of("a", "h", "h-", "h0", "zzz", "H")) {
            assertThat(ranges.stream().filter(r -> r.contains(h)).count()).as(h).isEqualTo(1);
        }
        // Balanced: all ranges but the last have one size; the last is not larger.
        int size = sizes.get(0);
        if (sizes.size() > 1) assertThat(sizes.subList(0, sizes.size() - 1)).containsOnly(size);
        assertThat(sizes.get(sizes.size() - 1)).isBetween(1, size);
        assertThat(parts.keySet()).allMatch(k -> k.startsWith("hosts-"));
    }

    @org.junit.jupiter.api.Test
    void partitionNamesFitBatchsStepNameColumnAndStayUnique() {
        java.util.Set<String> names = new java.util.HashSet<>();
        for (int len = 1; len <= ArchiveLayout.MAX_HOST_ID_LENGTH; len++) {
            for (char last : new char[] {'a', 'b'}) {
                String id = "h".repeat(len - 1) + last;
                String name = HostPartitioner.partitionName(id);
                // worker step "verifyChain:" + name + ".part-0000" must fit VARCHAR(100)
                assertThat(("verifyChain:" + name + ".part-0000").length()).as(id).isLessThanOrEqualTo(100);
                assertThat(names.add(name)).as("unique: %s", id).isTrue();
                if (("host-" + id).length() <= HostPartitioner.MAX_NAME) assertThat(name).isEqualTo("host-" + id);
                assertThat(HostPartitioner.partitionName(id)).isEqualTo(name); // stable
            }
        }
    }

    @ParameterizedTest(name = "{0} named hosts, cap {1}")
    @CsvSource({"10,3", "50,7"})
    void namedHostsAreNeverCutIntoRanges(int n, int max) {
        List<String> hosts = hosts(n);
        HostPartitioner p = new HostPartitioner(hosts::stream, h -> !h.endsWith("7"), x -> {}, max, false, Optional.empty());
        Map<String, ExecutionContext> parts = p.partition(1);
        assertThat(parts.keySet()).containsExactlyElementsOf(hosts.stream().filter(h -> !h.endsWith("7")).map(h -> "host-" + h).toList());
    }
}

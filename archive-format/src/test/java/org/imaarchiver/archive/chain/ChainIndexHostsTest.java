package org.imaarchiver.archive.chain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.imaarchiver.archive.store.LocalDirectoryStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Host listing order and listing from a host (what range partitions of the bulk jobs rely on). */
class ChainIndexHostsTest {
    // Ids whose plain String order differs from the key order ('-' and '.' sort before '/').
    static final List<String> HOSTS = List.of("web", "web-1", "web.2", "web0", "web-1a", "a", "A9", "we", "web-", "z.z");

    @Test
    void hostsComeInKeyOrderAndListingFromAHostGivesTheTail(@TempDir Path dir) throws Exception {
        LocalDirectoryStore store = LocalDirectoryStore.open(dir);
        List<String> shuffled = new ArrayList<>(HOSTS);
        Collections.shuffle(shuffled, new Random(3));
        for (String h : shuffled) {
            for (long seq = 0; seq < 3; seq++) {
                store.createNew(ArchiveLayout.manifestKey(h, seq), (h + seq).getBytes(StandardCharsets.UTF_8));
                store.createNew(ArchiveLayout.key(h, seq, ArchiveLayout.ObjectKind.SEGMENT), new byte[] {1});
            }
        }
        // Independent expectation: the order of the hosts' key prefixes.
        List<String> expected = HOSTS.stream().sorted((a, b) -> ("hosts/" + a + "/").compareTo("hosts/" + b + "/"))
                .collect(Collectors.toList());
        ChainIndex index = new ChainIndex(store);
        try (Stream<String> s = index.hosts()) {
            assertThat(s).containsExactlyElementsOf(expected);
        }
        assertThat(HOSTS.stream().sorted(ArchiveLayout.HOST_ORDER)).containsExactlyElementsOf(expected);
        for (int i = 0; i < expected.size(); i++) {
            try (Stream<String> s = index.hostsFrom(expected.get(i))) {
                assertThat(s).as("from %s", expected.get(i)).containsExactlyElementsOf(expected.subList(i, expected.size()));
            }
        }
        // A host that is not in the archive: the listing starts where it would be.
        try (Stream<String> s = index.hostsFrom("web-0")) {
            assertThat(s).containsExactlyElementsOf(expected.stream().filter(h -> ArchiveLayout.HOST_ORDER.compare(h, "web-0") > 0)
                    .collect(Collectors.toList()));
        }
    }
}

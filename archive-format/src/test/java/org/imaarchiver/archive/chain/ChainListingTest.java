package org.imaarchiver.archive.chain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.imaarchiver.archive.chain.ArchiveLayout.ObjectKind;
import org.junit.jupiter.api.Test;

/** Range names of compacted segments and which names form the chain (docs/archive-format.md §9, §16.4). */
class ChainListingTest {
    static final String H = "web-01";

    @Test
    void rangeKeysParseAndSortBeforeTheirFirstPart() {
        String k = ArchiveLayout.rangeKey(H, 3, 5, ObjectKind.COMMIT);
        assertThat(k).isEqualTo("hosts/web-01/segments/0000000003-0000000005.commit");
        ArchiveLayout.ObjectName n = ArchiveLayout.parse(k).orElseThrow();
        assertThat(n.sequence()).isEqualTo(3);
        assertThat(n.lastSequence()).isEqualTo(5);
        assertThat(n.range()).isTrue();
        assertThat(n.kind()).isEqualTo(ObjectKind.COMMIT);
        assertThat(n.key()).isEqualTo(k);
        // Commit objects exist for ranges only; reversed ranges are not archive keys.
        assertThat(ArchiveLayout.parse("hosts/web-01/segments/0000000003.commit")).isEmpty();
        assertThat(ArchiveLayout.parse("hosts/web-01/segments/0000000005-0000000003.parquet")).isEmpty();
        assertThat(ArchiveLayout.parse("hosts/web-01/segments/0000000003-000000000x.parquet")).isEmpty();
        // Byte order: the range sorts just before the plain segment it starts with, after the one before.
        List<String> keys = new ArrayList<>(List.of(ArchiveLayout.manifestKey(H, 3), ArchiveLayout.rangeKey(H, 3, 5, ObjectKind.MANIFEST),
                ArchiveLayout.manifestKey(H, 2)));
        keys.sort(String::compareTo);
        assertThat(keys).containsExactly(ArchiveLayout.manifestKey(H, 2), ArchiveLayout.rangeKey(H, 3, 5, ObjectKind.MANIFEST),
                ArchiveLayout.manifestKey(H, 3));
    }

    private static Stream<String> plain(long seq) {
        return Stream.of(ObjectKind.SEGMENT, ObjectKind.MANIFEST, ObjectKind.SIGNATURE).map(k -> ArchiveLayout.key(H, seq, k));
    }

    private static Stream<String> range(long first, long last, boolean commit) {
        return Stream.of(ObjectKind.values()).filter(k -> commit || k != ObjectKind.COMMIT)
                .map(k -> ArchiveLayout.rangeKey(H, first, last, k));
    }

    @Test
    void switchedRangesReplaceTheirPartsStagedOnesDoNot() {
        Stream<String> keys = Stream.of(plain(0), plain(1), plain(2), plain(3), plain(4), plain(5), plain(6),
                range(1, 2, true), range(1, 4, true), range(5, 6, false), Stream.of("hosts/other/segments/0000000000.parquet"))
                .flatMap(s -> s).sorted();
        ChainListing l = ChainListing.of(H, keys);
        assertThat(l.effective()).extracting(u -> u.firstSequence() + "-" + u.lastSequence())
                .containsExactly("0-0", "1-4", "5-5", "6-6");
        assertThat(l.superseded()).extracting(u -> u.firstSequence() + "-" + u.lastSequence() + (u.range() ? "r" : ""))
                .containsExactly("1-1", "1-2r", "2-2", "3-3", "4-4");
        assertThat(l.staged()).extracting(u -> u.firstSequence() + "-" + u.lastSequence()).containsExactly("5-6");
        SegmentUnit r = l.effective().get(1);
        assertThat(r.listedKeys()).last().isEqualTo(ArchiveLayout.rangeKey(H, 1, 4, ObjectKind.COMMIT));
    }
}

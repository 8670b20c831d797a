package org.imaarchiver.archive.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.imaarchiver.archive.store.StoreKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ArchiveLayoutTest {
    @Test
    void keysAreZeroPaddedAndParseBack() {
        assertThat(ArchiveLayout.segmentKey("web-01.example", 7)).isEqualTo("hosts/web-01.example/segments/0000000007.parquet");
        assertThat(ArchiveLayout.manifestKey("h", 0)).isEqualTo("hosts/h/segments/0000000000.manifest.json");
        assertThat(ArchiveLayout.signatureKey("h", 12)).isEqualTo("hosts/h/segments/0000000012.manifest.cms");
        assertThat(ArchiveLayout.parse("hosts/h/segments/0000000012.manifest.cms"))
                .contains(new ArchiveLayout.ObjectName("h", 12, ArchiveLayout.ObjectKind.SIGNATURE));
        for (String k : List.of("hosts/h/segments/12.parquet", "hosts/h/segments/0000000012.json", "hosts/h/other/0000000001.parquet",
                "other/h/segments/0000000001.parquet", "hosts/-h/segments/0000000001.parquet", "hosts/h/segments/000000001x.parquet")) {
            assertThat(ArchiveLayout.parse(k)).as(k).isEmpty();
        }
        assertThat(StoreKeys.isValidKey(ArchiveLayout.segmentKey("h", ArchiveLayout.MAX_SEQUENCE))).isTrue();
        assertThatThrownBy(() -> ArchiveLayout.segmentKey("h", ArchiveLayout.MAX_SEQUENCE + 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void keyOrderIsChainOrder() {
        List<String> keys = Stream.of(10L, 9L, 100L, 0L).map(s -> ArchiveLayout.segmentKey("h", s)).sorted().collect(Collectors.toList());
        assertThat(keys).extracting(k -> ArchiveLayout.parse(k).map(ArchiveLayout.ObjectName::sequence).orElseThrow())
                .containsExactly(0L, 9L, 10L, 100L);
        // A host that is a prefix of another does not share its listing prefix.
        assertThat(ArchiveLayout.segmentKey("h10", 0)).doesNotStartWith(ArchiveLayout.segmentsPrefix("h1"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-host", ".host", "_x", "a/b", "a b", "ä", "a:b", "..", "h\u0000"})
    void rejectsUnsafeHostIds(String host) {
        assertThat(ArchiveLayout.isValidHostId(host)).isFalse();
        assertThatThrownBy(() -> ArchiveLayout.segmentsPrefix(host)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void acceptsOrdinaryHostIds() {
        for (String h : List.of("h", "web-01", "db_2.prod.example.com", "A9", "x".repeat(128))) {
            assertThat(ArchiveLayout.isValidHostId(h)).as(h).isTrue();
        }
        assertThat(ArchiveLayout.isValidHostId("x".repeat(129))).isFalse();
    }
}

package org.imaarchiver.e2e.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.imaarchiver.e2e.archive.ArchiveCli.HOST;
import static org.imaarchiver.e2e.archive.ArchiveCli.NONCE_200;
import static org.imaarchiver.e2e.archive.ArchiveCli.NONCE_362;
import static org.imaarchiver.e2e.archive.ArchiveCli.packArgs;
import static org.imaarchiver.e2e.archive.ArchiveCli.run;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.imaarchiver.replay.json.Json;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code inspect SEGMENT}: the manifest of a packed segment, and {@code --records} lines identical to
 * the corresponding lines of {@code inspect LOG} on the source list (the independent rendering of the
 * same records from the kernel's binary list).
 */
class SegmentInspectTest {
    @TempDir Path dir;
    private Path store;
    private String key0;
    private String key1;

    @BeforeEach
    void pack() throws Exception {
        Path keys = dir.resolve("keys");
        assertThat(run("keygen", "--out", keys.toString()).code()).isZero();
        store = dir.resolve("archive");
        ArchiveCli.Result p0 = run(packArgs(200, NONCE_200, keys, store.toString()));
        assertThat(p0.code()).as(p0.toString()).isZero();
        ArchiveCli.Result p1 = run(packArgs(362, NONCE_362, keys, store.toString()));
        assertThat(p1.code()).as(p1.toString()).isZero();
        key0 = (String) p0.json().get("segment");
        key1 = (String) p1.json().get("segment");
    }

    @Test
    void manifestIsShown() {
        ArchiveCli.Result r = run("inspect", store.resolve(key1).toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains(HOST).contains("200..361 (162)").contains("resetCount")
                .contains(ArchiveCli.NONCE_362).contains("previous:").doesNotContain("none (first segment");
        ArchiveCli.Result first = run("inspect", store.resolve(key0).toString());
        assertThat(first.out()).contains("0..199 (200)").contains("none (first segment");
    }

    @Test
    void manifestAsJson() throws Exception {
        ArchiveCli.Result r = run("inspect", store.resolve(key1).toString(), "--json");
        assertThat(r.code()).as(r.toString()).isZero();
        Map<String, Object> o = r.json();
        assertThat(o.get("signed")).isEqualTo(true);
        Map<String, Object> m = Json.asObject(o.get("manifest"), "manifest");
        assertThat(m.get("hostId")).isEqualTo(HOST);
        assertThat(m.get("sequence")).isEqualTo(1L);
        assertThat(m.get("firstIndex")).isEqualTo(200L);
        assertThat(m.get("recordCount")).isEqualTo(162L);
    }

    @Test
    void recordsAreTheListsAsciiLines() throws Exception {
        ArchiveCli.Result list = run("inspect", ArchiveCli.log().toString());
        assertThat(list.code()).as(list.toString()).isZero();
        List<String> all = list.out().lines().toList();
        assertThat(all).hasSize(362);

        for (String key : List.of(key0, key1)) {
            ArchiveCli.Result r = run("inspect", store.resolve(key).toString(), "--records");
            assertThat(r.code()).as(r.toString()).isZero();
            List<String> lines = r.out().lines().toList();
            List<String> expected = key.equals(key0) ? all.subList(0, 200) : all.subList(200, 362);
            assertThat(lines.subList(lines.size() - expected.size(), lines.size())).isEqualTo(expected);
        }

        // the same through the store, by key
        ArchiveCli.Result viaStore = run("inspect", key1, "--store", store.toString(), "--records");
        assertThat(viaStore.code()).as(viaStore.toString()).isZero();
        List<String> lines = viaStore.out().lines().toList();
        assertThat(lines.subList(lines.size() - 162, lines.size())).isEqualTo(all.subList(200, 362));
    }

    @Test
    void notASegment() throws Exception {
        Path fake = dir.resolve("fake.parquet");
        Files.write(fake, "PAR1 this is not parquet PAR1".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        ArchiveCli.Result r = run("inspect", fake.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(2);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(run("inspect", "hosts/x/segments/0000000000.parquet", "--store", store.toString()).code()).isEqualTo(2);
    }
}

package org.imaarchiver.archive.chain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.LocalDirectoryStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A segment large enough for the parallel replay (one segment, spare cores): the one-pass check, whose
 * replay pulls rows on a reader thread and whose caller drains the rest, verifies it exactly as the
 * sequential replay does.
 */
class ChainParallelReplayTest {
    @TempDir Path dir;

    @Test
    void largeSegmentVerifiesAlikeWithParallelAndSequentialReplay() throws Exception {
        ArchiveFixture fixture = new ArchiveFixture();
        FakeTpm tpm = new FakeTpm(3);
        Path store = dir.resolve("store");
        // 16,500 records quoted after 16,400: one segment above the parallel-replay threshold (16,384)
        fixture.build(store, dir.resolve("work"), "big", tpm, List.of(new ArchiveFixture.Boot(9, 16_500, List.of(16_400))));
        Path trust = fixture.trustDir(dir.resolve("trust"), new String[] {"big"}, new FakeTpm[] {tpm});
        ArchiveReport parallel;
        ArchiveReport sequential;
        try (ArchiveStore s = LocalDirectoryStore.open(store)) {
            parallel = new ChainVerifier(TrustStore.load(trust), 4, dir.resolve("v4")).verify(s, ChainVerifier.HostFilter.all());
            sequential = new ChainVerifier(TrustStore.load(trust), 1, dir.resolve("v1")).verify(s, ChainVerifier.HostFilter.all());
        }
        assertThat(parallel.hosts()).hasSize(1);
        ChainReport r = parallel.hosts().get(0);
        assertThat(r.findings()).isEmpty();
        assertThat(r.segments()).isEqualTo(1);
        assertThat(r.records()).isEqualTo(16_400);
        assertThat(parallel).isEqualTo(sequential);
    }
}

package org.imaarchiver.jobs.host.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import org.imaarchiver.replay.pcr.Digest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostStateFileTest {
    @TempDir
    Path dir;

    @Test
    void missingFileIsEmpty() throws Exception {
        assertThat(new HostStateFile(dir.resolve("state.json")).read()).isEmpty();
    }

    @Test
    void roundTripAndReplace() throws Exception {
        HostStateFile f = new HostStateFile(dir.resolve("var/state.json"));
        HostState first = new HostState("h1", "boot-7", 0, Optional.empty(), Instant.parse("2026-11-27T02:00:00Z"));
        f.write(first);
        assertThat(f.read()).contains(first);
        HostState second = new HostState("h1", "boot-7", 1234,
                Optional.of(new HostState.SegmentRef(3, Digest.ofHex("00".repeat(31) + "ff"))), Instant.parse("2026-11-28T02:00:01.5Z"));
        f.write(second);
        assertThat(new HostStateFile(dir.resolve("var/state.json")).read()).contains(second);
        // the temporary file is gone: only the state remains
        try (var files = Files.list(dir.resolve("var"))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("state.json");
        }
    }

    @Test
    void foreignContentIsRefused() throws Exception {
        Path p = Files.writeString(dir.resolve("state.json"), "{\"version\":1,\"hostId\":\"h\"}");
        assertThatThrownBy(() -> new HostStateFile(p).read()).isInstanceOf(StateFileException.class);
        Files.writeString(p, "{\"version\":2}");
        assertThatThrownBy(() -> new HostStateFile(p).read()).isInstanceOf(StateFileException.class);
    }
}

package org.imaarchiver.cli.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.imaarchiver.cli.ExitCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bench's fleet generator makes chains the verifier accepts, with the shape asked for, and a
 * second generation over a complete fleet generates nothing (resumable).
 */
class FleetArchiveTest {
    @TempDir Path dir;

    @Test
    void generatedFleetVerifiesWithTheRequestedShape() throws Exception {
        FleetArchive.Shape shape = new FleetArchive.Shape(3, 4, 30, 10);
        FleetArchive fleet = new FleetArchive(dir.resolve("fleet"), shape);
        PrintStream log = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertThat(fleet.generate(2, log)).isEqualTo(3);
        assertThat(fleet.generate(2, log)).isZero();

        VerifyCommandTest.Result r = VerifyCommandTest.run(List.of("verify", fleet.archive().toString(), "--trust",
                fleet.trust().toString(), "--state", dir.resolve("state").toString(), "--progress", "none", "--json", "-"));
        assertThat(r.code()).as(r.toString()).isEqualTo(ExitCode.OK);
        Map<String, Map<String, Object>> hosts = VerifyCommandTest.hosts(r.json());
        assertThat(hosts).containsOnlyKeys(FleetArchive.hostId(0), FleetArchive.hostId(1), FleetArchive.hostId(2));
        for (Map<String, Object> h : hosts.values()) {
            assertThat(h).containsEntry("status", "ok").containsEntry("segments", 4L).containsEntry("records", 30L + 3 * 10L);
        }
        assertThat(Files.list(fleet.trust().resolve("hosts")).count()).isEqualTo(3);
    }
}

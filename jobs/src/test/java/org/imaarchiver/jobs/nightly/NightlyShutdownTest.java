package org.imaarchiver.jobs.nightly;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.assertj.core.groups.Tuple;
import org.imaarchiver.cli.ExitCode;
import org.imaarchiver.cli.Main;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run at shutdown ({@code archive --at-shutdown}) end to end on swtpm + the imafs emulator, with
 * reboots as in {@link NightlyJobTest} (emulator {@code reboot}, TPM Reset, a new boot_aggregate):
 * boot 1 ends with a shutdown run that archives its tail, boot 2 ends without one (its tail is lost),
 * boot 3 is running, then also closed by a shutdown run with nothing new. {@code verify} (the CLI)
 * reports boot 1 closed, boot 2 not closed (a warning; a failure with {@code --require-closed-boots}),
 * boot 3 open (current), then closed. Expected values come from what the test measured and when it
 * rebooted, not from the verifier.
 */
class NightlyShutdownTest {
    @TempDir Path dir;

    record Verify(int code, Map<String, Object> host, String summary) {}

    @SuppressWarnings("unchecked")
    private Verify verify(NightlyHarness h, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("verify", h.archive.toString(), "--trust", h.trust.toString(),
                "--state", dir.resolve("verify-state").toString(), "--progress", "none", "--json", "-", "--fresh"));
        args.addAll(List.of(extra));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String json = out.toString(StandardCharsets.UTF_8);
        Map<String, Object> report = Json.asObject(Json.parse(json), "report");
        return new Verify(code, (Map<String, Object>) ((List<Object>) report.get("hosts")).get(0), err.toString(StandardCharsets.UTF_8));
    }

    @SuppressWarnings("unchecked")
    private static List<Tuple> boots(Verify v) {
        return ((List<Object>) v.host().get("boots")).stream().map(o -> (Map<String, Object>) o)
                .map(b -> Tuple.tuple(b.get("bootCounter"), b.get("records"), b.get("closed"), b.get("current"))).toList();
    }

    private static String status(NightlyHarness h) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StatusReport.print(h.settings(), new PrintStream(out, true, StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    private static void reboot(NightlyHarness h, String bootAggregate) throws Exception {
        h.emu.ok("reboot");
        h.rebootTpm();
        h.bootAggregate(bootAggregate);
    }

    @Test
    void aBootClosedAtShutdownVerifiesClosedAndOneThatWasNotIsReported() throws Exception {
        try (NightlyHarness h = new NightlyHarness(dir)) {
            h.bootAggregate("1");
            h.measure(20);
            assertThat(h.archiveInProcess().exitCode()).isZero();
            h.measure(7); // measured after the last nightly run: the tail the shutdown run archives
            NightlyHarness.Result shutdown = h.archiveAtShutdownInProcess();
            assertThat(shutdown.exitCode()).as(shutdown.output()).isEqualTo(RunOutcome.ARCHIVED_AND_TRIMMED.exitCode());
            assertThat(shutdown.output()).contains("records_archived=7", "run=shutdown");
            assertThat(h.archivedRecords()).containsExactlyElementsOf(h.measured);
            assertThat(status(h)).contains("closes its boot (a run at shutdown)");

            reboot(h, "2");
            h.measure(10);
            assertThat(h.archiveInProcess().exitCode()).isZero();
            List<Bytes> archivedBeforeTail = new ArrayList<>(h.measured);
            h.measure(4); // no shutdown run before the next reboot: these four are lost
            reboot(h, "3");
            h.measure(5);
            assertThat(h.archiveInProcess().exitCode()).isZero();
            List<Bytes> expected = new ArrayList<>(archivedBeforeTail);
            expected.addAll(h.measured.subList(h.measured.size() - 6, h.measured.size())); // boot 3: boot_aggregate + 5
            assertThat(h.archivedRecords()).containsExactlyElementsOf(expected);
            assertThat(status(h)).contains("boot 2, next index 6, boot still open").doesNotContain("closes its boot");

            // boot counters 0, 1, 2; records per boot: 1 + 20 + 7, 1 + 10 (the 4 after its last run lost), 1 + 5
            Verify v = verify(h);
            assertThat(v.code()).as(v.summary()).isEqualTo(ExitCode.OK);
            assertThat(v.host()).containsEntry("status", "ok");
            assertThat(boots(v)).containsExactly(Tuple.tuple(0L, 28L, true, false), Tuple.tuple(1L, 11L, false, false),
                    Tuple.tuple(2L, 6L, false, true));
            assertThat((List<Object>) v.host().get("warnings")).singleElement().satisfies(w -> assertThat((Map<String, Object>) w)
                    .containsEntry("kind", "unclosed-boot").containsEntry("segment", 2L)); // segments: 0, 1 (closing), 2 (boot 1), 3
            assertThat(v.summary()).contains("boot 0: segments 0..1, 28 records (0..27), closed",
                    "boot 1: segments 2..2, 11 records (0..10), NOT CLOSED", "boot 2: segments 3..3, 6 records (0..5), open (current)",
                    "warning: unclosed-boot segment 2");

            Verify required = verify(h, "--require-closed-boots");
            assertThat(required.code()).as(required.summary()).isEqualTo(ExitCode.NOT_VERIFIED);
            assertThat(required.host()).containsEntry("status", "failed");
            assertThat((List<Object>) required.host().get("failures")).singleElement()
                    .satisfies(f -> assertThat((Map<String, Object>) f).containsEntry("kind", "unclosed-boot"));

            // Verified in parts of two segments, the boots come out the same (a boot cut by a part boundary is one boot).
            Verify parts = verify(h, "--segments-per-partition", "2");
            assertThat(boots(parts)).isEqualTo(boots(v));

            // The run at shutdown with nothing new still closes the boot: an empty closing segment.
            NightlyHarness.Result idle = h.archiveAtShutdownInProcess();
            assertThat(idle.output()).contains("records_archived=0", "run=shutdown");
            Verify closed = verify(h);
            assertThat(closed.code()).isEqualTo(ExitCode.OK);
            assertThat(closed.host()).containsEntry("segments", 5L);
            assertThat(boots(closed)).containsExactly(Tuple.tuple(0L, 28L, true, false), Tuple.tuple(1L, 11L, false, false),
                    Tuple.tuple(2L, 6L, true, false));
        }
    }
}

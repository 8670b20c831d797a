package org.imaarchiver.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.synth.LogGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The CLI's contract: exit codes, --help, one-line errors, replay --json shape and --base continuation. */
class CliContractTest {
    @TempDir Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"replay", "check-quote", "inspect", "bench", "demo", "generate"})
    void everyCommandHasHelp(String command) {
        Cli.Result r = Cli.run(command, "--help");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("Usage:", command);
    }

    @Test
    void topLevelHelpAndUsageErrors() {
        assertThat(Cli.run("--help").code()).isZero();
        assertThat(Cli.run().code()).isEqualTo(2);
        assertThat(Cli.run("no-such-command").code()).isEqualTo(2);
        assertThat(Cli.run("replay", "--no-such-option", "x").code()).isEqualTo(2);
        assertThat(Cli.run("replay").code()).isEqualTo(2);
    }

    @Test
    void missingInputFileIsExit2NamingIt() {
        Path missing = dir.resolve("nope.bin");
        for (List<String> args : List.of(List.of("replay", missing.toString()), List.of("inspect", missing.toString()),
                List.of("check-quote", "--log", missing.toString(), "--quote", "q", "--signature", "s", "--ak", "a"))) {
            Cli.Result r = Cli.run(args);
            assertThat(r.code()).as(r.toString()).isEqualTo(2);
            assertThat(r.err()).contains("no such file", missing.toString());
            assertThat(r.err().strip().lines()).as("one line, no stack trace").hasSize(1);
        }
    }

    @Test
    void badOptionValuesAreExit2() throws Exception {
        Path f = dir.resolve("l.bin");
        LogGenerator.writeFile(f, 10, LogGenerator.Options.defaults(1));
        assertThat(Cli.run("replay", "--banks", "md5", f.toString()).code()).isEqualTo(2);
        assertThat(Cli.run("replay", "--format", "xml", f.toString()).code()).isEqualTo(2);
        assertThat(Cli.run("check-quote", "--log", f.toString(), "--pcrs", f.toString(), "--quote", "q",
                "--signature", "s", "--ak", "a").code()).as("--log and --pcrs exclude each other").isEqualTo(2);
    }

    @Test
    void missingToolsAreExit3NamingInstallDeps() {
        String old = System.getProperty("imaarchiver.toolPath");
        System.setProperty("imaarchiver.toolPath", dir.toString());
        try {
            Cli.Result demo = Cli.run("demo", "--records-per-night", "10");
            assertThat(demo.code()).as(demo.toString()).isEqualTo(3);
            assertThat(demo.err()).contains("scripts/install-deps");
            Cli.Result bench = Cli.run("bench", "--records", "10", "--evmctl", "--out", dir.resolve("b").toString());
            assertThat(bench.code()).as(bench.toString()).isEqualTo(3);
        } finally {
            if (old == null) System.clearProperty("imaarchiver.toolPath");
            else System.setProperty("imaarchiver.toolPath", old);
        }
    }

    @Test
    void generateWritesAndAppends() throws Exception {
        Path f = dir.resolve("g.bin");
        assertThat(Cli.run("generate", f.toString(), "--records", "300").code()).isZero();
        assertThat(Cli.run("generate", f.toString(), "--records", "200", "--append").code()).isZero();
        assertThat(LogGenerator.countRecords(f, 20)).isEqualTo(500);
    }

    @Test
    void negativeCountsAndIndicesAreUsageErrorsInOneLine() throws Exception {
        Path f = dir.resolve("n.bin");
        Cli.Result gen = Cli.run("generate", f.toString(), "--records", "-1");
        assertThat(gen.code()).as(gen.toString()).isEqualTo(2);
        assertThat(gen.err().strip()).isEqualTo("ima-archiver generate: --records -1: a count is 0 or more");
        assertThat(f).doesNotExist();
        LogGenerator.writeFile(f, 10, LogGenerator.Options.defaults(2));
        Cli.Result replay = Cli.run("replay", f.toString(), "--log-start", "-1");
        assertThat(replay.code()).as(replay.toString()).isEqualTo(2);
        assertThat(replay.err().strip()).isEqualTo("ima-archiver replay: --log-start -1: a record index is 0 or more");
    }

    @Test
    void replayJsonHasTheContractKeys() throws Exception {
        Path f = dir.resolve("l.bin");
        LogGenerator.Summary s = LogGenerator.writeFile(f, 3000, LogGenerator.Options.defaults(2).withViolationRate(0.01));
        Cli.Result r = Cli.run("replay", "--json", f.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        Map<String, Object> j = r.json();
        assertThat(j).containsKeys("entries", "violations", "pcrs", "state");
        assertThat(j.get("entries")).isEqualTo(3000L);
        assertThat(j.get("violations")).isEqualTo(s.violations());
        Map<String, Object> pcrs = Json.asObject(j.get("pcrs"), "pcrs");
        assertThat(pcrs).containsKey("10");
        Map<String, Object> ten = Json.asObject(pcrs.get("10"), "10");
        assertThat(ten).containsOnlyKeys("sha1", "sha256");
        assertThat((String) ten.get("sha256")).matches("[0-9a-f]{64}");
        for (var e : s.expectedPcrs().entrySet()) {
            assertThat(r.pcr(e.getKey().index(), e.getKey().algorithm())).as(e.getKey().toString()).isEqualTo(e.getValue());
        }
    }

    @Test
    void baseContinuationOfASplitListEqualsTheWhole() throws Exception {
        LogGenerator.Options o = LogGenerator.Options.defaults(4).withViolationRate(0.01);
        Path whole = dir.resolve("whole.bin");
        Path part1 = dir.resolve("part1.bin");
        Path part2 = dir.resolve("part2.bin");
        LogGenerator g = LogGenerator.newList(o);
        try (var w = Files.newOutputStream(whole); var p1 = Files.newOutputStream(part1); var p2 = Files.newOutputStream(part2)) {
            var both1 = new TeeStream(w, p1);
            g.write(both1, 1700, null);
            var both2 = new TeeStream(w, p2);
            g.write(both2, 1300, null);
        }
        Cli.Result all = Cli.run("replay", "--json", "--banks", "sha1,sha256,sha384", whole.toString());
        Cli.Result first = Cli.run("replay", "--json", "--banks", "sha1,sha256,sha384", part1.toString());
        assertThat(first.code()).as(first.toString()).isZero();
        Path state = dir.resolve("state.json");
        Files.writeString(state, first.out());
        Cli.Result second = Cli.run("replay", "--json", "--banks", "sha1,sha256,sha384", "--base", state.toString(),
                part2.toString());
        assertThat(second.code()).as(second.toString()).isZero();
        assertThat(second.json().get("pcrs")).isEqualTo(all.json().get("pcrs"));
        assertThat(second.json().get("entries")).isEqualTo(1300L);
        assertThat(second.json().get("state")).isEqualTo(all.json().get("state"));
        // the whole list continued from the same state with --log-start 0 skips the first 1700 records
        Cli.Result skip = Cli.run("replay", "--json", "--banks", "sha1,sha256,sha384", "--base", state.toString(),
                "--log-start", "0", whole.toString());
        assertThat(skip.json().get("pcrs")).isEqualTo(all.json().get("pcrs"));
        // pack's name for the same option works here too
        Cli.Result alias = Cli.run("replay", "--json", "--banks", "sha1,sha256,sha384", "--base", state.toString(),
                "--first-index", "0", whole.toString());
        assertThat(alias.json().get("state")).isEqualTo(all.json().get("state"));
        assertThat(all.pcr(10, HashAlgorithm.SHA384)).isEqualTo(second.pcr(10, HashAlgorithm.SHA384));
    }

    @Test
    void malformedListIsExit2WithRecordAndOffset() throws Exception {
        Path f = dir.resolve("l.bin");
        LogGenerator.writeFile(f, 100, LogGenerator.Options.defaults(2));
        byte[] b = Files.readAllBytes(f);
        // record 0: pcr(4) digest(20) nameLen(4): make the template name length absurd
        b[24] = (byte) 0xff;
        b[25] = (byte) 0xff;
        b[26] = (byte) 0xff;
        b[27] = (byte) 0x7f;
        Files.write(f, b);
        Cli.Result r = Cli.run("replay", f.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains(f.toString(), "record 0", "offset");
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(Cli.run("--debug", "replay", f.toString()).err()).contains("\tat ");
    }

    @Test
    void alteredRecordIsExit1AndNamed() throws Exception {
        Path f = dir.resolve("l.bin");
        LogGenerator.writeFile(f, 500, LogGenerator.Options.defaults(6).withViolationRate(0));
        byte[] b = Files.readAllBytes(f);
        // change one character of a path somewhere in the middle: the stored template digest no longer fits
        String text = new String(b, java.nio.charset.StandardCharsets.ISO_8859_1);
        int at = text.indexOf("/usr/", b.length / 2);
        b[at + 1] = 'U';
        Files.write(f, b);
        Cli.Result r = Cli.run("replay", "--json", f.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.json().get("clean")).isEqualTo(false);
        assertThat(Json.asArray(r.json().get("failures"), "failures")).hasSize(1);
        assertThat(r.err()).contains("record ");
    }

    /** Writes to two streams (the whole list and one part). */
    private static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final java.io.OutputStream b;

        TeeStream(java.io.OutputStream a, java.io.OutputStream b) { this.a = a; this.b = b; }

        @Override public void write(int x) throws java.io.IOException { a.write(x); b.write(x); }

        @Override public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}

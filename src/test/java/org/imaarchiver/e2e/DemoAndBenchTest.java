package org.imaarchiver.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.imaarchiver.replay.testsupport.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo (the nightly job on swtpm + the emulated securityfs), and a small bench run (which checks evmctl agreement itself). */
class DemoAndBenchTest {
    @TempDir Path dir;

    @Test
    void demoRunsTheNightlyJobAndTheArchiveVerifiesIndependently() throws Exception {
        Tools.require("swtpm", "swtpm");
        Tools.require("tpm2_startup", "tpm2-tools");
        requireFuse();
        Path work = dir.resolve("demo");
        Cli.Result r = Cli.run("demo", "--nights", "2", "--records-per-night", "50", "--dir", work.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).as(r.toString()).containsPattern("(?m)^verify\\s+ok\\b").containsPattern("(?m)^nights\\s+2$")
                .containsPattern("(?m)^kernel list now\\s+1 record$");
        assertThat(r.out().lines().filter(l -> l.startsWith("night ")).count()).isEqualTo(2);
        // the log view shows the whole boot although the kernel list holds one record, and evmctl
        // replays it from the boot's first record to the swtpm's PCRs (issue 12)
        assertThat(r.out()).as(r.toString()).containsPattern("(?m)^log view\\s+\\S+: 100 records of this boot \\(the kernel list holds 1\\)$");
        if (Tools.find("evmctl").isPresent() || Tools.inCi()) {
            assertThat(r.out()).as(r.toString()).containsPattern("(?m)^evmctl sha1\\s+Matched").containsPattern("(?m)^evmctl sha256\\s+Matched");
        }
        // the swtpm and the mounts are gone
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(work.resolve("emu/mnt").toString())
                .doesNotContain(work.resolve("view").toString());

        // independently: the verify command on the archive and the trust dir the demo built
        Cli.Result v = Cli.run("verify", work.resolve("archive").toString(), "--trust", work.resolve("trust").toString(),
                "--state", dir.resolve("verify-state").toString());
        assertThat(v.code()).as(v.toString()).isZero();
        assertThat(v.out()).contains("demo-host: ok, 2 segments, 100 records");
    }

    @Test
    void demoWithoutFuseSaysWhatIsMissingAndExits3() throws Exception {
        // a PATH with swtpm and tpm2_startup but no fusermount3
        Path tools = Files.createDirectories(dir.resolve("tools"));
        Files.createSymbolicLink(tools.resolve("swtpm"), Tools.require("swtpm", "swtpm"));
        Files.createSymbolicLink(tools.resolve("tpm2_startup"), Tools.require("tpm2_startup", "tpm2-tools"));
        Cli.Result r = withProperty("imaarchiver.toolPath", tools.toString(),
                () -> Cli.run("demo", "--dir", dir.resolve("no-fusermount").toString()));
        assertThat(r.code()).as(r.toString()).isEqualTo(3);
        assertThat(r.err()).as(r.toString()).contains("fusermount3", "fuse3", "/dev/fuse");

        Cli.Result noDevice = withProperty("imaarchiver.devFuse", dir.resolve("no-such-device").toString(),
                () -> Cli.run("demo", "--dir", dir.resolve("no-device").toString()));
        assertThat(noDevice.code()).as(noDevice.toString()).isEqualTo(3);
        assertThat(noDevice.err()).as(noDevice.toString()).contains(dir.resolve("no-such-device").toString());
    }

    @Test
    void demoWithoutSwtpmNamesInstallDepsAndExits3() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty-path"));
        Cli.Result r = withProperty("imaarchiver.toolPath", empty.toString(),
                () -> Cli.run("demo", "--dir", dir.resolve("work").toString()));
        assertThat(r.code()).as(r.toString()).isEqualTo(3);
        assertThat(r.err()).as(r.toString()).contains("swtpm", "scripts/install-deps");
    }

    @Test
    void benchRunsBothToolsOnTheSameListAndTheyAgree() throws Exception {
        Tools.require("evmctl", "ima-evm-utils");
        Cli.Result r = Cli.run("bench", "--records", "20000", "--repeat", "1", "--out", dir.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("evmctl Matched our PCR values", "records/s", "ratio");
    }

    private static void requireFuse() {
        if (!Files.exists(Path.of("/dev/fuse"))) {
            String msg = "/dev/fuse is missing: the demo mounts the emulated securityfs with FUSE";
            if (Tools.inCi()) throw new AssertionError(msg);
            assumeTrue(false, msg);
        }
        Tools.require("fusermount3", "fuse3");
    }

    private static Cli.Result withProperty(String key, String value, java.util.function.Supplier<Cli.Result> run) {
        String before = System.getProperty(key);
        System.setProperty(key, value);
        try {
            return run.get();
        } finally {
            if (before == null) System.clearProperty(key);
            else System.setProperty(key, before);
        }
    }
}

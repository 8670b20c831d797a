package org.imaarchiver.jobs.host.imafs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.imaarchiver.replay.testsupport.Tools;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The securityfs conformance runner (jobs/src/test/c/securityfs-conformance, docs/testing.md
 * "Securityfs conformance") against the emulator in each profile: every check the profile has must
 * be ok, none skipped. The same runner runs against a real kernel in the QEMU test bed
 * (scripts/conformance-vm), so the emulator is held to the claims the kernel is checked against.
 */
class SecurityfsConformanceTest {
    private static final long RUN_SECONDS = 120;
    private static Path runner;

    @TempDir
    Path dir;

    /** The runner's output and exit status. */
    record Run(int exit, List<String> lines) {
        List<String> failed() { return lines.stream().filter(l -> l.startsWith("FAIL")).toList(); }

        List<String> notOk() { return lines.stream().filter(l -> !l.startsWith("ok ") && !l.startsWith("# ")).toList(); }

        List<String> okNames() { return lines.stream().filter(l -> l.startsWith("ok ")).map(l -> l.substring(3)).toList(); }
    }

    @BeforeAll
    static void build() throws Exception {
        // the who-may-open checks switch to another uid and drop CAP_SYS_ADMIN in forked children
        boolean root = "0".equals(new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes(),
                StandardCharsets.US_ASCII).strip());
        String notRoot = "the securityfs conformance runner needs root (it opens as another uid and without CAP_SYS_ADMIN)";
        if (Tools.inCi()) assertThat(root).as(notRoot).isTrue();
        assumeTrue(root, notRoot);
        ImafsEmulator.binary(); // skips (or fails under CI) without FUSE or the build tools
        Path root0 = ImafsProcess.projectRoot().orElseThrow();
        Process build = new ProcessBuilder(root0.resolve("scripts/build-conformance").toString()).start();
        String out = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        String err = new String(build.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(build.waitFor(300, TimeUnit.SECONDS) && build.exitValue() == 0)
                .as("scripts/build-conformance: %s", err).isTrue();
        runner = Path.of(out);
    }

    /** The who-may-open checks run as another uid, who must reach the mount as anyone reaches /sys/kernel/security. */
    @BeforeEach
    void traversable() throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private Run run(ImafsEmulator emu, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(runner.toString(), "--measure", "emulator:" + emu.controlSocket(),
                "--banks", "sha256"));
        cmd.addAll(List.of(args));
        cmd.add(emu.mountPoint().toString());
        Path out = dir.resolve("runner.out");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(RUN_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the runner did not finish within " + RUN_SECONDS + " s: " + Files.readString(out));
        }
        return new Run(p.exitValue(), Files.readAllLines(out));
    }

    private static void assertAllOk(Run run) {
        assertThat(run.failed()).as("FAIL lines").isEmpty();
        assertThat(run.notOk()).as("lines neither ok nor comment").isEmpty();
        assertThat(run.exit()).isZero();
    }

    @Test
    void stagingProfile() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir, "--allow-other", "--banks", "sha1,sha256")) {
            Run run = run(emu, "--no-flush-htable", "--expect-profile", "staging");
            assertAllOk(run);
            assertThat(run.okNames()).contains("profile", "files.mode[binary_runtime_measurements_sha256_staged]",
                    "open.nobody-read", "open.write-without-CAP_SYS_ADMIN", "open.write-while-reader",
                    "open.read-while-writer-same-task", "write.original.zero", "write.original.no-newline",
                    "write.original.N-beyond-list", "write.staged.N", "write.staged.D-nothing-staged", "trim.N-count-drops",
                    "read.writer-fd-across-trim", "stage.staged-list-is-the-former-current[sha256]", "stage.A-again",
                    "dup.after-D", "measure.duplicate-not-recorded", "files.staged-binary-link");
        }
    }

    @Test
    void stagingWithFlushHtableProfile() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir, "--allow-other", "--flush-htable")) {
            Run run = run(emu, "--flush-htable", "--expect-profile", "staging-flush-htable");
            assertAllOk(run);
            assertThat(run.okNames()).contains("write.original.N-with-flush-htable", "dup.staged-digest-still-known",
                    "dup.after-D", "dup.current-after-D", "stage.D-leaves-current")
                    .doesNotContain("trim.N");
        }
    }

    @Test
    void noStagingProfile() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir, "--allow-other", "--no-staging")) {
            Run run = run(emu, "--expect-profile", "no-staging");
            assertAllOk(run);
            assertThat(run.okNames()).contains("files.no-staged-files", "files.mode[binary_runtime_measurements_sha1]",
                    "open.nobody-write", "write.no-staging.N", "write.no-staging.A", "open.no-staging.reader-beside-writer",
                    "list.count-matches-binary", "measure.duplicate-not-recorded");
        }
    }

    @Test
    void kexecCarriesTheStagedThenTheCurrentRecords() throws Exception {
        try (ImafsEmulator emu = ImafsEmulator.start(dir, "--allow-other")) {
            Path saved = dir.resolve("before-kexec.bin");
            assertAllOk(run(emu, "--kexec-save", saved.toString()));
            assertThat(emu.ok("count").field("staged")).contains("2");
            emu.ok("kexec");
            Run after = run(emu, "--kexec-check", saved.toString());
            assertAllOk(after);
            assertThat(after.okNames()).contains("kexec.carried-staged-then-current", "kexec.nothing-staged-after");
            assertThat(emu.currentCount()).isEqualTo(3);
        }
    }

    @Test
    void aDifferenceFailsTheRun() throws Exception {
        // `caps none`: the emulator refuses every write open, which a staging kernel allows root
        try (ImafsEmulator emu = ImafsEmulator.start(dir, "--allow-other")) {
            emu.ok("caps none");
            Run run = run(emu, "--no-flush-htable");
            assertThat(run.exit()).isEqualTo(1);
            assertThat(run.failed()).contains("FAIL open.writer: expected success, seen EPERM");
        }
        try (ImafsEmulator emu = ImafsEmulator.start(dir.resolve("second"), "--allow-other", "--no-staging")) {
            Run run = run(emu, "--expect-profile", "staging");
            assertThat(run.exit()).isEqualTo(1);
            assertThat(run.failed()).contains("FAIL profile: expected staging, seen no-staging");
        }
    }
}

package org.imaarchiver.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.imaarchiver.cli.demo.NightlyDemo;
import org.imaarchiver.cli.demo.SwtpmProcess;
import org.imaarchiver.jobs.host.imafs.ImafsProcess;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code demo}: the nightly job for real on an embedded host: swtpm, the emulated Linux 7.2
 * securityfs (FUSE) extending it, an enrolled AK, a signing key, a local archive; N nights of new
 * measurements each followed by one {@code archive} run; then the chain verified
 * ({@link NightlyDemo}).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run the nightly archive-and-trim job for a few nights on an embedded host and verify the archive.",
                "Starts a swtpm and mounts the emulated securityfs (FUSE: needs /dev/fuse and fusermount3),",
                "enrolls an AK, measures new records each night, runs 'archive', then 'verify'.",
                "Needs swtpm, tpm2-tools, fuse3 and a C toolchain (bin/ima-archiver runs scripts/install-deps first)."},
        footer = {"", "Exit codes: 0 every night succeeded and the chain verifies, 1 it does not,",
                "3 environment problem (no FUSE, no swtpm or tpm2-tools, emulator build failed)."})
final class DemoCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Option(names = "--nights", defaultValue = "3", paramLabel = "N", description = "Nights (archive runs), default ${DEFAULT-VALUE}.")
    int nights;

    @Option(names = "--records-per-night", defaultValue = "200", paramLabel = "N",
            description = "New measurements before each run, default ${DEFAULT-VALUE}.")
    long recordsPerNight;

    @Option(names = "--dir", paramLabel = "DIR", description = "Work directory (default: a new temporary one, kept and printed).")
    Path dir;

    @Option(names = "--keep", description = "Keep swtpm and the emulated securityfs running after the summary, until Ctrl-C.")
    boolean keep;

    @Option(names = "--seed", defaultValue = "1", description = "Measurement generator seed, default ${DEFAULT-VALUE}.")
    long seed;

    DemoCommand(CliContext ctx) { this.ctx = ctx; }

    @Override
    public Integer call() throws Exception {
        if (nights < 1) throw CliError.usage("--nights must be at least 1, got " + nights);
        if (recordsPerNight < 1) throw CliError.usage("--records-per-night must be at least 1, got " + recordsPerNight);
        Path root = ImafsProcess.projectRoot().orElseThrow(() -> CliError.environment(
                "the imafs emulator sources (scripts/build-imafs) were not found above " + Path.of("").toAbsolutePath()
                        + ": run bin/ima-archiver demo from a checkout of ima-archiver"));
        Path binary;
        try {
            binary = NightlyDemo.prepare(root);  // before any work dir exists: a failed check leaves nothing behind
        } catch (SwtpmProcess.TpmUnavailableException e) {
            throw CliError.environment("no software TPM: " + e.getMessage());
        } catch (ImafsProcess.UnavailableException e) {
            throw CliError.environment("cannot run the emulated securityfs: " + e.getMessage());
        }
        Path work;
        if (dir != null) {
            Files.createDirectories(dir);
            try (var entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) throw CliError.usage("--dir " + dir + ": not empty (the demo starts a fresh host)");
            }
            work = dir.toAbsolutePath();
        } else {
            work = Files.createTempDirectory("ima-archiver-demo-");
        }
        ctx.out().printf("work dir     %s%n", work);
        NightlyDemo demo = new NightlyDemo(new NightlyDemo.Plan(nights, recordsPerNight, seed, work, keep), ctx.out());
        try {
            return demo.run(binary).exitCode();
        } catch (SwtpmProcess.TpmUnavailableException e) {
            throw CliError.environment("no software TPM: " + e.getMessage());
        } catch (ImafsProcess.UnavailableException e) {
            throw CliError.environment("cannot run the emulated securityfs: " + e.getMessage());
        }
    }
}

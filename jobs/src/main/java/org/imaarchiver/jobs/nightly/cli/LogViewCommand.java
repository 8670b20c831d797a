package org.imaarchiver.jobs.nightly.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.imaarchiver.cli.CliError;
import org.imaarchiver.jobs.config.ArchiverSettings;
import org.imaarchiver.jobs.logview.LogViewDaemon;
import org.imaarchiver.jobs.nightly.NightlyApplication;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/**
 * {@code ima-archiver log-view --mount DIR}: the current boot's whole measurement lists (kept
 * trimmed records, then the kernel's live list) as a read-only filesystem, for attestation agents
 * that replay from the boot's first record (docs/operations.md "Keeping the host's attestation agent working").
 */
@Command(name = "log-view", description = "Serve the current boot's untrimmed measurement lists (kept records + the kernel's list) at DIR until stopped.",
        mixinStandardHelpOptions = true)
public final class LogViewCommand implements Callable<Integer> {
    @Option(names = "--mount", required = true, paramLabel = "DIR", description = "An existing empty directory to mount the view on.")
    Path mount;

    @Option(names = "--group", paramLabel = "GID", description = "Let this group (numeric id) read the lists too (mode 0440, owner root); default root only, as securityfs.")
    Integer gid;

    @Unmatched // --ima-archiver.<property>=<value> overrides (docs/operations.md)
    List<String> properties = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(mount)) throw CliError.usage("--mount " + mount + ": not a directory");
        if (gid != null && gid < 0) throw CliError.usage("--group " + gid + ": not a group id");
        if (!Files.exists(Path.of("/dev/fuse"))) throw CliError.environment("/dev/fuse not found: the log view needs FUSE (Debian packages fuse3 and libfuse2)");
        ArchiverSettings s;
        try (var ctx = NightlyApplication.context(properties)) {
            s = ctx.getBean(ArchiverSettings.class);
        }
        if (!Files.isDirectory(s.securityfsRoot())) {
            throw CliError.environment(s.securityfsRoot() + ": no IMA securityfs directory (ima-archiver.securityfs-root)");
        }
        try {
            LogViewDaemon.serve(s.securityfsRoot(), s.stateDir(), mount.toAbsolutePath().normalize(), gid == null ? 0 : gid, gid != null, System.err);
        } catch (UnsatisfiedLinkError e) {
            throw CliError.environment("libfuse 2 not found (Debian package libfuse2): " + e.getMessage());
        }
        return 0;
    }
}

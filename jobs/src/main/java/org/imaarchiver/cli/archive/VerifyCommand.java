package org.imaarchiver.cli.archive;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.chain.ArchiveReport;
import org.imaarchiver.archive.chain.ArchiveReportJson;
import org.imaarchiver.archive.chain.ChainFinding;
import org.imaarchiver.archive.chain.ChainReport;
import org.imaarchiver.archive.chain.ChainVerifier;
import org.imaarchiver.archive.chain.TrustStore;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.cli.CliError;
import org.imaarchiver.cli.ExitCode;
import org.imaarchiver.cli.Main;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code verify URI --trust DIR}: complete offline verification of every (or the named) host chain. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Verify archived host chains: signatures, records, replay, quotes and links.",
                "Checks every segment's signature, data digest, records and replay,",
                "its quote under an AK enrolled for the host, and the chain links across segments and boots.",
                "Trust directory: hosts/<host>/ak.pem (accepted AKs), signers/*.pem (accepted archiver certificates)."},
        footer = {"", "With --json - the report goes to stdout and the summary to stderr.",
                "", "Exit codes: 0 every chain verifies, 1 any does not, 2 bad usage or unreadable trust directory,",
                "3 store unreachable."})
public final class VerifyCommand implements Callable<Integer> {
    private final Main.Context ctx;

    @Parameters(index = "0", paramLabel = "URI", description = "Archive location: a path, file:///path, s3://bucket/prefix.")
    String uri;

    @Option(names = "--trust", required = true, paramLabel = "DIR", description = "Trust directory.")
    Path trust;

    @Option(names = "--host", paramLabel = "HOST", description = "Only this host (repeatable); default: every host.")
    List<String> hosts;

    @Option(names = "--json", paramLabel = "REPORT", description = "Write the JSON report to REPORT ('-' = stdout).")
    String json;

    @Option(names = "--parallel", paramLabel = "N", description = "Segments verified at once (default: CPU count).")
    Integer parallel;

    @Option(names = "--s3-endpoint", paramLabel = "URL", description = "S3 endpoint (MinIO, Ceph, ...).")
    String s3Endpoint;

    // Distributed mode (--broker, --job-repository, --workers): the VerifyJobRequest this command
    // builds for VerifyJobRunner goes through `request = distributed.apply(request);`.
    @Mixin
    DistributedOptions distributed = new DistributedOptions();

    public VerifyCommand(Main.Context ctx) { this.ctx = ctx; }

    @Override
    public Integer call() throws CliError {
        QuietLibraries.apply();
        if (distributed.isSet()) throw CliError.usage("--broker/--job-repository/--workers: need the bulk verify job (VerifyJobRunner), not wired here yet");
        int threads = parallel == null ? Runtime.getRuntime().availableProcessors() : parallel;
        if (threads < 1) throw CliError.usage("--parallel: must be at least 1, got " + threads);
        if (hosts != null) {
            for (String h : hosts) {
                if (!ArchiveLayout.isValidHostId(h)) throw CliError.usage("--host: '" + h + "' is not a valid host id");
            }
        }
        Path reportFile = json == null || json.equals("-") ? null : Path.of(json);
        if (reportFile != null && Files.isDirectory(reportFile)) throw CliError.usage("--json " + reportFile + ": is a directory");
        TrustStore trustStore = loadTrust(trust);

        ArchiveStore store = StoreAccess.open("URI", uri, Optional.ofNullable(s3Endpoint), true);
        Path work = null;
        ArchiveReport report;
        try (Progress progress = Progress.start(ctx.err(), "verify " + uri)) {
            work = Files.createTempDirectory("ima-archiver-verify");
            ChainVerifier verifier = new ChainVerifier(trustStore, threads, work);
            report = verifier.verify(store, hosts == null ? ChainVerifier.HostFilter.all() : ChainVerifier.HostFilter.only(hosts));
        } catch (IOException e) {
            throw StoreAccess.failure(uri, e);
        } catch (java.io.UncheckedIOException | software.amazon.awssdk.core.exception.SdkException e) {
            throw StoreAccess.uncheckedFailure(uri, e);
        } finally {
            if (work != null) StoreAccess.deleteTree(work);
            StoreAccess.closeQuietly(store);
        }

        boolean jsonToStdout = "-".equals(json);
        if (json != null) {
            String text = ArchiveReportJson.encodePretty(report);
            if (jsonToStdout) {
                ctx.out().println(text);
            } else {
                try {
                    Files.writeString(reportFile, text + "\n", StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw CliError.environment("--json " + reportFile + ": cannot write: " + e.getMessage(), e);
                }
            }
        }
        printSummary(report, jsonToStdout ? ctx.err() : ctx.out());
        // An archive with no hosts verified nothing: not a success (a wrong prefix looks exactly like this).
        return report.ok() && !report.hosts().isEmpty() ? ExitCode.OK : ExitCode.NOT_VERIFIED;
    }

    static TrustStore loadTrust(Path dir) throws CliError {
        if (!Files.isDirectory(dir)) throw CliError.usage("--trust " + dir + ": no such directory");
        try {
            return TrustStore.load(dir);
        } catch (IOException | IllegalArgumentException e) {
            throw CliError.usage("--trust " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Per host: status, segments, records, and each failure on its own line. */
    static void printSummary(ArchiveReport report, PrintStream out) {
        long failed = 0;
        for (ChainReport h : report.hosts()) {
            if (!h.ok()) failed++;
            out.printf("%s: %s, %d segment%s, %d record%s%n", h.host(), h.ok() ? "ok" : "FAILED", h.segments(),
                    h.segments() == 1 ? "" : "s", h.records(), h.records() == 1 ? "" : "s");
            for (ChainFinding f : h.findings()) {
                StringBuilder where = new StringBuilder();
                f.segment().ifPresent(s -> where.append(" segment ").append(s));
                f.record().ifPresent(r -> where.append(" record ").append(r));
                out.println("  " + f.kind().id() + where + ": " + f.detail());
            }
        }
        int n = report.hosts().size();
        if (n == 0) out.println("no hosts in the archive: nothing verified");
        else if (failed == 0) out.println("verified: " + n + " host" + (n == 1 ? "" : "s"));
        else out.println("FAILED: " + failed + " of " + n + " host" + (n == 1 ? "" : "s"));
    }

    /** Elapsed-time ticker on stderr, only when stderr is a terminal (never in pipes, logs or tests). */
    static final class Progress implements AutoCloseable {
        private final Thread thread;
        private final PrintStream err;

        private Progress(PrintStream err, Thread thread) {
            this.err = err;
            this.thread = thread;
        }

        static Progress start(PrintStream err, String what) {
            if (System.console() == null || err != System.err) return new Progress(err, null);
            long t0 = System.nanoTime();
            Thread t = new Thread(() -> {
                try {
                    while (true) {
                        Thread.sleep(1000);
                        err.print("\r" + what + ": " + (System.nanoTime() - t0) / 1_000_000_000L + " s");
                        err.flush();
                    }
                } catch (InterruptedException e) {
                    // done
                }
            }, "verify-progress");
            t.setDaemon(true);
            t.start();
            return new Progress(err, t);
        }

        @Override
        public void close() {
            if (thread == null) return;
            thread.interrupt();
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            err.print("\r\033[K");
            err.flush();
        }
    }
}

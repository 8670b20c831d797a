package org.imaarchiver.cli.archive;

import org.imaarchiver.archive.chain.ChainVerifier;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.chain.ExpectedCadence;
import org.imaarchiver.archive.io.UnsafeOutputException;
import org.imaarchiver.jobs.batch.HostPartitioner;
import org.imaarchiver.archive.chain.TrustStore;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.sign.TrustedKeys;
import org.imaarchiver.archive.store.StoreUri;
import org.imaarchiver.cli.CliError;
import org.imaarchiver.cli.ExitCode;
import org.imaarchiver.cli.ReportFile;
import org.imaarchiver.cli.CliContext;
import org.imaarchiver.jobs.reverify.VerifyJobRequest;
import org.imaarchiver.jobs.reverify.VerifyJobResult;
import org.imaarchiver.jobs.reverify.VerifyJobRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code verify URI --trust DIR}: complete offline verification of every (or the named) host chain,
 * run as the bulk verify job {@code reverifyJob} ({@link VerifyJobRunner}: partitioned by host,
 * restartable on an H2 job repository in {@code --state}). The CLI builds the
 * {@link VerifyJobRequest}, runs it, and maps the result to the exit codes and outputs of the
 * archive-format contract (issue 3): report keys, human summary, 0/1/2/3.
 */
@Command(name = "verify", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Verify archived host chains: signatures, records, replay, quotes and links.",
                "Checks every segment's signature, data digest, records and replay,",
                "its quote under an AK enrolled for the host, and the chain links across segments and boots.",
                "Trust directory: hosts/<host>/ak.pem (accepted AKs), signers/*.pem (accepted archiver certificates)."},
        footer = {"",
                "Outputs: a line per host and finding, then totals, on stdout. --json REPORT:",
                "{\"hosts\": [{host, status, segments, records, failures: [{kind, segment,",
                "record, detail}], ...}]}; with --json - the report goes to stdout and the",
                "summary to stderr. --out DIR keeps report.json, report.html (a per-host",
                "segment timeline for auditors) and summary.txt.",
                "",
                "Resumption: a Spring Batch job, one partition per host, recorded in --state.",
                "After Ctrl-C or a crash the same command resumes; hosts already verified are",
                "not verified again (--fresh starts over). A second run on one --state waits.",
                "",
                "Receipts: with --receipt-key each host that verifies gets a signed receipt in",
                "OUT/receipts (host, boot, last segment, its end PCRs). A later run with",
                "--since-receipt OUT/receipts verifies only the segments after each receipt;",
                "a receipt that does not verify is refused and the whole chain is verified.",
                "",
                "Distributed mode: --broker URL --job-repository JDBC-URL sends the host",
                "partitions to 'ima-archiver worker' processes; --workers N starts N on this",
                "machine. The manager shows progress and says when no worker takes partitions;",
                "with --partition-timeout it gives up after that long without progress (exit 3;",
                "the same command resumes).",
                "",
                "Loss: every host enrolled in the trust directory must have a chain (missing-chain);",
                "a chain that ends before its receipt is behind-receipt; with --expect-within a chain",
                "whose newest segment is older is stale-chain.",
                "",
                "Exit codes: 0 every chain verifies, 1 any does not (or no hosts at all),",
                "2 bad usage or unreadable trust directory, 3 store unreachable or the run",
                "did not finish (run the same command again to resume)."})
public final class VerifyCommand implements Callable<Integer> {
    /** The environment variable that sets the default of {@code --expect-within} (a scheduled verify's unit file). */
    static final String EXPECT_WITHIN_ENV = "IMA_ARCHIVER_EXPECT_WITHIN";

    private final CliContext ctx;

    @Parameters(index = "0", paramLabel = "URI", description = "Archive location: a path, file:///path, s3://bucket/prefix.")
    String uri;

    @Option(names = "--trust", required = true, paramLabel = "DIR", description = "Trust directory.")
    Path trust;

    @Option(names = "--host", paramLabel = "HOST", description = "Only this host (repeatable); default: every host.")
    List<String> hosts;

    @Option(names = "--json", paramLabel = "REPORT", description = "Write the JSON report to REPORT ('-' = stdout).")
    String json;

    @Option(names = "--out", paramLabel = "DIR", description = "Keep report.json, report.html, summary.txt (and receipts/) in DIR.")
    Path out;

    @Option(names = "--parallel", paramLabel = "N",
            description = "Segments of one host verified at once (default: CPU count / --threads, at least 2).")
    Integer parallel;

    @Option(names = "--threads", paramLabel = "N", description = "Hosts verified at once (default: CPU count).")
    Integer threads;

    @Option(names = "--max-partitions", paramLabel = "N", defaultValue = "" + HostPartitioner.DEFAULT_MAX_PARTITIONS,
            description = "At most N job partitions (default ${DEFAULT-VALUE}): with more hosts, each partition verifies a range "
                    + "of hosts, so the job's bookkeeping does not grow with the archive. A resumed run keeps its partitions.")
    int maxPartitions;

    @Option(names = "--segments-per-partition", paramLabel = "N", defaultValue = "500",
            description = "A host chain longer than N segments is verified as several partitions of consecutive segment ranges, "
                    + "each also checking the link to the range before (default ${DEFAULT-VALUE}; not with --since-receipt).")
    int segmentsPerPartition;

    @Option(names = "--since", paramLabel = "TIME",
            description = "Only hosts with a segment created at or after TIME (ISO instant, or a date: its start, UTC).")
    String since;

    @Option(names = "--until", paramLabel = "TIME",
            description = "Only hosts with a segment created at or before TIME (ISO instant, or a date: its end, UTC).")
    String until;

    @Option(names = "--expect-within", paramLabel = "DURATION", defaultValue = "${env:" + EXPECT_WITHIN_ENV + ":-off}",
            description = {"A chain whose newest segment was created longer than DURATION ago (2d, 36h, P2D) is a stale-chain "
                    + "finding: archiving stopped, or its newest segments were deleted. 'off' checks nothing (re-verifying "
                    + "a historical archive).",
                    "Default: $" + EXPECT_WITHIN_ENV + ", else off (now: ${DEFAULT-VALUE})."})
    String expectWithin;

    @Option(names = "--receipt-key", paramLabel = "DIR",
            description = "Sign a receipt per verified host with DIR/signing-key.pem + signing-cert.pem (needs --out).")
    Path receiptKey;

    @Option(names = "--since-receipt", paramLabel = "DIR", description = "Start each host after its receipt in DIR (<host>.receipt.json/.cms).")
    Path sinceReceipt;

    @Option(names = "--receipt-signers", paramLabel = "DIR",
            description = "Accepted receipt signers: DIR/*.pem (default: the --receipt-key certificate).")
    Path receiptSigners;

    @Option(names = "--state", paramLabel = "DIR",
            description = "Job repository and lock (default: ~/.cache/ima-archiver/verify-jobs).")
    Path state;

    @Option(names = "--fresh", description = "Do not resume an interrupted run with these parameters: start over.")
    boolean fresh;

    @Option(names = "--require-closed-boots", description = "A boot followed by another one that the run at shutdown "
            + "(archive --at-shutdown) did not close fails its host (unclosed-boot); by default it is a warning.")
    boolean requireClosedBoots;

    @Option(names = "--progress", paramLabel = "MODE", defaultValue = "auto",
            description = "auto (a live line on a terminal, else a line every 10 s), plain (lines every 10 s), none; on stderr.")
    String progress;

    @Option(names = "--s3-endpoint", paramLabel = "URL", description = "S3 endpoint (MinIO, Ceph, ...).")
    String s3Endpoint;

    // Distributed mode (--broker, --job-repository, --workers): the VerifyJobRequest this command
    // builds for VerifyJobRunner goes through `request = distributed.apply(request);`.
    @Mixin
    DistributedOptions distributed = new DistributedOptions();

    public VerifyCommand(CliContext ctx) { this.ctx = ctx; }

    @Override
    public Integer call() throws CliError {
        QuietLibraries.apply();
        int cores = Runtime.getRuntime().availableProcessors();
        if (threads != null && threads < 1) throw CliError.usage("--threads: must be at least 1, got " + threads);
        if (maxPartitions < 1) throw CliError.usage("--max-partitions: must be at least 1, got " + maxPartitions);
        if (segmentsPerPartition < 1) throw CliError.usage("--segments-per-partition: must be at least 1, got " + segmentsPerPartition);
        if (parallel != null && parallel < 1) throw CliError.usage("--parallel: must be at least 1, got " + parallel);
        if (hosts != null) {
            for (String h : hosts) {
                if (!ArchiveLayout.isValidHostId(h)) throw CliError.usage("--host: '" + h + "' is not a valid host id");
            }
        }
        // One named host: all cores on its segments, as before the job; many hosts: cores on hosts.
        int hostThreads = threads != null ? threads : hosts != null ? Math.max(1, Math.min(cores, Set.copyOf(hosts).size())) : cores;
        int segmentThreads = parallel != null ? parallel : Math.max(2, cores / hostThreads);
        VerifyJobRequest.ProgressMode mode = progressMode(progress);
        Optional<Instant> from = since == null ? Optional.empty() : Optional.of(instant("--since", since, false));
        Optional<Instant> to = until == null ? Optional.empty() : Optional.of(instant("--until", until, true));
        if (from.isPresent() && to.isPresent() && to.get().isBefore(from.get())) throw CliError.usage("--until is before --since");
        ExpectedCadence cadence = cadence(expectWithin);
        ReportFile reportFile = json == null || json.equals("-") ? null : ReportFile.of("--json", json);
        if (receiptKey != null && out == null) throw CliError.usage("--receipt-key needs --out (receipts are written to OUT/receipts)");
        if (sinceReceipt != null && !Files.isDirectory(sinceReceipt)) throw CliError.usage("--since-receipt " + sinceReceipt + ": no such directory");
        if (sinceReceipt != null && receiptKey == null && receiptSigners == null) {
            throw CliError.usage("--since-receipt needs --receipt-signers DIR or --receipt-key DIR (whose receipts to accept)");
        }
        if (receiptSigners != null && sinceReceipt == null) throw CliError.usage("--receipt-signers is only used with --since-receipt");
        if (out != null && Files.exists(out) && !Files.isDirectory(out)) throw CliError.usage("--out " + out + ": not a directory");
        if (state != null && Files.exists(state) && !Files.isDirectory(state)) throw CliError.usage("--state " + state + ": not a directory");
        if (out != null) {
            try {
                VerifyJobRunner.requireReplaceableOutput(out);
            } catch (UnsafeOutputException e) {
                throw CliError.usage("--out " + out + ": " + e.getMessage());
            }
        }
        loadTrust(trust);
        String storeUri = storeUri();
        // Opened and listed once here for the CLI's errors (exit 2 for a missing local archive or a bad URI, exit 3
        // naming the endpoint and the cause for an unreachable store); the job opens its own.
        org.imaarchiver.archive.store.ArchiveStore probe = StoreAccess.open("URI", uri, Optional.ofNullable(s3Endpoint), true);
        try {
            StoreAccess.requireListable(StoreAccess.named("URI", uri, Optional.ofNullable(s3Endpoint)), probe);
        } finally {
            StoreAccess.closeQuietly(probe);
        }
        Optional<KeyMaterial> receiptKeyMaterial = receiptKey == null ? Optional.empty() : Optional.of(readKey(receiptKey));
        Optional<TrustedKeys> signers = receiptSigners == null ? Optional.empty() : Optional.of(readSigners(receiptSigners));
        Path stateDir = state != null ? state : VerifyJobRequest.defaultStateDir();

        Path scratch = null;
        try {
            Path outDir = out;
            if (outDir == null) outDir = scratch = Files.createTempDirectory("ima-archiver-verify");
            VerifyJobRequest request = VerifyJobRequest.of(storeUri, trust, stateDir, outDir)
                    .withStoreOptions(StoreAccess.options(Optional.ofNullable(s3Endpoint)))
                    .withParallel(hostThreads, segmentThreads)
                    .withWindow(from, to)
                    .withFresh(fresh)
                    .withCadence(cadence)
                    .withProgress(mode);
            if (hosts != null) request = request.withHosts(Set.copyOf(hosts));
            if (receiptKeyMaterial.isPresent()) request = request.withReceiptKey(receiptKeyMaterial.get());
            if (sinceReceipt != null) request = request.withSinceReceipts(sinceReceipt, signers);
            request = distributed.apply(request);
            VerifyJobResult result = run(request);
            return report(result, reportFile);
        } catch (IOException e) {
            throw CliError.environment(ioMessage(e), e);
        } finally {
            if (scratch != null) StoreAccess.deleteTree(scratch);
        }
    }

    private VerifyJobResult run(VerifyJobRequest request) throws CliError, IOException {
        Runnable restore = quietFramework(ctx.debug());
        try {
            return new VerifyJobRunner(ctx.err()).withMaxPartitions(maxPartitions).withSegmentsPerPartition(segmentsPerPartition)
                    .withBootClosure(requireClosedBoots ? ChainVerifier.BootClosure.REQUIRE : ChainVerifier.BootClosure.WARN).run(request);
        } catch (RuntimeException e) {
            // Spring wraps a failure to create a bean (the store, the trust directory) in its own exceptions.
            throw CliError.environment("cannot run the job: " + rootMessage(e), e);
        } finally {
            restore.run();
        }
    }

    /** Outputs and exit code of a finished (or interrupted) run. */
    private int report(VerifyJobResult result, ReportFile reportFile) throws CliError, IOException {
        boolean jsonToStdout = "-".equals(json);
        PrintStream human = jsonToStdout ? ctx.err() : ctx.out();
        if (!result.completed()) {
            ctx.err().print(result.summary());
            ctx.err().flush();
            return ExitCode.ENVIRONMENT;
        }
        if (json != null) {
            if (jsonToStdout) {
                Files.copy(result.jsonReport(), ctx.out());
                ctx.out().flush();
            } else {
                try {
                    reportFile.copyFrom(result.jsonReport());
                } catch (IOException e) {
                    throw CliError.environment("--json " + json + ": cannot write: " + e.getMessage(), e);
                }
            }
        }
        Files.copy(result.summaryFile(), human);
        VerifyJobResult.ReportCounts counts = result.counts().orElseThrow();
        if (result.resumed()) human.println("resumed an interrupted run: hosts verified before it stopped were not verified again");
        if (out != null) {
            human.println("reports: " + result.jsonReport() + ", " + result.htmlReport() + ", " + result.summaryFile());
            if (receiptKey != null) human.println("receipts: " + result.receiptsDir());
        }
        human.flush();
        // An archive with no hosts verified nothing: not a success (a wrong prefix looks exactly like this).
        if (counts.hosts() == 0) {
            human.println(since != null || until != null
                    ? "no host's chain overlaps the window" + (since != null ? " --since " + since : "") + (until != null ? " --until " + until : "")
                            + ": nothing verified"
                    : "no hosts in the archive: nothing verified");
            return ExitCode.NOT_VERIFIED;
        }
        return result.ok() ? ExitCode.OK : ExitCode.NOT_VERIFIED;
    }

    /**
     * An I/O failure as one line (the CLI prefixes the command's name): a file system error names
     * its file and why, where the JDK's message is only the file name.
     */
    static String ioMessage(IOException e) {
        if (!(e instanceof java.nio.file.FileSystemException f) || f.getFile() == null) return String.valueOf(e.getMessage());
        String why = e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                : e instanceof java.nio.file.NoSuchFileException ? "no such file or directory"
                : e instanceof java.nio.file.NotDirectoryException ? "not a directory"
                : e instanceof java.nio.file.FileAlreadyExistsException ? "exists and is not a directory"
                : f.getReason() != null ? f.getReason() : e.getClass().getSimpleName();
        return f.getFile() + (f.getOtherFile() != null ? " -> " + f.getOtherFile() : "") + ": " + why;
    }

    /** A local archive as an absolute file URI (the job's identity must not depend on the working directory). */
    private String storeUri() throws CliError {
        try {
            if (StoreUri.parse(uri) instanceof StoreUri.Local l) return l.root().toAbsolutePath().normalize().toUri().toString();
            return uri;
        } catch (IllegalArgumentException e) {
            throw CliError.usage("URI: " + e.getMessage(), e);
        }
    }

    /** {@code off}, or a positive duration as {@code compact --min-age} takes it. */
    static ExpectedCadence cadence(String s) throws CliError {
        if (s.trim().equalsIgnoreCase("off")) return new ExpectedCadence.Off();
        java.time.Duration d = CompactCommand.duration(s, "--expect-within");
        if (d.isZero()) throw CliError.usage("--expect-within: must be positive, or 'off': " + s);
        return new ExpectedCadence.Within(d);
    }

    static VerifyJobRequest.ProgressMode progressMode(String s) throws CliError {
        switch (s) {
            case "auto": return VerifyJobRequest.ProgressMode.AUTO;
            case "plain": return VerifyJobRequest.ProgressMode.LOG;
            case "none": return VerifyJobRequest.ProgressMode.NONE;
            default: throw CliError.usage("--progress: must be auto, plain or none, got '" + s + "'");
        }
    }

    /** An ISO-8601 instant, or a date meaning its first (or, for {@code --until}, its last) instant in UTC. */
    static Instant instant(String option, String s, boolean endOfDay) throws CliError {
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            try {
                LocalDate d = LocalDate.parse(s);
                return endOfDay ? d.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().minusNanos(1) : d.atStartOfDay(ZoneOffset.UTC).toInstant();
            } catch (DateTimeParseException e2) {
                throw CliError.usage(option + ": '" + s + "' is neither an instant (2026-11-27T02:00:00Z) nor a date (2026-11-27)");
            }
        }
    }

    static TrustStore loadTrust(Path dir) throws CliError {
        if (!Files.isDirectory(dir)) throw CliError.usage("--trust " + dir + ": no such directory");
        try {
            return TrustStore.load(dir);
        } catch (IOException | IllegalArgumentException e) {
            throw CliError.usage("--trust " + dir + ": " + e.getMessage(), e);
        }
    }

    private static KeyMaterial readKey(Path dir) throws CliError {
        try {
            return KeyMaterial.readPem(dir);
        } catch (IOException | RuntimeException e) {
            throw CliError.usage("--receipt-key " + dir + ": " + e.getMessage(), e);
        }
    }

    private static TrustedKeys readSigners(Path dir) throws CliError {
        if (!Files.isDirectory(dir)) throw CliError.usage("--receipt-signers " + dir + ": no such directory");
        try {
            TrustedKeys k = TrustStore.loadSigners(dir);
            if (k.encodedKeys().isEmpty()) throw CliError.usage("--receipt-signers " + dir + ": no *.pem certificate or public key");
            return k;
        } catch (IOException e) {
            throw CliError.usage("--receipt-signers " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Spring, Batch, Hikari and H2 log a failed step with a stack trace on the console (stdout, where
     * {@code --json -} puts the report); the run's summary already names each failed host and why.
     * {@code --debug} keeps them. Returns what restores the levels (the CLI also runs in-process in tests).
     */
    private static Runnable quietFramework(boolean debug) {
        if (debug || !(org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext lc)) return () -> {};
        List<ch.qos.logback.classic.Logger> loggers = List.of(lc.getLogger("org.springframework"), lc.getLogger("com.zaxxer.hikari"),
                lc.getLogger("org.h2"));
        List<ch.qos.logback.classic.Level> was = loggers.stream().map(l -> Optional.ofNullable(l.getLevel())).map(o -> o.orElse(null)).toList();
        loggers.forEach(l -> l.setLevel(ch.qos.logback.classic.Level.OFF));
        return () -> {
            for (int i = 0; i < loggers.size(); i++) loggers.get(i).setLevel(was.get(i));
        };
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return String.valueOf(t.getMessage());
    }
}

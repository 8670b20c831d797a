package org.imaarchiver.cli.archive;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.chain.TrustStore;
import org.imaarchiver.jobs.batch.HostPartitioner;
import org.imaarchiver.archive.compact.CompactionGroup;
import org.imaarchiver.archive.compact.CompactionPolicy;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.StoreOptions;
import org.imaarchiver.cli.CliError;
import org.imaarchiver.cli.ExitCode;
import org.imaarchiver.cli.ReportFile;
import org.imaarchiver.cli.CliContext;
import org.imaarchiver.jobs.batch.HostProgress;
import org.imaarchiver.jobs.compact.CompactJobRequest;
import org.imaarchiver.jobs.compact.CompactJobResult;
import org.imaarchiver.jobs.compact.CompactJobRunner;
import org.imaarchiver.jobs.compact.Retention;
import org.imaarchiver.replay.json.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code compact URI --trust DIR --key ...}: runs {@code compactJob} (org.imaarchiver.jobs.compact)
 * over the archive, or with {@code --dry-run} prints the plan. All compaction logic is the library's
 * {@code Compactor}; this class checks options, maps outcomes to exit codes and prints.
 */
@Command(name = "compact", mixinStandardHelpOptions = true,
        description = {"Merge consecutive small segments of each host chain into larger ones, without weakening what can be proven.",
                "",
                "What is merged: two or more consecutive segments of one host and one boot, each at least --min-age old, "
                        + "up to --target-records, --target-bytes and --max-parts per output. Never across a reboot: "
                        + "--per-boot is the default and the only mode. The output holds all their records with their original "
                        + "indices and bytes; its base is the first part's, its end the last part's; it is signed with --key.",
                "",
                "What is kept: every component segment's end quote, as a checkpoint in the new manifest (quote, nonce, "
                        + "PCR values, original sequence and manifest digest): every point attested before stays attested and "
                        + "verifiable, and the next segment's signed link and nonce stay valid.",
                "",
                "When parts are deleted: only after the merged segment is verified, uploaded staged (not yet part of the "
                        + "chain), re-read, and switched in by one create-only .commit object. Never while under --retention: "
                        + "then they stay as superseded objects (ignored by verifiers) and a later run deletes them once "
                        + "retention allows. A group whose parts do not verify is not compacted: nothing of it is switched or deleted (exit 1).",
                "",
                "What a crash leaves: a chain that verifies, at any point. Before the switch the parts are the chain (a "
                        + "staged leftover is ignored and replaced next time); after it the merged segment is (leftover parts "
                        + "are deleted by the next run). The same command again resumes the run (job state in --state) and "
                        + "finishes it.",
                "",
                "The key's certificate must be in the trust directory's signers/, or verifiers would reject the output.",
                ""},
        footer = {"",
                "SIZE: bytes, or a number with K, M, G or T (powers of 1024), e.g. 512M. DURATION: 0, a number with s, m, h "
                        + "or d, e.g. 7d, or ISO-8601 such as PT12H. Store URIs: a path, file:///path, s3://bucket/prefix "
                        + "(--s3-endpoint, AWS_* variables).",
                "",
                "S3 Object Lock: deleting a locked part only adds a delete marker and the bytes keep costing; use "
                        + "--retention keep-all (or the lock period). Run one compactor per archive at a time; the nightly "
                        + "archive job may run meanwhile.",
                "",
                "With --json - the report goes to stdout and the summary to stderr.",
                "",
                "Exit codes: 0 compacted, or nothing to do; 1 a host's parts (or an output) did not verify, that group "
                        + "was not switched; 2 bad usage, unreadable trust directory or key; 3 store unreachable, store "
                        + "conflict, not durable, or the run did not finish (run the same command again to resume)."})
public final class CompactCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Parameters(index = "0", paramLabel = "URI", description = "Archive location: a path, file:///path, s3://bucket/prefix.")
    String uri;

    @Option(names = "--trust", required = true, paramLabel = "DIR", description = "Trust directory (also verifies the output).")
    Path trust;

    @Option(names = "--key", required = true, paramLabel = "KEY.pem|DIR",
            description = "Signing key of the compacted manifests (keygen's signing-key.pem), or keygen's output directory.")
    Path key;

    @Option(names = "--cert", paramLabel = "CERT.pem", description = "Signing certificate (keygen's signing-cert.pem); not needed when --key is a directory.")
    Path cert;

    @Option(names = "--host", paramLabel = "HOST", description = "Only this host (repeatable); default: every host.")
    List<String> hosts;

    @Option(names = "--target-records", paramLabel = "N", description = "Most records per output segment (default 10000000).")
    Long targetRecords;

    @Option(names = "--target-bytes", paramLabel = "SIZE", description = "Most bytes (sum of the parts' Parquet sizes) per output (default 1G).")
    String targetBytes;

    @Option(names = "--min-age", paramLabel = "DURATION", description = "Only segments created at least this long ago (default 1d).")
    String minAge;

    @Option(names = "--max-parts", paramLabel = "N", description = "Most segments merged into one output, at least 2 (default 1000).")
    Integer maxParts;

    @Option(names = "--per-boot", description = "Merge only within one boot (the default and only mode; accepted for explicitness).")
    boolean perBoot;

    @Option(names = "--retention", paramLabel = "none|keep-all|DURATION", defaultValue = "none",
            description = "Replaced parts: none = delete after the switch (default); keep-all = never delete (Object Lock);"
                    + " DURATION = keep while younger than that (by the store's last-modified time).")
    String retention;

    @Option(names = "--dry-run", description = "Print the plan (groups per host) only; nothing is written or deleted.")
    boolean dryRun;

    @Option(names = "--json", paramLabel = "REPORT", description = "Write the JSON report (or with --dry-run the plan) to REPORT ('-' = stdout).")
    String json;

    @Option(names = "--state", paramLabel = "DIR", description = "Job state (repository, lock, results); default ~/.cache/ima-archiver/compact-jobs.")
    Path state;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "2", description = "Hosts compacted at once (default 2).")
    int threads;

    @Option(names = "--max-partitions", paramLabel = "N", defaultValue = "" + HostPartitioner.DEFAULT_MAX_PARTITIONS,
            description = "At most N job partitions (default ${DEFAULT-VALUE}): with more hosts, each partition compacts a range "
                    + "of hosts, so the job's bookkeeping does not grow with the archive. A resumed run keeps its partitions.")
    int maxPartitions;

    @Option(names = "--fresh", description = "Start over instead of resuming an unfinished run with the same options.")
    boolean fresh;

    @Option(names = "--progress", paramLabel = "auto|plain|none", defaultValue = "auto",
            description = "Progress on stderr: auto (a live line on a terminal, plain lines otherwise), plain, none.")
    String progress;

    @Option(names = "--s3-endpoint", paramLabel = "URL", description = "S3 endpoint (MinIO, Ceph, ...).")
    String s3Endpoint;

    public CompactCommand(CliContext ctx) { this.ctx = ctx; }

    @Override
    public Integer call() throws CliError {
        QuietLibraries.apply();
        CompactJobRequest request = request();
        ReportFile reportFile = json == null || json.equals("-") ? null : ReportFile.of("--json", json);
        boolean jsonToStdout = "-".equals(json);
        PrintStream human = jsonToStdout ? ctx.err() : ctx.out();
        return dryRun ? dryRun(request, reportFile, jsonToStdout, human) : compact(request, reportFile, jsonToStdout, human);
    }

    private int compact(CompactJobRequest request, ReportFile reportFile, boolean jsonToStdout, PrintStream human) throws CliError {
        CompactJobResult r;
        try {
            r = new CompactJobRunner(ctx.err()).withMaxPartitions(maxPartitions).run(request);
        } catch (IOException e) {
            throw StoreAccess.failure("compact " + uri, e);
        } catch (java.io.UncheckedIOException | software.amazon.awssdk.core.exception.SdkException e) {
            throw StoreAccess.uncheckedFailure("compact " + uri, e);
        } catch (org.springframework.beans.BeansException e) {
            throw CliError.environment("compact " + uri + ": cannot start the job: " + rootMessage(e), e);
        }
        if (r.counts().isEmpty()) {
            ctx.err().print(r.summary());
            return ExitCode.ENVIRONMENT;
        }
        if (json != null) {
            try {
                if (jsonToStdout) {
                    try (InputStream in = Files.newInputStream(r.jsonReport())) {
                        in.transferTo(ctx.out());
                    }
                    ctx.out().flush();
                } else {
                    reportFile.copyFrom(r.jsonReport());
                }
            } catch (IOException e) {
                throw CliError.environment("--json " + json + ": cannot write: " + e.getMessage(), e);
            }
        }
        try (InputStream in = Files.newInputStream(r.summaryFile())) {
            in.transferTo(human);
            human.flush();
        } catch (IOException e) {
            throw CliError.environment("compact: cannot read the summary " + r.summaryFile() + ": " + e.getMessage(), e);
        }
        if (r.resumed()) human.println("(resumed an interrupted run)");
        CompactJobResult.Counts c = r.counts().get();
        if (c.hostsNotVerified() > 0) return ExitCode.NOT_VERIFIED;
        if (c.hostsStoreProblem() > 0) return ExitCode.ENVIRONMENT;
        return ExitCode.OK;
    }

    private int dryRun(CompactJobRequest request, ReportFile reportFile, boolean jsonToStdout, PrintStream human) throws CliError {
        List<Object> hostsJson = new ArrayList<>();
        long[] totals = new long[3];
        try {
            new CompactJobRunner(ctx.err()).plan(request, p -> {
                long parts = 0;
                for (CompactionGroup g : p.groups()) parts += g.parts().size();
                totals[0] += p.groups().size();
                totals[1] += parts;
                totals[2] += p.superseded();
                if (json != null) hostsJson.add(planJson(p));
                if (p.groups().isEmpty() && p.superseded() == 0) {
                    human.println(p.host() + ": nothing to compact");
                    return;
                }
                human.println(p.host() + ": " + p.groups().size() + " group(s), " + parts + " parts"
                        + (p.superseded() > 0 ? "; " + p.superseded() + " superseded part(s) to delete first (retention permitting)" : ""));
                for (CompactionGroup g : p.groups()) {
                    human.printf("  segments %d..%d (boot %d): %d parts, %d records, %d bytes -> one segment%n", g.firstSequence(),
                            g.lastSequence(), g.bootCounter(), g.parts().size(), g.records(), g.bytes());
                }
            });
        } catch (IOException e) {
            throw StoreAccess.failure("compact " + uri, e);
        } catch (java.io.UncheckedIOException | software.amazon.awssdk.core.exception.SdkException e) {
            throw StoreAccess.uncheckedFailure("compact " + uri, e);
        }
        human.println("dry run: " + totals[0] + " group(s) of " + totals[1] + " parts would be merged; nothing was changed");
        if (json != null) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("dryRun", Boolean.TRUE);
            o.put("store", uri);
            o.put("hosts", hostsJson);
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("groups", totals[0]);
            t.put("parts", totals[1]);
            t.put("superseded", totals[2]);
            o.put("totals", t);
            String text = Json.pretty(o);
            if (jsonToStdout) {
                ctx.out().print(text);
            } else {
                try {
                    reportFile.write(text);
                } catch (IOException e) {
                    throw CliError.environment("--json " + json + ": cannot write: " + e.getMessage(), e);
                }
            }
        }
        return ExitCode.OK;
    }

    private static Map<String, Object> planJson(CompactJobRunner.HostPlan p) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("host", p.host());
        h.put("superseded", (long) p.superseded());
        List<Object> gs = new ArrayList<>();
        for (CompactionGroup g : p.groups()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("first", g.firstSequence());
            m.put("last", g.lastSequence());
            m.put("parts", (long) g.parts().size());
            m.put("bootCounter", g.bootCounter());
            m.put("records", g.records());
            m.put("bytes", g.bytes());
            gs.add(m);
        }
        h.put("groups", gs);
        return h;
    }

    /** Checks every option and builds the job request (usage errors exit 2 before anything is opened). */
    private CompactJobRequest request() throws CliError {
        if (threads < 1) throw CliError.usage("--threads: must be at least 1, got " + threads);
        if (maxPartitions < 1) throw CliError.usage("--max-partitions: must be at least 1, got " + maxPartitions);
        if (hosts != null) {
            for (String h : hosts) {
                if (!ArchiveLayout.isValidHostId(h)) throw CliError.usage("--host: '" + h + "' is not a valid host id");
            }
        }
        CompactionPolicy d = CompactionPolicy.defaults();
        long recs = targetRecords == null ? d.targetRecords() : targetRecords;
        if (recs < 1) throw CliError.usage("--target-records: must be at least 1, got " + recs);
        long bytes = targetBytes == null ? d.targetBytes() : size(targetBytes, "--target-bytes");
        if (bytes < 1) throw CliError.usage("--target-bytes: must be at least 1 byte, got " + targetBytes);
        Duration age = minAge == null ? d.minAge() : duration(minAge, "--min-age");
        int parts = maxParts == null ? d.maxParts() : maxParts;
        if (parts < 2) throw CliError.usage("--max-parts: must be at least 2, got " + parts);
        Retention ret = retention(retention);
        HostProgress.Mode mode = switch (progress.toLowerCase(Locale.ROOT)) {
            case "auto" -> HostProgress.Mode.AUTO;
            case "plain" -> HostProgress.Mode.LOG;
            case "none" -> HostProgress.Mode.NONE;
            default -> throw CliError.usage("--progress: auto, plain or none, got '" + progress + "'");
        };

        TrustStore trustStore = VerifyCommand.loadTrust(trust);
        KeyMaterial km = signingKey();
        if (!trustStore.signers().trusts(km.certificate().getPublicKey())) {
            throw CliError.usage("--key " + key + ": its certificate is not among " + trust.resolve("signers")
                    + ": verifiers would reject the compacted segments (add it there first)");
        }
        // Opened and listed once here for the location checks and option errors (exit 2/3, an unreachable
        // store named with its endpoint and the cause, as verify's); the job opens its own.
        ArchiveStore probe = StoreAccess.open("URI", uri, java.util.Optional.ofNullable(s3Endpoint), true);
        try {
            StoreAccess.requireListable(StoreAccess.named("URI", uri, java.util.Optional.ofNullable(s3Endpoint)), probe);
        } finally {
            StoreAccess.closeQuietly(probe);
        }
        StoreOptions.Builder opts = StoreOptions.defaults().toBuilder();
        if (s3Endpoint != null) opts.s3Endpoint(java.net.URI.create(s3Endpoint));
        CompactJobRequest r = CompactJobRequest.of(uri, trust, km, state == null ? CompactJobRequest.defaultStateDir() : state)
                .withStoreOptions(opts.build())
                .withPolicy(new CompactionPolicy(recs, bytes, age, parts))
                .withRetention(ret)
                .withParallel(threads)
                .withFresh(fresh)
                .withProgress(mode);
        return hosts == null ? r : r.withHosts(Set.copyOf(hosts));
    }

    private KeyMaterial signingKey() throws CliError {
        if (Files.isDirectory(key)) {
            if (cert != null) throw CliError.usage("--cert: not with --key DIR (the directory holds " + KeyMaterial.CERT_FILE + ")");
            return SigningFiles.read(key.resolve(KeyMaterial.KEY_FILE), key.resolve(KeyMaterial.CERT_FILE));
        }
        if (cert == null) throw CliError.usage("--cert CERT.pem is required when --key is a file");
        return SigningFiles.read(key, cert);
    }

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmgt]?)(i?b)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern SHORT_DURATION = Pattern.compile("(\\d+)\\s*([smhd]?)", Pattern.CASE_INSENSITIVE);

    /** "1048576", "512M", "1G", "10KiB" (powers of 1024). */
    static long size(String s, String option) throws CliError {
        Matcher m = SIZE.matcher(s.trim());
        if (!m.matches()) throw CliError.usage(option + ": not a size (e.g. 1048576, 512M, 1G): " + s);
        int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        try {
            long n = Long.parseLong(m.group(1));
            if (n > (Long.MAX_VALUE >> shift)) throw CliError.usage(option + ": too large: " + s);
            return n << shift;
        } catch (NumberFormatException e) {
            throw CliError.usage(option + ": too large: " + s);
        }
    }

    /** "0", "45s", "30m", "12h", "7d" (a bare number is seconds), or ISO-8601 "PT12H", "P7D". */
    static Duration duration(String s, String option) throws CliError {
        String t = s.trim();
        Matcher m = SHORT_DURATION.matcher(t);
        try {
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                return switch (m.group(2).toLowerCase(Locale.ROOT)) {
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    case "d" -> Duration.ofDays(n);
                    default -> Duration.ofSeconds(n);
                };
            }
            Duration d = Duration.parse(t.toUpperCase(Locale.ROOT));
            if (d.isNegative()) throw CliError.usage(option + ": negative: " + s);
            return d;
        } catch (DateTimeParseException | ArithmeticException | NumberFormatException e) {
            throw CliError.usage(option + ": not a duration (e.g. 0, 12h, 7d, PT30M): " + s);
        }
    }

    static Retention retention(String s) throws CliError {
        String t = s.trim().toLowerCase(Locale.ROOT);
        if (t.equals("none")) return new Retention.None();
        if (t.equals("keep-all")) return new Retention.KeepAll();
        try {
            return new Retention.For(duration(s, "--retention"));
        } catch (CliError e) {
            throw CliError.usage("--retention: none, keep-all or a duration (e.g. 90d), got '" + s + "'");
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t.getMessage();
    }
}

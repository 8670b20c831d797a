package org.imaarchiver.cli.archive;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.chain.BootExporter;
import org.imaarchiver.archive.chain.BootSummary;
import org.imaarchiver.archive.chain.ChainFinding;
import org.imaarchiver.archive.chain.ChainIndex;
import org.imaarchiver.archive.chain.ChainReport;
import org.imaarchiver.archive.chain.ChainVerifier;
import org.imaarchiver.archive.chain.TrustStore;
import org.imaarchiver.archive.chain.VerifiedChain;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.StoreException;
import org.imaarchiver.cli.CliContext;
import org.imaarchiver.cli.CliError;
import org.imaarchiver.cli.ExitCode;
import org.imaarchiver.cli.ReportFile;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code export URI --trust DIR --host H}: one archived boot's measurement list in the kernel's
 * formats, for tools that read IMA lists (evmctl, keylime). The host's whole chain is verified first
 * by {@link ChainVerifier}, as {@code verify} does; any finding refuses the export. The boot's records
 * are then read again and written by {@link BootExporter}, bound to the verified manifests.
 */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write one archived boot's measurement list as the kernel showed it, verified on the way.",
                "The host's chain is verified first, as 'verify --host H' does: any finding",
                "refuses the export (exit 1, one line per finding on stderr). The boot's",
                "segments are then read again, and each must give the data digest, indices",
                "and record count it was verified with.",
                "The list runs from the boot's first record (boot_aggregate) to its last",
                "archived quote; records after that quote were never archived."},
        footer = {"",
                "Files: --format binary is binary_runtime_measurements_<bank>, --format ascii",
                "ascii_runtime_measurements_<bank>. The default bank is the one the nightly",
                "job read (ima-archiver.bank, sha256 by default), whose bytes the archive",
                "keeps as read. --bank sha1 is the legacy binary_runtime_measurements (what",
                "evmctl reads). Another bank needs the archive to have replayed it with its",
                "own hash; else exit 2 says why.",
                "",
                "Boots: numbered as in verify's report (boots[].bootCounter, its 'boot N'",
                "lines); default the host's latest boot. An unknown boot is exit 2 listing",
                "the host's boots; an unknown host, exit 2 listing the archive's hosts.",
                "",
                "Output: --out FILE replaces a regular file (or nothing) only when the whole",
                "list is written and verified: on exit 1 it is left as it was. Standard",
                "output, a FIFO or a device is written through: the list starts only after",
                "the chain verified, but a segment that changes in the store meanwhile stops",
                "it early with exit 1. Discard the output of any run that does not exit 0.",
                "",
                "Example: check boot 3 of web-1 against PCR values from its TPM:",
                "  ima-archiver export s3://audit/ima --trust trust --host web-1 --boot 3 \\",
                "      --bank sha1 --out boot3.bin",
                "  evmctl ima_measurement --pcrs sha1,sha1.pcrs --pcrs sha256,sha256.pcrs \\",
                "      --verify-bank=sha256 boot3.bin        (must print \"Matched\")",
                "",
                "Exit codes: 0 exported, 1 the chain does not verify (a --out file is left",
                "as it was), 2 bad usage (unknown host, boot or bank; unreadable trust",
                "directory), 3 store unreachable or output not writable."})
public final class ExportCommand implements java.util.concurrent.Callable<Integer> {
    private final CliContext ctx;

    @Parameters(index = "0", paramLabel = "URI", description = "Archive location: a path, file:///path, s3://bucket/prefix.")
    String uri;

    @Option(names = "--trust", required = true, paramLabel = "DIR", description = "Trust directory (as for verify).")
    Path trust;

    @Option(names = "--host", required = true, paramLabel = "HOST", description = "The host whose boot to export.")
    String host;

    @Option(names = "--boot", paramLabel = "N", description = "The boot (verify's bootCounter); default: the host's latest boot.")
    Long boot;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "binary",
            description = "binary or ascii (default ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--bank", paramLabel = "ALG",
            description = "The bank's file: sha1 (the legacy files), sha256, sha384, sha512; default: the archived bank.")
    String bank;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the list to FILE (default: standard output).")
    Path out;

    @Option(names = "--require-closed-boots", description = "An unclosed boot in the chain is a finding (as for verify), not a warning.")
    boolean requireClosedBoots;

    @Option(names = "--parallel", paramLabel = "N", description = "Segments verified at once (default: CPU count).")
    Integer parallel;

    @Option(names = "--s3-endpoint", paramLabel = "URL", description = "S3 endpoint (MinIO, Ceph, ...).")
    String s3Endpoint;

    public ExportCommand(CliContext ctx) { this.ctx = ctx; }

    /** Aborts writing a --out file: the replaced target stays as it was. */
    private static final class Refusal extends IOException {
        final transient ChainFinding finding;

        Refusal(ChainFinding finding) {
            super(finding.detail());
            this.finding = finding;
        }
    }

    @Override
    public Integer call() throws CliError {
        QuietLibraries.apply();
        if (!ArchiveLayout.isValidHostId(host)) throw CliError.usage("--host: '" + host + "' is not a valid host id");
        if (boot != null && boot < 0) throw CliError.usage("--boot: must be a boot counter (0 or more), got " + boot);
        if (parallel != null && parallel < 1) throw CliError.usage("--parallel: must be at least 1, got " + parallel);
        BootExporter.Form form = form(format);
        Optional<HashAlgorithm> requestedBank = bank == null ? Optional.empty() : Optional.of(bank(bank));
        ReportFile target = out == null ? null : outFile(out);
        TrustStore trustStore = VerifyCommand.loadTrust(trust);
        Optional<String> endpoint = Optional.ofNullable(s3Endpoint);
        ArchiveStore store = StoreAccess.open("URI", uri, endpoint, true);
        Path work = null;
        try {
            StoreAccess.requireListable(StoreAccess.named("URI", uri, endpoint), store);
            work = Files.createTempDirectory("ima-archiver-export");
            int threads = parallel != null ? parallel : Runtime.getRuntime().availableProcessors();
            ChainVerifier verifier = new ChainVerifier(trustStore, threads, work,
                    requireClosedBoots ? ChainVerifier.BootClosure.REQUIRE : ChainVerifier.BootClosure.WARN);
            VerifiedChain chain = verifyChain(verifier, store);
            ChainReport report = chain.report();
            if (report.segments() == 0 && !trustStore.isEnrolled(host)) throw CliError.usage(unknownHost(store, trustStore));
            Optional<BootSummary> chosen = report.segments() == 0 ? Optional.empty()
                    : BootExporter.boot(report, boot == null ? OptionalLong.empty() : OptionalLong.of(boot));
            if (chosen.isEmpty() && report.ok()) throw CliError.usage(unknownBoot(report));
            if (!report.ok()) return refuse(report.findings(), "the chain does not verify", "nothing written");
            for (ChainFinding w : report.warnings()) ctx.err().println("export: warning: " + line(w));
            List<VerifiedChain.Segment> segments = BootExporter.segmentsOf(chain, chosen.get());
            HashAlgorithm listBank = requestedBank.orElse(BootExporter.archivedBank(segments));
            Optional<BootExporter.Unavailable> why = BootExporter.unavailable(segments, listBank);
            if (why.isPresent()) throw CliError.usage(unavailable(why.get(), chosen.get()));
            BootExporter.ListFile file = new BootExporter.ListFile(form, listBank);
            return write(store, segments, file, chosen.get(), target, work);
        } catch (IOException e) {
            throw CliError.environment(VerifyCommand.ioMessage(e), e);
        } finally {
            StoreAccess.closeQuietly(store);
            if (work != null) StoreAccess.deleteTree(work);
        }
    }

    private VerifiedChain verifyChain(ChainVerifier verifier, ArchiveStore store) throws CliError, IOException {
        try {
            return verifier.verifyHostChain(store, host);
        } catch (StoreException e) {
            throw StoreAccess.failure(StoreAccess.named("URI", uri, Optional.ofNullable(s3Endpoint)), e);
        } catch (RuntimeException e) {
            throw StoreAccess.uncheckedFailure(StoreAccess.named("URI", uri, Optional.ofNullable(s3Endpoint)), e);
        }
    }

    private int write(ArchiveStore store, List<VerifiedChain.Segment> segments, BootExporter.ListFile file, BootSummary b,
                      ReportFile target, Path work) throws IOException, CliError {
        BootExporter.Outcome[] outcome = new BootExporter.Outcome[1];
        ReportFile.Content content = raw -> {
            BufferedOutputStream buffered = new BufferedOutputStream(raw, 1 << 16);
            outcome[0] = BootExporter.write(store, host, segments, file, work, buffered);
            buffered.flush();
            if (outcome[0] instanceof BootExporter.Outcome.Refused r) throw new Refusal(r.finding());
        };
        try {
            if (target == null) {
                content.writeTo(ctx.out());
                ctx.out().flush();
            } else {
                target.stream(content);
            }
        } catch (Refusal r) {
            String left = target == null ? "standard output may have an incomplete list: discard it"
                    : target.writtenThrough() ? out + " is written through and may have an incomplete list: discard it"
                    : "nothing written to " + out;
            return refuse(List.of(r.finding), "a segment changed in the store after it was verified", left);
        }
        BootExporter.Outcome.Exported done = (BootExporter.Outcome.Exported) outcome[0];
        // The list owns standard output when it goes there; the summary then goes to stderr.
        PrintStream human = target == null ? ctx.err() : ctx.out();
        human.println("exported host " + host + " boot " + b.bootCounter() + ": " + done.records() + " records (" + b.firstIndex() + ".."
                + (b.firstIndex() + done.records() - 1) + ") from " + done.segments() + " verified segment(s) as " + file.kernelName()
                + (target == null ? "" : " to " + out) + (b.closed() ? "; the boot was closed at shutdown" : ""));
        return ExitCode.OK;
    }

    /** Prints the findings, one line each, and the verdict with what the output holds ({@code left}); exit 1. */
    private int refuse(List<ChainFinding> findings, String why, String left) {
        PrintStream err = ctx.err();
        for (ChainFinding f : findings) err.println("export: " + line(f));
        err.println("export: host " + host + ": " + why + " (" + findings.size() + " finding(s)): not exported; " + left);
        return ExitCode.NOT_VERIFIED;
    }

    /** {@code host H: KIND segment S record R: detail}, as verify's summary lines name a finding. */
    static String line(ChainFinding f) {
        StringBuilder sb = new StringBuilder("host ").append(f.host()).append(": ").append(f.kind().id());
        if (f.segment().isPresent()) sb.append(" segment ").append(f.segment().getAsLong());
        if (f.record().isPresent()) sb.append(" record ").append(f.record().getAsLong());
        return sb.append(": ").append(f.detail()).toString();
    }

    static BootExporter.Form form(String s) throws CliError {
        for (BootExporter.Form f : BootExporter.Form.values()) {
            if (f.id().equals(s)) return f;
        }
        throw CliError.usage("--format: must be binary or ascii, got '" + s + "'");
    }

    static HashAlgorithm bank(String s) throws CliError {
        Optional<HashAlgorithm> a = HashAlgorithm.byKernelName(s);
        if (a.isEmpty()) {
            throw CliError.usage("--bank: unknown bank '" + s + "' (one of "
                    + Stream.of(HashAlgorithm.values()).map(HashAlgorithm::kernelName).collect(Collectors.joining(", ")) + ")");
        }
        return a.get();
    }

    private static ReportFile outFile(Path out) throws CliError {
        ReportFile f = ReportFile.of("--out", out.toString());
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) throw CliError.usage("--out " + out + ": no such directory " + parent);
        return f;
    }

    private String unknownHost(ArchiveStore store, TrustStore trustStore) throws IOException {
        final int shown = 20;
        List<String> hosts;
        long total;
        try (Stream<String> s = new ChainIndex(store).hosts()) {
            hosts = s.limit(shown + 1L).toList();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        total = hosts.size();
        String listed = hosts.isEmpty() ? "none" : String.join(", ", hosts.subList(0, (int) Math.min(shown, total)))
                + (total > shown ? ", ..." : "");
        return "--host " + host + ": no chain in the archive " + uri + " and not enrolled in --trust " + trust
                + "; hosts with a chain: " + listed;
    }

    private String unknownBoot(ChainReport report) {
        String boots = report.boots().stream().map(b -> "boot " + b.bootCounter() + " (segments " + b.firstSegment() + ".." + b.lastSegment()
                + ", " + b.records() + " records" + (b.closed() ? ", closed" : "") + ")").collect(Collectors.joining(", "));
        return "--boot " + boot + ": host " + host + " has no such boot; its boots: " + (boots.isEmpty() ? "none" : boots);
    }

    private String unavailable(BootExporter.Unavailable u, BootSummary b) {
        String where = "host " + host + " boot " + b.bootCounter() + " segment " + u.segment();
        if (u instanceof BootExporter.Unavailable.NotReplayed n) {
            return "--bank " + n.bank() + ": " + where + " archived the " + n.archived() + " list and replayed only "
                    + n.replayed().stream().map(HashAlgorithm::kernelName).sorted().collect(Collectors.joining(", "))
                    + ": nothing shows that the kernel had a " + n.bank() + " list (use --bank " + n.archived() + " or sha1)";
        }
        BootExporter.Unavailable.PaddedSha1 p = (BootExporter.Unavailable.PaddedSha1) u;
        return "--bank " + p.bank() + ": " + where + " was extended with padded SHA-1 digests (a kernel before 5.8), which had no "
                + p.bank() + " list file (use --bank sha1)";
    }
}

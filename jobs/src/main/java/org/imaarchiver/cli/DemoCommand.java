package org.imaarchiver.cli;

import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import org.imaarchiver.cli.demo.SwtpmProcess;
import org.imaarchiver.cli.demo.TpmDemo;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.synth.LogGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code demo}: until the nightly job exists, shows the whole loop on a software TPM: a generated
 * list is extended into a fresh swtpm, a quote is taken, and check-quote finds its quote point.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Generate a list, extend it into a fresh swtpm, quote, and check the quote against the list.",
                "Needs swtpm and tpm2-tools (bin/ima-archiver runs scripts/install-deps first)."})
final class DemoCommand implements Callable<Integer> {
    private final Main.Context ctx;

    @Option(names = "--records", defaultValue = "5000", description = "Records in the list (default ${DEFAULT-VALUE}).")
    long records;

    @Option(names = "--quote-after", paramLabel = "K",
            description = "Quote after K records, then append the rest (the list outgrows the quote). Default: all.")
    Long quoteAfter;

    @Option(names = "--seed", defaultValue = "1", description = "Generator seed.")
    long seed;

    @Option(names = "--dir", paramLabel = "DIR", description = "Work directory (default: a new temporary one, kept).")
    Path dir;

    DemoCommand(Main.Context ctx) { this.ctx = ctx; }

    @Override
    public Integer call() throws Exception {
        long k = quoteAfter == null ? records : quoteAfter;
        if (records < 1 || k < 1 || k > records) throw CliError.usage("--quote-after must be in 1..--records");
        try {
            SwtpmProcess.requireTools("swtpm", "swtpm", "tpm2_pcrextend", "tpm2-tools", "tpm2_quote", "tpm2-tools");
        } catch (SwtpmProcess.TpmUnavailableException e) {
            throw CliError.environment(e.getMessage());
        }
        Path work = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("ima-archiver-demo");
        Path log = work.resolve("binary_runtime_measurements");
        var out = ctx.out();
        LogGenerator.Options o = LogGenerator.Options.defaults(seed).withSignatureRate(0.5)
                .withExpectedBanks(EnumSet.of(HashAlgorithm.SHA1, HashAlgorithm.SHA256));
        try (SwtpmProcess tpm = SwtpmProcess.start(work.resolve("tpm"))) {
            TpmDemo demo = new TpmDemo(tpm);
            LogGenerator gen = LogGenerator.newList(o);
            long t0 = System.nanoTime();
            TpmDemo.QuoteFiles q;
            TpmDemo.Ak ak = demo.createAk();
            byte[] nonce = ByteBuffer.allocate(20).putLong(12, k).array();  // like the shared test data: the count
            try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(log), 1 << 20)) {
                gen.write(os, k, demo.extender());
                q = demo.quote("demo", pcrsToQuote(demo), nonce);
                gen.write(os, records - k, demo.extender());
                demo.flush();
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            out.printf("list        %s (%d records, extended into swtpm in %.1f s)%n", log, records, secs);
            out.printf("quote       %s after record %d over %s, nonce %s%n", q.msg(), k, "sha1+sha256 PCRs "
                    + demo.pcrsSeen(), java.util.HexFormat.of().formatHex(nonce));
            int peer = demo.checkquote(ak.pem(), q, nonce);
            out.printf("tpm2_checkquote  %s%n", peer == 0 ? "ok" : "FAILED (rc " + peer + ")");
            Engine.QuoteVerdict v = Engine.checkQuote(new Engine.LogEvidence(log, Engine.Format.BINARY,
                    Optional.empty(), OptionalLong.empty()), q.msg(), q.sig(), ak.pem(), Optional.of(nonce));
            out.printf("check-quote verified %s, quote point %s, resetCount %d, restartCount %d%n", v.verified(),
                    v.quotePoint().isPresent() ? Long.toString(v.quotePoint().getAsLong()) : "none",
                    v.resetCount(), v.restartCount());
            out.printf("again with: bin/ima-archiver check-quote --log %s --quote %s --signature %s --ak %s --nonce %s%n",
                    log, q.msg(), q.sig(), ak.pem(), java.util.HexFormat.of().formatHex(nonce));
            return v.verified() && v.quotePoint().equals(OptionalLong.of(k)) ? ExitCode.OK : ExitCode.NOT_VERIFIED;
        } catch (SwtpmProcess.TpmUnavailableException e) {
            throw CliError.environment(e.getMessage());
        }
    }

    /** The generator's PCRs 10..12 are all quoted so no record escapes the digest (ima-kernel.md C.3). */
    private static java.util.TreeSet<Integer> pcrsToQuote(TpmDemo demo) {
        var s = new java.util.TreeSet<Integer>(java.util.List.of(10, 11, 12));
        s.addAll(demo.pcrsSeen());
        return s;
    }
}

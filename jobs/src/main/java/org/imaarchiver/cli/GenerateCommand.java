package org.imaarchiver.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.concurrent.Callable;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.synth.LogGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code generate OUT}: a synthetic, realistic binary list (for demos, benchmarks and tests). */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Write a synthetic binary IMA list (deterministic by seed), or append to one."})
final class GenerateCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Parameters(index = "0", paramLabel = "OUT")
    Path out;

    @Option(names = "--records", defaultValue = "10000", description = "Records to write (default ${DEFAULT-VALUE}).")
    long records;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--digest", defaultValue = "sha1", paramLabel = "ALGO",
            description = "Stored template digest: sha1 = legacy file (default), sha256 etc. = per-bank file.")
    String digest;

    @Option(names = "--violation-rate", defaultValue = "0.002", description = "Fraction of violations (default ${DEFAULT-VALUE}).")
    double violationRate;

    @Option(names = "--signature-rate", defaultValue = "0.5", description = "Fraction of ima-sig records signed.")
    double signatureRate;

    @Option(names = "--other-pcr-rate", defaultValue = "0.05", description = "Fraction of records on PCR 11/12.")
    double otherPcrRate;

    @Option(names = "--ima-template-rate", defaultValue = "0", description = "Fraction of legacy 'ima' records (1 = pure ima list).")
    double imaRate;

    @Option(names = "--append", description = "Append to OUT instead of replacing it.")
    boolean append;

    GenerateCommand(CliContext ctx) { this.ctx = ctx; }

    @Override
    public Integer call() throws Exception {
        if (records < 0) throw CliError.usage("--records " + records + ": a count is 0 or more");
        HashAlgorithm stored = HashAlgorithm.byKernelName(digest)
                .orElseThrow(() -> CliError.usage("--digest: unsupported algorithm '" + digest + "'"));
        LogGenerator.Options o;
        try {
            o = new LogGenerator.Options(seed, stored, violationRate, signatureRate, otherPcrRate, imaRate,
                    EnumSet.noneOf(HashAlgorithm.class));
        } catch (IllegalArgumentException e) {
            throw CliError.usage(e.getMessage());
        }
        LogGenerator.Summary s;
        if (append) {
            Inputs.requireFile(out, "OUT");
            s = LogGenerator.appendFile(out, records, o);
        } else {
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent)) throw CliError.usage("OUT: no such directory: " + parent);
            s = LogGenerator.writeFile(out, records, o);
        }
        ctx.err().printf("wrote records %d..%d (%d violations, %d bytes) to %s%n", s.firstIndex(),
                s.firstIndex() + s.records() - 1, s.violations(), s.bytes(), out);
        return ExitCode.OK;
    }
}

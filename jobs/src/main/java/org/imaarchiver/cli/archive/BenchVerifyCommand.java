package org.imaarchiver.cli.archive;

import java.util.concurrent.Callable;
import org.imaarchiver.cli.CliError;
import org.imaarchiver.cli.Main;
import picocli.CommandLine.Command;

/** Placeholder; filled in below. */
@Command(name = "bench-verify", mixinStandardHelpOptions = true, description = "Benchmark verify.")
public final class BenchVerifyCommand implements Callable<Integer> {
    private final Main.Context ctx;

    public BenchVerifyCommand(Main.Context ctx) { this.ctx = ctx; }

    @Override
    public Integer call() throws CliError {
        throw CliError.environment("bench-verify: not yet");
    }
}

package org.imaarchiver.cli.archive;

import org.imaarchiver.cli.CliContext;
import picocli.CommandLine;

/**
 * The archive commands ({@code keygen}, {@code admit}, {@code pack}, {@code verify}, {@code export}, {@code bench-verify}, and the
 * distributed verify's {@code worker} and {@code broker}) as one registration point, so the entry point
 * needs one line to add them. Only {@code worker} starts Spring.
 */
public final class ArchiveCommands {
    private ArchiveCommands() {}

    /** Adds the archive subcommands to the root command line. */
    public static void register(CommandLine root, CliContext ctx) {
        root.addSubcommand(new KeygenCommand(ctx));
        root.addSubcommand(new AdmitCommand(ctx));
        root.addSubcommand(new PackCommand(ctx));
        root.addSubcommand(new VerifyCommand(ctx));
        root.addSubcommand(new ExportCommand(ctx));
        root.addSubcommand(new BenchVerifyCommand(ctx));
        root.addSubcommand(new CompactCommand(ctx));
        root.addSubcommand(new WorkerCommand(ctx));
        root.addSubcommand(new BrokerCommand(ctx));
    }
}

package org.imaarchiver.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code inspect LOG}: the records as the kernel's ASCII list, a decoded table, or JSON lines. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Print a list's records in the kernel's ascii_runtime_measurements format (diffable),",
                "or decoded (--decoded), or as JSON lines (--json). Nothing is verified."})
final class InspectCommand implements Callable<Integer> {
    /** Output form. */
    enum Mode { ASCII, DECODED, JSON }

    private final CliContext ctx;

    @Parameters(index = "0", paramLabel = "LOG")
    Path log;

    @Option(names = "--format", paramLabel = "auto|binary|ascii", defaultValue = "auto", description = "List format.")
    String format;

    @Option(names = "--decoded", description = "Table: index, PCR, template, file digest algo:hex, name, sig, violation.")
    boolean decoded;

    @Option(names = "--json", description = "One JSON object per record.")
    boolean json;

    // archive segments (org.imaarchiver.cli.archive): --records, --store, --s3-endpoint
    @Mixin
    org.imaarchiver.cli.archive.SegmentInspectOptions segment;

    InspectCommand(CliContext ctx) { this.ctx = ctx; }

    @Override
    public Integer call() throws Exception {
        if (decoded && json) throw CliError.usage("--decoded and --json exclude each other");
        if (segment.applies(log)) return segment.inspect(log.toString(), json, ctx.out());  // a Parquet segment
        segment.rejectForLists();
        Inputs.requireFile(log, "LOG");
        Mode mode = decoded ? Mode.DECODED : json ? Mode.JSON : Mode.ASCII;
        Engine.inspect(log, ReplayCommand.format(format), mode, ctx.out());
        return ExitCode.OK;
    }
}

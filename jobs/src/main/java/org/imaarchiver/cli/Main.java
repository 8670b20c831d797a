package org.imaarchiver.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.imaarchiver.archive.io.InputTooLargeException;
import org.imaarchiver.archive.io.UnsafeOutputException;
import org.imaarchiver.replay.log.MalformedLogException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * Entry point of {@code bin/ima-archiver}. {@link #run} is the testable form: it never calls
 * {@code System.exit} and returns the exit code (see {@link ExitCode}).
 *
 * <p>The commands here start no Spring context: they only touch replay-engine classes, so the JVM
 * reaches its first output in well under a second.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        System.out.flush();
        System.exit(code);
    }

    /** Runs the CLI with the given streams; returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        boolean debug = Arrays.asList(args).contains("--debug");
        CliContext ctx = new CliContext(out, err, debug, Main::run, Main.class.getName());
        CommandLine cl = new CommandLine(new Root(ctx), new Factory(ctx));
        org.imaarchiver.cli.archive.ArchiveCommands.register(cl, ctx);
        cl.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            err.println(c.getCommandName() + ": " + ex.getMessage());
            err.println("Try '" + c.getCommandSpec().qualifiedName() + " --help'.");
            return ExitCode.USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parse) -> handle(ex, c, ctx));
        int code = cl.execute(args);
        // PrintStream swallows write errors: a report sent into a full disk or a closed pipe would be
        // lost with exit 0. checkError() flushes and tells whether any write failed.
        if (out.checkError() && code != ExitCode.INTERNAL) {
            err.println("ima-archiver: cannot write to standard output: the output is incomplete");
            code = ExitCode.ENVIRONMENT;
        }
        err.flush();
        return code;
    }

    private static int handle(Exception ex, CommandLine c, CliContext ctx) {
        PrintStream err = ctx.err();
        String cmd = c.getCommandSpec().qualifiedName();
        int code;
        if (ex instanceof CliError e) {
            err.println(cmd + ": " + e.getMessage());
            code = e.exitCode();
        } else if (ex instanceof MalformedLogException e) {
            err.println(cmd + ": " + e.getMessage());  // names file, record and byte offset
            code = ExitCode.USAGE;
        } else if (ex instanceof UnsafeOutputException e) {
            err.println(cmd + ": " + e.getMessage());  // names the path
            code = ExitCode.USAGE;
        } else if (ex instanceof InputTooLargeException e) {
            err.println(cmd + ": " + e.getMessage());  // names the file and the limit
            code = ExitCode.USAGE;
        } else if (ex instanceof IOException e) {
            err.println(cmd + ": I/O error: " + e.getMessage());
            code = ExitCode.ENVIRONMENT;
        } else if (ex instanceof InterruptedException) {
            err.println(cmd + ": interrupted");
            Thread.currentThread().interrupt();
            code = ExitCode.ENVIRONMENT;
        } else {
            err.println(cmd + ": internal error (a bug): " + ex);
            ex.printStackTrace(err);
            return ExitCode.INTERNAL;
        }
        if (ctx.debug()) ex.printStackTrace(err);
        return code;
    }

    /** Builds commands with the context (no reflection magic beyond picocli's own). */
    private static final class Factory implements CommandLine.IFactory {
        private final CliContext ctx;
        private final CommandLine.IFactory fallback = CommandLine.defaultFactory();

        Factory(CliContext ctx) { this.ctx = ctx; }

        @Override
        public <K> K create(Class<K> cls) throws Exception {
            try {
                return cls.getDeclaredConstructor(CliContext.class).newInstance(ctx);
            } catch (NoSuchMethodException e) {
                return fallback.create(cls);
            }
        }
    }

    @Command(name = "ima-archiver", mixinStandardHelpOptions = true, version = "ima-archiver 0.1.0",
            description = "Archive the Linux IMA measurement log verifiably: replay lists, check TPM quotes, archive and trim nightly, keep signed chained Parquet segments, verify them offline.",
            subcommands = {ReplayCommand.class, CheckQuoteCommand.class, InspectCommand.class, BenchCommand.class,
                    DemoCommand.class, GenerateCommand.class, CommandLine.HelpCommand.class,
                    org.imaarchiver.jobs.nightly.cli.ArchiveCommand.class, org.imaarchiver.jobs.nightly.cli.EnrollCommand.class,
                    org.imaarchiver.jobs.nightly.cli.StatusCommand.class,
                    org.imaarchiver.jobs.nightly.cli.LogViewCommand.class},
            footer = {"", "Exit codes: 0 ok/verified, 1 evidence does not verify,",
                    "2 bad usage or malformed input, 3 environment problem (missing tool, file, TPM or store; unwritable output).",
                    "`archive` adds 10 nothing to do, 11 archived but not trimmed, 12 trimming blocked,",
                    "13 another archiver runs (docs/operations.md). Docs: README.md and docs/."})
    static final class Root implements java.util.concurrent.Callable<Integer> {
        private final CliContext ctx;

        @Option(names = "--debug", scope = ScopeType.INHERIT, description = "Show stack traces for errors.")
        boolean debug;

        Root(CliContext ctx) { this.ctx = ctx; }

        @Override
        public Integer call() {
            ctx.err().println("ima-archiver: missing command");
            ctx.err().println("Try 'ima-archiver --help'.");
            return ExitCode.USAGE;
        }
    }
}

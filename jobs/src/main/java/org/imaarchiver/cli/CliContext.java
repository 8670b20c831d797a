package org.imaarchiver.cli;

import java.io.PrintStream;
import java.util.Objects;

/**
 * What every command gets from the entry point: its streams, the global {@code --debug} flag, and a
 * way to run another command line of this program, in this process or as a child JVM. The last two
 * let commands such as {@code bench-verify} drive {@code verify} without depending on {@link Main}
 * (which depends on them to register them).
 */
public record CliContext(PrintStream out, PrintStream err, boolean debug, CommandLineRunner runner, String mainClassName) {
    public CliContext {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(err, "err");
        Objects.requireNonNull(runner, "runner");
        Objects.requireNonNull(mainClassName, "mainClassName");
    }

    /** Runs one command line of this program in this process and returns its exit code. */
    @FunctionalInterface
    public interface CommandLineRunner {
        int run(String[] args, PrintStream out, PrintStream err);
    }

    /** {@link CommandLineRunner#run} with this context's runner. */
    public int run(String[] args, PrintStream out, PrintStream err) {
        return runner.run(args, out, err);
    }
}

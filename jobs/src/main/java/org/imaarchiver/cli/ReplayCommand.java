package org.imaarchiver.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.pcr.PcrState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code replay LOG}: the final PCR values of a list (or of a slice continued from --base). */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Replay an IMA measurement list into PCR values, verifying every stored template digest."})
final class ReplayCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Parameters(index = "0", paramLabel = "LOG", description = "binary_runtime_measurements[_ALGO] or ascii_runtime_measurements")
    Path log;

    @Option(names = "--format", paramLabel = "auto|binary|ascii", defaultValue = "auto",
            description = "List format (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--banks", paramLabel = "sha1,sha256,...",
            description = "PCR banks to compute (default: " + Inputs.DEFAULT_BANKS + ", or the base state's banks).")
    String banks;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "Hashing threads (default: one per core).")
    int threads;

    @Option(names = "--base", paramLabel = "STATE.json",
            description = "Start from this state (the \"state\" of an earlier replay --json) instead of all-zero PCRs.")
    Path base;

    @Option(names = {"--log-start", "--first-index"}, paramLabel = "INDEX",
            description = "Absolute index of LOG's first record (default: the base's next index, or 0). "
                    + "Records before the base's next index are skipped.")
    Long logStart;

    @Option(names = "--json", description = "Print a JSON object: entries, violations, pcrs, state.")
    boolean json;

    ReplayCommand(CliContext ctx) { this.ctx = ctx; }

    static Engine.Format format(String f) throws CliError {
        return switch (f.toLowerCase(java.util.Locale.ROOT)) {
            case "auto" -> Engine.Format.AUTO;
            case "binary" -> Engine.Format.BINARY;
            case "ascii" -> Engine.Format.ASCII;
            default -> throw CliError.usage("--format: expected auto, binary or ascii, got '" + f + "'");
        };
    }

    @Override
    public Integer call() throws Exception {
        Inputs.requireFile(log, "LOG");
        Optional<PcrState> baseState = StateFiles.readBase(base);
        var bankSet = Inputs.banks(banks != null ? banks : Inputs.DEFAULT_BANKS, "--banks");
        if (baseState.isPresent()) {
            if (banks != null && !bankSet.equals(baseState.get().banks())) {
                throw CliError.usage("--banks " + banks + " differs from the base state's banks " + baseState.get().banks());
            }
            bankSet = baseState.get().banks();
        }
        OptionalLong start = logStart == null ? OptionalLong.empty() : OptionalLong.of(logStart);
        Engine.Replayed r = Engine.replay(log, format(format), bankSet, baseState, start, threads);
        if (json) {
            ctx.out().print(Json.pretty(toJson(r)));
        } else {
            // An empty list (or slice) has no range to show: "records 0..-1" read as a bug.
            String records = r.entries() == 0 ? "no records" : "records " + r.firstIndex() + ".." + (r.state().nextIndex() - 1);
            ctx.out().printf("entries %d (%s), violations %d%n", r.entries(), records, r.violations());
            StateFiles.printPcrs(r.state(), ctx.out());
        }
        if (r.failureCount() > 0) {
            // the replay went on past altered records; the values are not those of an untampered list
            for (var f : r.failures()) ctx.err().println("replay: " + f.describe());
            if (r.failureCount() > r.failures().size()) {
                ctx.err().println("replay: ... " + (r.failureCount() - r.failures().size()) + " more failures");
            }
            return ExitCode.NOT_VERIFIED;
        }
        return ExitCode.OK;
    }

    static Map<String, Object> toJson(Engine.Replayed r) throws CliError {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("entries", r.entries());
        m.put("firstIndex", r.firstIndex());
        m.put("nextIndex", r.state().nextIndex());
        m.put("violations", r.violations());
        m.put("clean", r.failureCount() == 0);  // every stored template digest matched
        java.util.List<Object> failures = new java.util.ArrayList<>();
        for (var f : r.failures()) failures.add(f.describe());
        m.put("failures", failures);
        m.put("pcrs", StateFiles.pcrsJson(r.state()));
        m.put("state", Engine.stateToJson(r.state()));
        return m;
    }
}

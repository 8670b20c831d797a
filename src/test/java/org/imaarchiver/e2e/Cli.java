package org.imaarchiver.e2e;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.imaarchiver.cli.Main;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;

/** Runs the CLI in-process through {@link Main#run} and captures exit code and output. */
final class Cli {
    private Cli() {}

    record Result(int code, String out, String err) {
        Map<String, Object> json() throws Json.JsonException {
            return Json.asObject(Json.parse(out), "stdout");
        }

        /** "pcrs": {"10": {"sha1": hex}} of a --json output. */
        Digest pcr(int pcr, HashAlgorithm bank) throws Json.JsonException {
            Map<String, Object> pcrs = Json.asObject(json().get("pcrs"), "pcrs");
            Map<String, Object> banks = Json.asObject(pcrs.get(Integer.toString(pcr)), "pcrs." + pcr);
            return Digest.ofHex(Json.asString(banks.get(bank.kernelName()), "value"));
        }

        @Override
        public String toString() { return "exit " + code + "\nstdout:\n" + out + "\nstderr:\n" + err; }
    }

    /** Commands that keep job state, by default under the user's ~/.cache: a test gives them a temp {@code --state}. */
    private static final java.util.Set<String> STATEFUL = java.util.Set.of("verify", "compact");

    static Result run(String... args) {
        List<String> a = List.of(args);
        if (!a.isEmpty() && STATEFUL.contains(a.get(0)) && !a.contains("--help") && !a.contains("--state")) {
            throw new IllegalArgumentException(a.get(0) + " without --state would write under the user's home: " + a);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Result run(List<String> args) { return run(args.toArray(String[]::new)); }

    /** 24 lines PCR-00..PCR-23 for evmctl --pcrs (kernel-interface.md T.3). */
    static Path evmctlPcrFile(Path file, Map<PcrBank, Digest> pcrs, HashAlgorithm bank) throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i <= PcrBank.MAX_PCR; i++) {
            lines.add(String.format("PCR-%02d: %s", i, pcrs.getOrDefault(PcrBank.of(i, bank), bank.zero()).hex()));
        }
        Files.write(file, lines);
        return file;
    }
}

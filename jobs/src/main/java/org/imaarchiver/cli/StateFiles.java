package org.imaarchiver.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.imaarchiver.archive.io.InputLimit;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrState;

/** Reading --base files and printing PCR values, shared by replay and check-quote. */
final class StateFiles {
    private StateFiles() {}

    /**
     * Reads a base state: either a state object, or a whole {@code replay --json} / {@code check-quote
     * --json} output whose "state" member is used.
     */
    static Optional<PcrState> readBase(Path base) throws CliError {
        if (base == null) return Optional.empty();
        String text = Inputs.readText(base, "--base", InputLimit.REPLAY_STATE);
        Object json;
        try {
            json = Json.parse(text);
        } catch (Json.JsonException e) {
            throw CliError.usage("--base " + base + ": not JSON: " + e.getMessage());
        }
        if (json instanceof Map<?, ?> m && m.get("state") instanceof Map<?, ?> inner) json = inner;
        return Optional.of(Engine.stateFromJson(json, base.toString()));
    }

    /** {"10": {"sha1": hex, "sha256": hex}, ...}: PCR index as decimal string, bank kernel name, lowercase hex. */
    static Map<String, Object> pcrsJson(PcrState state) {
        Map<String, Object> pcrs = new LinkedHashMap<>();
        TreeMap<Integer, Map<String, Object>> byPcr = new TreeMap<>();
        for (int pcr : state.pcrIndices()) {
            Map<String, Object> banks = new LinkedHashMap<>();
            for (HashAlgorithm a : state.banks()) banks.put(a.kernelName(), state.value(pcr, a).hex());
            byPcr.put(pcr, banks);
        }
        byPcr.forEach((k, v) -> pcrs.put(Integer.toString(k), v));
        return pcrs;
    }

    /** Text lines "PCR-10 sha1   <hex>". */
    static void printPcrs(PcrState state, java.io.PrintStream out) {
        for (int pcr : state.pcrIndices()) {
            for (HashAlgorithm a : state.banks()) {
                out.printf("PCR-%02d %-6s %s%n", pcr, a.kernelName(), state.value(pcr, a).hex());
            }
        }
    }
}

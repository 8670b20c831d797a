package org.imaarchiver.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.pcr.PcrState;
import org.imaarchiver.replay.quote.PcrSelection;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code check-quote}: verifies a tpm2_quote (signature, magic/type, nonce) and finds the first prefix
 * of the list whose replayed PCRs give the quoted pcrDigest (kernel-interface.md C.3), or checks the
 * quote against a PCR file when there is no list.
 */
@Command(name = "check-quote", mixinStandardHelpOptions = true,
        description = {"Verify a TPM quote and find the list prefix it covers (the quote point)."})
final class CheckQuoteCommand implements Callable<Integer> {
    private final CliContext ctx;

    static final class Source {
        @Option(names = "--log", paramLabel = "LOG", description = "The measurement list to replay.")
        Path log;

        @Option(names = "--pcrs", paramLabel = "FILE",
                description = "PCR values instead of a list: tpm2_quote -o (serialized) or tpm2_pcrread YAML.")
        Path pcrs;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--quote", required = true, paramLabel = "MSG", description = "TPMS_ATTEST (tpm2_quote -m).")
    Path quote;

    @Option(names = "--signature", required = true, paramLabel = "SIG", description = "TPMT_SIGNATURE (tpm2_quote -s).")
    Path signature;

    @Option(names = "--ak", required = true, paramLabel = "AKPUB", description = "AK public key: PEM or TPM2B_PUBLIC.")
    Path ak;

    @Option(names = "--nonce", paramLabel = "HEX", description = "Expected qualifying data (tpm2_quote -q).")
    String nonce;

    @Option(names = "--base", paramLabel = "STATE.json", description = "Replay from this state (with --log).")
    Path base;

    @Option(names = {"--log-start", "--first-index"}, paramLabel = "INDEX", description = "Absolute index of LOG's first record.")
    Long logStart;

    @Option(names = "--format", paramLabel = "auto|binary|ascii", defaultValue = "auto", description = "List format.")
    String format;

    @Option(names = "--json", description = "Print a JSON object: verified, quotePoint, resetCount, restartCount, ...")
    boolean json;

    CheckQuoteCommand(CliContext ctx) { this.ctx = ctx; }

    @Override
    public Integer call() throws Exception {
        Engine.Evidence evidence;
        if (source.log != null) {
            Inputs.requireFile(source.log, "--log");
            evidence = new Engine.LogEvidence(source.log, ReplayCommand.format(format), StateFiles.readBase(base),
                    logStart == null ? OptionalLong.empty() : OptionalLong.of(logStart));
        } else {
            if (base != null) throw CliError.usage("--base needs --log");
            evidence = new Engine.PcrFileEvidence(Inputs.requireFile(source.pcrs, "--pcrs"));
        }
        Inputs.requireFile(quote, "--quote");
        Inputs.requireFile(signature, "--signature");
        Inputs.requireFile(ak, "--ak");
        Optional<byte[]> n = nonce == null ? Optional.empty() : Optional.of(Inputs.hex(nonce, "--nonce"));
        Engine.QuoteVerdict v = Engine.checkQuote(evidence, quote, signature, ak, n);
        if (json) {
            ctx.out().print(Json.pretty(toJson(v)));
        } else {
            printText(v);
        }
        return v.verified() ? ExitCode.OK : ExitCode.NOT_VERIFIED;
    }

    private void printText(Engine.QuoteVerdict v) {
        var out = ctx.out();
        if (v.verified()) {
            out.print("verified");
            v.quotePoint().ifPresent(k -> out.print(": quote point " + k + " (covers records 0.." + (k - 1) + ")"));
            out.println();
        } else {
            out.println("NOT verified");
            for (String p : v.problems()) out.println("  " + p);
        }
        out.println("resetCount " + v.resetCount() + ", restartCount " + v.restartCount()
                + ", selection " + v.selection() + ", pcrDigest " + v.pcrDigest().hex());
        if (v.state().isPresent()) {
            // on failure these are the values at the end of the list: what the quote was compared with last
            out.println(v.verified() ? "PCR values at the quote point:" : "replayed PCR values at the end of the list:");
            StateFiles.printPcrs(v.state().get(), out);
        }
    }

    static Map<String, Object> toJson(Engine.QuoteVerdict v) throws CliError {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("verified", v.verified());
        m.put("quotePoint", v.quotePoint().isPresent() ? (Object) v.quotePoint().getAsLong() : Json.NULL);
        m.put("entries", v.entries());
        m.put("resetCount", v.resetCount());
        m.put("restartCount", v.restartCount());
        List<Object> sel = new ArrayList<>();
        for (PcrSelection s : v.selection()) sel.add(s.toString());
        m.put("selection", sel);
        m.put("pcrDigest", v.pcrDigest().hex());
        m.put("problems", new ArrayList<Object>(v.problems()));
        if (v.state().isPresent()) {
            PcrState s = v.state().get();
            m.put("pcrs", StateFiles.pcrsJson(s));
            m.put("state", Engine.stateToJson(s));
        }
        return m;
    }
}

package org.imaarchiver.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrState;
import org.imaarchiver.replay.quote.PcrSelection;

/**
 * The seam between the CLI and replay-engine's readers, replayer and quote verifier. Commands call
 * only these methods, so wiring a new engine API touches this class alone.
 */
final class Engine {
    private Engine() {}

    /** How to read a list file. */
    enum Format { AUTO, BINARY, ASCII }

    /**
     * The result of replaying one list (or one slice of it).
     *
     * @param firstIndex absolute index of the first record replayed
     * @param entries    records replayed by this call
     * @param violations violations among them
     * @param state      the state after the last record (feeds --base of the next slice)
     */
    record Replayed(long firstIndex, long entries, long violations, PcrState state) {}

    /** False until the replay-engine reader/replayer/quote packages are merged. */
    static boolean available() {
        return false;
    }

    private static CliError notMerged(String what) {
        return CliError.environment(what + ": the replay engine (replay.log/replay.replay/replay.quote) "
                + "is not in this build yet");
    }

    /**
     * Replays {@code log}. The log's first record has absolute index {@code logStart} (default: the
     * base's next index, or 0); records before the base's next index are skipped unverified, so a
     * whole list can be continued from a saved state.
     */
    static Replayed replay(Path log, Format format, Set<HashAlgorithm> banks, Optional<PcrState> base,
                           OptionalLong logStart) throws CliError, MalformedLogException, IOException {
        throw notMerged("replay");
    }

    /** A PcrState as the JSON value --base accepts. */
    static Object stateToJson(PcrState state) throws CliError {
        throw notMerged("state JSON");
    }

    /** Parses a --base state (the "state" object of replay --json). */
    static PcrState stateFromJson(Object json, String source) throws CliError {
        throw notMerged("state JSON");
    }

    /** Prints the records in the kernel's ASCII format, or decoded, or as JSON lines. */
    static long inspect(Path log, Format format, InspectCommand.Mode mode, PrintStream out)
            throws CliError, MalformedLogException, IOException {
        throw notMerged("inspect");
    }

    /** Where the PCR values a quote is checked against come from. */
    sealed interface Evidence permits LogEvidence, PcrFileEvidence {}

    /** Replay a list, find the first prefix whose PCRs give the quote's digest. */
    record LogEvidence(Path log, Format format, Optional<PcrState> base, OptionalLong logStart) implements Evidence {}

    /** A tpm2-tools serialized PCR file or tpm2_pcrread YAML. */
    record PcrFileEvidence(Path pcrs) implements Evidence {}

    /**
     * The verdict on one quote.
     *
     * @param verified      signature, magic/type, nonce and digest all check, and (with a log) a prefix matched
     * @param problems      one line per failed check, in check order (empty when verified)
     * @param quotePoint    with a log: the absolute index k such that records [0, k) give the quoted digest
     * @param resetCount    from the quote's clockInfo (obfuscated per AK, ima-kernel.md C.4)
     * @param restartCount  likewise
     * @param selection     the quote's PCR selection
     * @param pcrDigest     the quote's pcrDigest
     * @param state         the replayed state at the quote point, or at the end of the log when none matched
     * @param entries       records replayed
     */
    record QuoteVerdict(boolean verified, List<String> problems, OptionalLong quotePoint, long resetCount,
                        long restartCount, List<PcrSelection> selection, Digest pcrDigest, Optional<PcrState> state,
                        long entries) {}

    static QuoteVerdict checkQuote(Evidence evidence, Path quote, Path signature, Path ak, Optional<byte[]> nonce)
            throws CliError, MalformedLogException, IOException {
        throw notMerged("check-quote");
    }
}

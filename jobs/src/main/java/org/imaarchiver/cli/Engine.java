package org.imaarchiver.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import org.imaarchiver.archive.io.InputLimit;
import org.imaarchiver.replay.bytes.Bytes;
import java.util.LinkedHashMap;
import java.util.Map;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.log.AsciiFormatter;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.log.RecordDecoder;
import org.imaarchiver.replay.template.DecodedRecord;
import org.imaarchiver.replay.quote.AkPublicKey;
import org.imaarchiver.replay.quote.MalformedQuoteException;
import org.imaarchiver.replay.quote.PcrValues;
import org.imaarchiver.replay.quote.Quote;
import org.imaarchiver.replay.quote.QuoteEvidence;
import org.imaarchiver.replay.quote.QuoteResult;
import org.imaarchiver.replay.quote.QuoteSignature;
import org.imaarchiver.replay.quote.QuoteVerifier;
import org.imaarchiver.replay.replay.PcrStateJson;
import org.imaarchiver.replay.replay.QuotePointFinder;
import org.imaarchiver.replay.replay.QuotePointResult;
import org.imaarchiver.replay.replay.ReplayFailure;
import org.imaarchiver.replay.replay.ReplayResult;
import org.imaarchiver.replay.replay.Replayer;
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
     * @param failures   template digest mismatches (the replay went on; the list does not verify)
     */
    record Replayed(long firstIndex, long entries, long violations, PcrState state, List<ReplayFailure> failures,
                    long failureCount) {}

    /**
     * Replays {@code log}. The log's first record has absolute index {@code logStart} (default: the
     * base's next index, or 0); records before the base's next index are skipped unverified, so a
     * whole list can be continued from a saved state. Stopping failures (malformed input, index
     * gaps) are usage errors naming the record; template digest mismatches are returned in the result.
     */
    static Replayed replay(Path log, Format format, Set<HashAlgorithm> banks, Optional<PcrState> base,
                           OptionalLong logStart, int threads) throws CliError, MalformedLogException, IOException {
        PcrState start = base.orElseGet(() -> PcrState.initial(banks));
        try (LogSource source = LogSource.open(log, format, start, logStart)) {
            ReplayResult r = replayer(threads).replay(start, source);
            failIfStopped(r);
            return new Replayed(start.nextIndex(), r.recordsReplayed(), r.violations(), r.state(), r.failures(),
                    r.failureCount());
        }
    }

    static Replayer replayer(int threads) {
        return threads <= 0 ? Replayer.parallel() : threads == 1 ? Replayer.of(1, Replayer.DEFAULT_BATCH_SIZE)
                : Replayer.of(threads, Replayer.DEFAULT_BATCH_SIZE);
    }

    /** A failure that stopped the replay is a property of the input: one line, exit 2. */
    private static void failIfStopped(ReplayResult r) throws CliError {
        Optional<ReplayFailure> stop = r.stoppingFailure();
        if (stop.isPresent() && !(stop.get() instanceof ReplayFailure.NoQuotePoint)) {
            throw CliError.usage(stop.get().describe());
        }
    }

    /** A PcrState as the JSON value --base accepts. */
    static Object stateToJson(PcrState state) {
        return PcrStateJson.toJsonValue(state);
    }

    /** Parses a --base state (the "state" object of replay --json). */
    static PcrState stateFromJson(Object json, String source) throws CliError {
        try {
            return PcrStateJson.fromJsonValue(json, "$");
        } catch (PcrStateJson.DecodeException e) {
            throw CliError.usage("--base " + source + ": " + e.getMessage(), e);
        }
    }

    /** Prints the records in the kernel's ASCII format, or decoded, or as JSON lines. */
    static long inspect(Path log, Format format, InspectCommand.Mode mode, PrintStream out)
            throws CliError, MalformedLogException, IOException {
        long n = 0;
        try (LogSource.Reader reader = LogSource.openReader(log, format, 0)) {
            if (mode == InspectCommand.Mode.DECODED) {
                out.printf("%8s %3s %-12s %-9s %-72s %s %s%n", "index", "pcr", "template", "violation", "file digest",
                        "sig", "name");
            }
            Optional<MeasurementRecord> next;
            while ((next = reader.next()).isPresent()) {
                MeasurementRecord r = next.get();
                switch (mode) {
                    case ASCII -> AsciiFormatter.write(r, out);  // bytes, exactly as the kernel prints them
                    case DECODED -> {
                        DecodedRecord d = RecordDecoder.decode(r, log.toString());
                        String digest = d.fileDigest().map(fd -> d.fileDigestType().map(t -> t + ":").orElse("")
                                + d.fileDigestAlgorithm().orElse("?") + ":" + fd.hex()).orElse("-");
                        out.printf("%8d %3d %-12s %-9s %-72s %-3s %s%n", d.index(), d.pcr(), d.templateName(),
                                d.violation() ? "VIOLATION" : "-", digest, d.signaturePresent() ? "yes" : "-",
                                d.name().orElse("-"));
                    }
                    case JSON -> {
                        DecodedRecord d = RecordDecoder.decode(r, log.toString());
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("index", d.index());
                        m.put("offset", r.offset());
                        m.put("pcr", (long) d.pcr());
                        m.put("templateDigest", r.templateDigest().hex());
                        m.put("template", d.templateName());
                        m.put("violation", d.violation());
                        d.fileDigestAlgorithm().ifPresent(a -> m.put("fileDigestAlgorithm", a));
                        d.fileDigestType().ifPresent(t -> m.put("fileDigestType", t));
                        d.fileDigest().ifPresent(fd -> m.put("fileDigest", fd.hex()));
                        d.name().ifPresent(nm -> m.put("name", nm));
                        m.put("signature", d.signature().map(Bytes::hex).orElse(""));
                        d.buffer().ifPresent(b -> m.put("buffer", b.hex()));
                        out.println(Json.write(m));
                    }
                }
                n++;
            }
        }
        out.flush();
        return n;
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
     * @param resetCount    from the quote's clockInfo (obfuscated per AK, kernel-interface.md C.4)
     * @param restartCount  likewise
     * @param selection     the quote's PCR selection
     * @param pcrDigest     the quote's pcrDigest
     * @param state         the replayed state at the quote point, or at the end of the log when none matched
     * @param entries       records replayed
     */
    record QuoteVerdict(boolean verified, List<String> problems, OptionalLong quotePoint, long resetCount,
                        long restartCount, List<PcrSelection> selection, Digest pcrDigest, Optional<PcrState> state,
                        long entries) {}

    /**
     * Verifies the quote (signature, magic, type, nonce: {@link QuoteVerifier}), then its pcrDigest
     * against the evidence. Unparseable files are usage errors (exit 2); a quote that parses but does
     * not verify is a verdict with problems (exit 1).
     */
    static QuoteVerdict checkQuote(Evidence evidence, Path quotePath, Path signaturePath, Path akPath,
                                   Optional<byte[]> nonce) throws CliError, MalformedLogException, IOException {
        byte[] msg = Inputs.readBytes(quotePath, "--quote", InputLimit.QUOTE);
        byte[] sigBytes = Inputs.readBytes(signaturePath, "--signature", InputLimit.SIGNATURE);
        byte[] akBytes = Inputs.readBytes(akPath, "--ak", InputLimit.AK_PUBLIC_KEY);
        AkPublicKey ak;
        try {
            ak = AkPublicKey.load(akBytes);
        } catch (MalformedQuoteException e) {
            throw CliError.usage("--ak " + akPath + ": " + e.getMessage(), e);
        }
        if (msg.length == 0) throw CliError.usage("--quote " + quotePath + ": empty file");
        if (sigBytes.length == 0) throw CliError.usage("--signature " + signaturePath + ": empty file");
        QuoteEvidence taken = new QuoteEvidence(Bytes.wrap(msg), Bytes.wrap(sigBytes), ak.tpmName().orElse(Bytes.EMPTY));
        Quote quote;
        QuoteSignature sig;
        try {
            quote = taken.attested();
        } catch (MalformedQuoteException e) {
            throw CliError.usage("--quote " + quotePath + ": " + e.getMessage(), e);
        }
        try {
            sig = taken.signatureScheme();
        } catch (MalformedQuoteException e) {
            throw CliError.usage("--signature " + signaturePath + ": " + e.getMessage(), e);
        }
        QuoteVerifier verifier = new QuoteVerifier();
        QuoteResult result = nonce.isPresent()
                ? verifier.verify(taken, ak, Bytes.wrap(nonce.get()))
                : verifier.verifyWithoutNonce(taken, ak);
        List<String> problems = new ArrayList<>();
        result.failure().ifPresent(f -> problems.add(f.describe()));
        // Reported facts come from the parsed quote; they are trustworthy only when verified is true.
        long reset = quote.resetCount();
        long restart = quote.restartCount();
        List<PcrSelection> selection = quote.pcrSelection();
        Digest pcrDigest = quote.pcrDigest();

        if (evidence instanceof PcrFileEvidence pf) {
            PcrValues values = readPcrValues(pf.pcrs());
            if (result.verified().isPresent()) {
                verifier.checkPcrDigest(result.verified().get(), values).ifPresent(f -> problems.add(f.describe()));
            }
            return new QuoteVerdict(problems.isEmpty(), problems, OptionalLong.empty(), reset, restart, selection,
                    pcrDigest, Optional.empty(), 0);
        }
        LogEvidence le = (LogEvidence) evidence;
        Set<HashAlgorithm> banks = EnumSet.noneOf(HashAlgorithm.class);
        for (PcrSelection s : selection) banks.add(s.bank());
        if (banks.isEmpty()) banks.add(HashAlgorithm.SHA256);
        if (le.base().isPresent()) banks = le.base().get().banks();
        QuotePointSearch search = findQuotePoint(le, banks, quote, sig.hash(), result.verified().isPresent());
        // a quote point reached through a record whose stored digest was altered does not verify the records
        for (ReplayFailure f : search.failures()) problems.add(f.describe());
        if (result.verified().isPresent() && search.quotePoint().isEmpty()) {
            String records = search.end().nextIndex() > search.firstIndex()
                    ? "records " + search.firstIndex() + ".." + (search.end().nextIndex() - 1) : "no records";
            problems.add("no prefix of the list (" + records + ") gives the quoted pcrDigest " + pcrDigest.hex());
        }
        boolean verified = problems.isEmpty();
        return new QuoteVerdict(verified, problems, search.quotePoint(), reset, restart, selection, pcrDigest,
                Optional.of(verified ? search.atPoint().orElseThrow() : search.end()), search.entries());
    }

    /** The result of replaying a list while comparing every prefix with a quote (kernel-interface.md C.3). */
    record QuotePointSearch(long firstIndex, long entries, OptionalLong quotePoint, Optional<PcrState> atPoint,
                            PcrState end, List<ReplayFailure> failures) {}

    private static QuotePointSearch findQuotePoint(LogEvidence le, Set<HashAlgorithm> banks, Quote quote,
                                                   HashAlgorithm signingHash, boolean quoteVerified)
            throws CliError, MalformedLogException, IOException {
        PcrState start = le.base().orElseGet(() -> PcrState.initial(banks));
        try (LogSource source = LogSource.open(le.log(), le.format(), start, le.logStart())) {
            if (!quoteVerified) {
                // nothing to match: replay to the end so the values can be shown
                ReplayResult r = replayer(0).replay(start, source);
                failIfStopped(r);
                return new QuotePointSearch(start.nextIndex(), r.recordsReplayed(), OptionalLong.empty(), Optional.empty(),
                        r.state(), r.failures());
            }
            QuotePointResult res = new QuotePointFinder(replayer(0)).find(start, source, quote.pcrSelection(),
                    signingHash, quote.pcrDigest());
            ReplayResult r = res.replay();
            failIfStopped(r);
            if (res instanceof QuotePointResult.Found f) {
                return new QuotePointSearch(start.nextIndex(), r.recordsReplayed(), OptionalLong.of(f.quotePoint()),
                        Optional.of(f.state()), r.state(), r.failures());
            }
            QuotePointResult.NotFound nf = (QuotePointResult.NotFound) res;
            if (nf.failure() instanceof ReplayFailure.BankNotReplayed b) {
                throw CliError.usage("--base: the quote selects bank " + b.bank() + " which the base state does not carry");
            }
            return new QuotePointSearch(start.nextIndex(), r.recordsReplayed(), OptionalLong.empty(), Optional.empty(),
                    r.state(), r.failures());
        }
    }

    /** tpm2-tools serialized PCR file (binary) or tpm2_pcrread YAML (text). */
    static PcrValues readPcrValues(Path file) throws CliError {
        byte[] b = Inputs.readBytes(file, "--pcrs", InputLimit.PCR_VALUES);
        try {
            return looksLikeText(b) ? PcrValues.parsePcrreadYaml(new String(b, StandardCharsets.UTF_8))
                    : PcrValues.parseSerialized(b);
        } catch (MalformedQuoteException e) {
            throw CliError.usage("--pcrs " + file + ": " + e.getMessage(), e);
        }
    }

    private static boolean looksLikeText(byte[] b) {
        if (b.length == 0) return true;
        for (byte x : b) {
            if (x == 0 || (x < 0x20 && x != '\n' && x != '\r' && x != '\t')) return false;
        }
        return true;
    }
}

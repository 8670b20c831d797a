package org.imaarchiver.cli.archive;

import org.imaarchiver.archive.io.InputLimit;
import org.imaarchiver.cli.Inputs;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.chain.PackNonce;
import org.imaarchiver.archive.chain.PackRequest;
import org.imaarchiver.archive.chain.PackResult;
import org.imaarchiver.archive.chain.SegmentPacker;
import org.imaarchiver.replay.quote.QuoteEvidence;
import org.imaarchiver.archive.sign.HttpTimestampAuthority;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.sign.SegmentSigner;
import org.imaarchiver.archive.sign.TimestampAuthority;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.cli.CliError;
import org.imaarchiver.cli.ExitCode;
import org.imaarchiver.cli.CliContext;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.LogFormat;
import org.imaarchiver.replay.log.LogReadOptions;
import org.imaarchiver.replay.log.LogReader;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.quote.AkPublicKey;
import org.imaarchiver.replay.quote.MalformedQuoteException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pack}: imports evidence collected elsewhere (a keylime agent's list and quote, tpm2-tools
 * output) as the next segment of a host's chain. All chain logic is {@link SegmentPacker}'s; this
 * class reads files, maps outcomes to exit codes and prints.
 */
@Command(name = "pack", mixinStandardHelpOptions = true,
        description = {"Archive imported evidence (list, quote, AK) as the next segment of a host's chain.",
                "The segment holds the records of LOG from the chain head's end (or record 0 of a new boot) up to",
                "the point the quote attests; its manifest is signed with KEY/CERT.",
                "Without --nonce the quote must carry the archiver's derived nonce (docs/archive-format.md §7)."},
        footer = {"", "Store URIs: a path, file:///path, s3://bucket/prefix (endpoint and credentials: --s3-endpoint,",
                "AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION).",
                "",
                "Exit codes: 0 packed, or nothing new to pack; 1 the evidence does not verify (quote signature,",
                "nonce, no quote point, records missing); 2 bad usage or malformed input; 3 store unreachable or conflict."})
public final class PackCommand implements Callable<Integer> {
    static final String PRODUCER = "ima-archiver/0.1.0";

    private final CliContext ctx;

    @Option(names = "--log", required = true, paramLabel = "LOG", description = "The measurement list (binary or ASCII), from record 0 of the boot unless --first-index.")
    Path log;

    @Option(names = {"--first-index", "--log-start"}, paramLabel = "N", defaultValue = "0",
            description = "Absolute index of LOG's first record, when LOG is a slice (default 0).")
    long firstIndex;

    @Option(names = "--quote", required = true, paramLabel = "MSG", description = "TPMS_ATTEST (tpm2_quote -m).")
    Path quote;

    @Option(names = "--signature", required = true, paramLabel = "SIG", description = "TPMT_SIGNATURE (tpm2_quote -s).")
    Path signature;

    @Option(names = "--ak", required = true, paramLabel = "AKPUB", description = "AK public key: PEM or TPM2B_PUBLIC.")
    Path ak;

    @Option(names = "--ak-name", paramLabel = "FILE", description = "AK TPM name (tpm2_readpublic -n), if --ak is PEM.")
    Path akName;

    @Option(names = "--nonce", paramLabel = "HEX", description = "The nonce the quote was taken with (imported evidence).")
    String nonce;

    @Option(names = "--host", required = true, paramLabel = "HOST", description = "Host id: [A-Za-z0-9._-], 1..128 characters.")
    String host;

    @Option(names = "--key", required = true, paramLabel = "KEY.pem", description = "Signing key (keygen's signing-key.pem).")
    Path key;

    @Option(names = "--cert", required = true, paramLabel = "CERT.pem", description = "Signing certificate (keygen's signing-cert.pem).")
    Path cert;

    @Option(names = "--store", required = true, paramLabel = "URI", description = "Archive location.")
    String store;

    @Option(names = "--s3-endpoint", paramLabel = "URL", description = "S3 endpoint (MinIO, Ceph, ...).")
    String s3Endpoint;

    @Option(names = "--tsa", paramLabel = "URL", description = "RFC 3161 timestamp authority for the manifest signature.")
    String tsa;

    @Option(names = "--kernel-version", paramLabel = "UNAME_R", description = "Kernel version to record in the manifest.")
    String kernelVersion;

    @Option(names = "--json", description = "Print the result as one JSON object.")
    boolean json;

    public PackCommand(CliContext ctx) { this.ctx = ctx; }

    @Override
    public Integer call() throws CliError {
        QuietLibraries.apply();
        if (!ArchiveLayout.isValidHostId(host)) {
            throw CliError.usage("--host: '" + host + "' is not 1.." + ArchiveLayout.MAX_HOST_ID_LENGTH
                    + " characters of [A-Za-z0-9._-] starting with a letter or digit");
        }
        if (firstIndex < 0) throw CliError.usage("--first-index: negative: " + firstIndex);
        Inputs.requireFile(log, "--log");
        byte[] msg = Inputs.readBytes(quote, "--quote", InputLimit.QUOTE);
        byte[] sig = Inputs.readBytes(signature, "--signature", InputLimit.SIGNATURE);
        byte[] akBytes = Inputs.readBytes(ak, "--ak", InputLimit.AK_PUBLIC_KEY);
        AkPublicKey akKey;
        try {
            akKey = AkPublicKey.load(akBytes);
        } catch (MalformedQuoteException e) {
            throw CliError.usage("--ak " + ak + ": " + e.getMessage(), e);
        }
        if (msg.length == 0) throw CliError.usage("--quote " + quote + ": empty file");
        if (sig.length == 0) throw CliError.usage("--signature " + signature + ": empty file");
        Bytes name = akName != null ? Bytes.wrap(Inputs.readBytes(akName, "--ak-name", InputLimit.AK_NAME)) : akKey.tpmName().orElse(Bytes.EMPTY);
        QuoteEvidence evidence = new QuoteEvidence(Bytes.wrap(msg), Bytes.wrap(sig), name);
        // Decoded up front: a file that is not a quote is malformed input (2), not failed evidence (1).
        try {
            evidence.attested();
        } catch (MalformedQuoteException e) {
            throw CliError.usage("--quote " + quote + ": " + e.getMessage(), e);
        }
        try {
            evidence.signatureScheme();
        } catch (MalformedQuoteException e) {
            throw CliError.usage("--signature " + signature + ": " + e.getMessage(), e);
        }
        PackNonce packNonce = nonce == null ? new PackNonce.Derived() : new PackNonce.External(Bytes.wrap(Inputs.hex(nonce, "--nonce")));
        KeyMaterial km = SigningFiles.read(key, cert);
        Optional<TimestampAuthority> timestamps = Optional.empty();
        if (tsa != null) timestamps = Optional.of(new HttpTimestampAuthority(url(tsa, "--tsa"), Duration.ofSeconds(30)));
        Instant createdAt = Instant.now().truncatedTo(ChronoUnit.SECONDS);

        ArchiveStore st = StoreAccess.open("--store", store, Optional.ofNullable(s3Endpoint));
        Path work = null;
        try (InputStream in = Files.newInputStream(log)) {
            work = Files.createTempDirectory("ima-archiver-pack");
            LogReader reader = LogFormat.open(in, LogReadOptions.of(log.toString()).withFirstIndex(firstIndex));
            PackRequest request = new PackRequest(host, reader, evidence, akKey, packNonce, createdAt, PRODUCER,
                    Optional.ofNullable(kernelVersion));
            PackResult result = new SegmentPacker(st, new SegmentSigner(km, timestamps), work).pack(request);
            return report(result);
        } catch (IOException e) {
            MalformedLogException mle = malformedCause(e);
            if (mle != null) throw CliError.usage("--log " + log + ": " + mle.getMessage(), e);
            if (e instanceof org.imaarchiver.archive.store.StoreException) throw StoreAccess.failure(storeName(), e);
            throw CliError.environment("pack: I/O error: " + e.getMessage(), e);
        } catch (java.io.UncheckedIOException | software.amazon.awssdk.core.exception.SdkException e) {
            throw StoreAccess.uncheckedFailure(storeName(), e);
        } finally {
            if (work != null) StoreAccess.deleteTree(work);
            StoreAccess.closeQuietly(st);
        }
    }

    private String storeName() { return StoreAccess.named("--store", store, Optional.ofNullable(s3Endpoint)); }

    private int report(PackResult result) throws CliError {
        if (result instanceof PackResult.Packed p) {
            if (json) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("status", "packed");
                o.put("segment", p.segmentKey());
                o.put("sequence", p.sequence());
                o.put("records", p.records());
                o.put("quotePoint", p.quotePoint());
                o.put("newBoot", p.newBoot());
                ctx.out().println(Json.write(o));
            } else {
                ctx.out().println("packed segment " + p.segmentKey());
                ctx.out().println("  sequence:    " + p.sequence() + (p.newBoot() ? " (new boot)" : ""));
                ctx.out().println("  records:     " + p.records() + " (" + (p.quotePoint() - p.records()) + ".." + (p.quotePoint() - 1) + ")");
                ctx.out().println("  quote point: " + p.quotePoint());
            }
            return ExitCode.OK;
        }
        if (result instanceof PackResult.NothingToPack n) {
            if (json) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("status", "nothing-to-pack");
                o.put("segment", Json.NULL);
                o.put("sequence", Json.NULL);
                o.put("records", 0L);
                o.put("quotePoint", n.quotePoint());
                ctx.out().println(Json.write(o));
            } else {
                ctx.out().println("nothing new to pack: the quote attests record " + n.quotePoint()
                        + ", where " + host + "'s chain already ends");
            }
            return ExitCode.OK;
        }
        PackResult.Failure f = (PackResult.Failure) result;
        if (f instanceof PackResult.StoreConflict || f instanceof PackResult.HeadUnreadable || f instanceof PackResult.NotDurable) {
            throw CliError.environment("--store " + store + ": " + f.kind() + ": " + f.describe());
        }
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("status", "failed");
            o.put("kind", f.kind());
            o.put("detail", f.describe());
            ctx.out().println(Json.write(o));
        }
        ctx.err().println("pack: " + host + ": " + f.kind() + ": " + f.describe());
        return ExitCode.NOT_VERIFIED;
    }

    private static MalformedLogException malformedCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MalformedLogException m) return m;
        }
        return null;
    }

    private static URI url(String s, String option) throws CliError {
        try {
            URI u = new URI(s);
            if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) throw CliError.usage(option + ": not an http(s) URL: " + s);
            return u;
        } catch (URISyntaxException e) {
            throw CliError.usage(option + ": not a URL: " + s);
        }
    }
}

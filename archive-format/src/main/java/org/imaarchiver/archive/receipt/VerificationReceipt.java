package org.imaarchiver.archive.receipt;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.io.InputLimit;
import org.imaarchiver.archive.io.LimitedFiles;
import org.imaarchiver.archive.io.OutputTargets;
import org.imaarchiver.archive.segment.BootIdentity;
import org.imaarchiver.archive.segment.MalformedManifestException;
import org.imaarchiver.archive.segment.ManifestCodec;
import org.imaarchiver.archive.sign.SegmentSigner;
import org.imaarchiver.archive.sign.SignatureVerificationException;
import org.imaarchiver.archive.sign.SignatureVerifier;
import org.imaarchiver.archive.sign.SigningException;
import org.imaarchiver.archive.sign.TrustedKeys;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrState;

/**
 * "Verified up to here": a host's chain verified without findings through segment {@link #sequence},
 * whose sidecar manifest has digest {@link #manifestDigest}, ending in boot {@link #boot} with PCRs
 * {@link #end}. Stored as canonical JSON ({@code <host>.receipt.json}, {@link Json#canonical}) and a
 * detached CMS over those bytes ({@code <host>.receipt.cms}, {@link SegmentSigner}: the same profile
 * as segment manifests), signed by the verifier's key (docs/archive-format.md §17). A later run takes
 * a trusted receipt as the predecessor of the chain segments after it
 * ({@link org.imaarchiver.archive.chain.ChainVerifier#verifyAfter}).
 */
public record VerificationReceipt(String host, BootIdentity boot, long sequence, Digest manifestDigest, PcrState end,
                                  Instant verifiedAt, String verifier) {
    public static final String TYPE = "ima-archiver-verification-receipt";
    public static final int VERSION = 1;
    public static final String JSON_SUFFIX = ".receipt.json";
    public static final String CMS_SUFFIX = ".receipt.cms";

    public VerificationReceipt {
        ArchiveLayout.requireValidHostId(host);
        Objects.requireNonNull(boot, "boot");
        if (sequence < 0) throw new IllegalArgumentException("sequence < 0");
        Objects.requireNonNull(manifestDigest, "manifestDigest");
        Objects.requireNonNull(end, "end");
        Objects.requireNonNull(verifiedAt, "verifiedAt");
        Objects.requireNonNull(verifier, "verifier");
    }

    /** Why a receipt is not used. */
    public static final class ReceiptException extends Exception {
        public ReceiptException(String message, Throwable cause) { super(message, cause); }
    }

    /** The canonical JSON bytes that are signed. */
    public Bytes canonicalBytes() {
        Map<String, Object> b = new TreeMap<>();
        b.put(ManifestCodec.BOOT_AGGREGATE_ALGORITHM, boot.bootAggregateAlgorithm().kernelName());
        b.put(ManifestCodec.BOOT_AGGREGATE, boot.bootAggregate().hex());
        b.put(ManifestCodec.RESET_COUNT, boot.resetCount());
        b.put(ManifestCodec.RESTART_COUNT, boot.restartCount());
        b.put(ManifestCodec.BOOT_COUNTER, boot.bootCounter());
        Map<String, Object> o = new TreeMap<>();
        o.put("type", TYPE);
        o.put("version", (long) VERSION);
        o.put("host", host);
        o.put("boot", b);
        o.put("sequence", sequence);
        o.put("manifestDigest", manifestDigest.hex());
        o.put("end", ManifestCodec.pcrStateToJson(end));
        o.put("verifiedAt", verifiedAt.toString());
        o.put("verifier", verifier);
        return Bytes.wrap(Json.canonical(o).getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {@code <host>.receipt.json} and {@code <host>.receipt.cms} into {@code dir} (replacing older ones). */
    public void write(Path dir, SegmentSigner signer) throws IOException, SigningException {
        Bytes content = canonicalBytes();
        Bytes cms = signer.sign(content, verifiedAt);
        Files.createDirectories(dir);
        OutputTargets.replaceAtomically(dir.resolve(host + CMS_SUFFIX), cms.toArray());
        OutputTargets.replaceAtomically(dir.resolve(host + JSON_SUFFIX), content.toArray());
    }

    /**
     * Reads and verifies {@code host}'s receipt in {@code dir}; empty if there is none. A receipt that
     * does not verify under {@code signers}, or names another host, is an error: the caller then
     * verifies the whole chain (fail closed).
     */
    public static Optional<VerificationReceipt> read(Path dir, String host, TrustedKeys signers) throws ReceiptException {
        Path json = dir.resolve(host + JSON_SUFFIX);
        Path cms = dir.resolve(host + CMS_SUFFIX);
        if (!Files.exists(json)) return Optional.empty();
        try {
            Bytes content = Bytes.wrap(LimitedFiles.readAllBytes(json, InputLimit.RECEIPT));
            Bytes sig = Bytes.wrap(LimitedFiles.readAllBytes(cms, InputLimit.RECEIPT));
            SignatureVerifier.trusting(signers).verify(content, sig);
            VerificationReceipt r = parse(content);
            if (!r.host().equals(host)) throw new ReceiptException(json + ": receipt of host " + r.host(), null);
            return Optional.of(r);
        } catch (IOException e) {
            throw new ReceiptException(json + ": unreadable receipt: " + e.getMessage(), e);
        } catch (SignatureVerificationException e) {
            throw new ReceiptException(json + ": receipt signature: " + e.getMessage(), e);
        }
    }

    /** Parses canonical receipt bytes (not checking the signature). */
    public static VerificationReceipt parse(Bytes content) throws ReceiptException {
        try {
            String text = new String(content.toArray(), StandardCharsets.UTF_8);
            Map<String, Object> o = Json.asObject(Json.parse(text), "receipt");
            if (!Json.canonical(o).equals(text)) throw new ReceiptException("receipt is not canonical JSON", null);
            if (!TYPE.equals(Json.asString(Json.require(o, "type", "receipt"), "type"))
                    || Json.asLong(Json.require(o, "version", "receipt"), "version") != VERSION) {
                throw new ReceiptException("not a version " + VERSION + " " + TYPE, null);
            }
            Map<String, Object> b = Json.asObject(Json.require(o, "boot", "receipt"), "boot");
            HashAlgorithm alg = HashAlgorithm.byKernelName(Json.asString(Json.require(b, ManifestCodec.BOOT_AGGREGATE_ALGORITHM, "boot"),
                    "bootAggregateAlgorithm")).orElseThrow(() -> new ReceiptException("unknown boot aggregate algorithm", null));
            BootIdentity boot = new BootIdentity(alg, Digest.ofHex(Json.asString(Json.require(b, ManifestCodec.BOOT_AGGREGATE, "boot"), "bootAggregate")),
                    Json.asLong(Json.require(b, ManifestCodec.RESET_COUNT, "boot"), "resetCount"),
                    Json.asLong(Json.require(b, ManifestCodec.RESTART_COUNT, "boot"), "restartCount"),
                    Json.asLong(Json.require(b, ManifestCodec.BOOT_COUNTER, "boot"), "bootCounter"));
            return new VerificationReceipt(Json.asString(Json.require(o, "host", "receipt"), "host"), boot,
                    Json.asLong(Json.require(o, "sequence", "receipt"), "sequence"),
                    Digest.ofHex(Json.asString(Json.require(o, "manifestDigest", "receipt"), "manifestDigest")),
                    ManifestCodec.pcrState(Json.require(o, "end", "receipt"), "end"),
                    Instant.parse(Json.asString(Json.require(o, "verifiedAt", "receipt"), "verifiedAt")),
                    Json.asString(Json.require(o, "verifier", "receipt"), "verifier"));
        } catch (Json.JsonException | MalformedManifestException | DateTimeParseException | IllegalArgumentException e) {
            throw new ReceiptException("malformed receipt: " + e.getMessage(), e);
        }
    }
}

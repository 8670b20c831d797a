package org.imaarchiver.archive.admission;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.json.Json;

/**
 * A challenge issued and not yet answered: what the request's checks found, and the SHA-256 of the
 * secret the answer must be (the secret itself is not kept, so the trust directory never holds what
 * would answer the challenge). Stored as {@code hosts/<host>/admission-pending.json}
 * (docs/archive-format.md "Trust directory"); deleted when answered, so an answer is accepted once.
 *
 * @param request       the request the challenge was made for
 * @param requestSha256 SHA-256 of the request file as admit read it
 * @param secretSha256  SHA-256 of the secret
 * @param issuedAt      when the challenge was made
 * @param expiresAt     after this the answer is refused
 * @param endorsement   the EK certificate that passed, or none under the operator's policy
 */
public record PendingAdmission(EnrolmentRequest request, Bytes requestSha256, Bytes secretSha256, Instant issuedAt, Instant expiresAt,
                               EkEndorsement endorsement) {
    public static final String FORMAT = "ima-archiver-admission-pending";
    public static final int VERSION = 1;
    public static final String FILE = "admission-pending.json";

    public PendingAdmission {
        Objects.requireNonNull(request, "request");
        ArchiveLayout.requireValidHostId(request.host());
        Objects.requireNonNull(requestSha256, "requestSha256");
        Objects.requireNonNull(secretSha256, "secretSha256");
        Objects.requireNonNull(issuedAt, "issuedAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(endorsement, "endorsement");
    }

    public String host() { return request.host(); }

    /** Pretty JSON with a trailing newline. */
    public String toJson() {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("format", FORMAT);
        o.put("version", (long) VERSION);
        o.put("host", host());
        o.put("requestSha256", requestSha256.hex());
        o.put("secretSha256", secretSha256.hex());
        o.put("issuedAt", issuedAt.toString());
        o.put("expiresAt", expiresAt.toString());
        o.put("ekEndorsement", AdmissionRecord.endorsementJson(endorsement));
        o.put("request", parsed(request.toJson()));
        return Json.pretty(o) + "\n";
    }

    /** Parses what {@link #toJson} wrote (bounded by {@code InputLimit.ENROLMENT}). */
    public static PendingAdmission parse(String json) throws EnrolmentRequest.MalformedRequestException {
        try {
            Map<String, Object> o = Json.asObject(Json.parse(json), "pending admission");
            if (!FORMAT.equals(o.get("format")) || !Long.valueOf(VERSION).equals(o.get("version"))) {
                throw new EnrolmentRequest.MalformedRequestException("not a version " + VERSION + " " + FORMAT);
            }
            EnrolmentRequest request = EnrolmentRequest.parse(Json.pretty(Json.require(o, "request", "pending admission")));
            return new PendingAdmission(request,
                    Bytes.ofHex(Json.asString(Json.require(o, "requestSha256", "pending admission"), "requestSha256")),
                    Bytes.ofHex(Json.asString(Json.require(o, "secretSha256", "pending admission"), "secretSha256")),
                    Instant.parse(Json.asString(Json.require(o, "issuedAt", "pending admission"), "issuedAt")),
                    Instant.parse(Json.asString(Json.require(o, "expiresAt", "pending admission"), "expiresAt")),
                    AdmissionRecord.endorsementOf(Json.require(o, "ekEndorsement", "pending admission")));
        } catch (Json.JsonException | DateTimeParseException | IllegalArgumentException e) {
            throw new EnrolmentRequest.MalformedRequestException("malformed pending admission: " + e.getMessage());
        }
    }

    private static Object parsed(String json) {
        try {
            return Json.parse(json);
        } catch (Json.JsonException e) {
            throw new IllegalStateException("a request's own JSON does not parse", e);
        }
    }

    /** The file's bytes. */
    public Bytes toBytes() { return Bytes.wrap(toJson().getBytes(StandardCharsets.UTF_8)); }
}

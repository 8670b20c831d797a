package org.imaarchiver.archive.admission;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.json.Json;

/**
 * How an AK of the trust directory was admitted: proven by credential activation, after the checks
 * named in {@link #CHECKS} (docs/trust-model.md). Stored beside the AK file {@code hosts/<host>/<name>.pem}
 * as {@code <name>.admission.json} (canonical JSON, {@link #canonicalBytes}) and
 * {@code <name>.admission.cms} (a detached CMS over those bytes by the admission key, the profile of
 * segment manifests); {@code verify} trusts it only under a key of the trust directory's
 * {@code admission-signers/} (docs/archive-format.md "Trust directory").
 *
 * @param host              the host the AK was admitted for
 * @param akName            the AK's TPM name
 * @param akPublic          the AK's TPMT_PUBLIC
 * @param akSpkiSha256      SHA-256 of the AK's SubjectPublicKeyInfo DER: what the AK file must hold
 * @param akAttributes      the AK's TPMA_OBJECT bits (tpm2-tools names)
 * @param ekName            the EK's TPM name
 * @param endorsement       the EK certificate that passed, or none (allowed by the operator's policy)
 * @param requestSha256     SHA-256 of the enrolment request file
 * @param challengeIssuedAt when the challenge was made
 * @param admittedAt        when the answer was accepted
 * @param admittedBy        SHA-256 of the admission key's SubjectPublicKeyInfo (its certificate is in the CMS)
 */
public record AdmissionRecord(String host, Bytes akName, Bytes akPublic, Bytes akSpkiSha256, List<String> akAttributes, Bytes ekName,
                              EkEndorsement endorsement, Bytes requestSha256, Instant challengeIssuedAt, Instant admittedAt,
                              Bytes admittedBy) {
    public static final String TYPE = "ima-archiver-admission";
    public static final int VERSION = 1;
    public static final String METHOD = "credential-activation";
    public static final String JSON_SUFFIX = ".admission.json";
    public static final String CMS_SUFFIX = ".admission.cms";
    /** What admission checked before the answer, in the record's words. */
    public static final List<String> CHECKS = List.of(
            "ek-certificate-chain", "ek-certificate-validity", "ek-certificate-key", "ek-certificate-key-usage", "ek-certificate-tpm-identity",
            "ek-restricted-decrypt", "ak-name", "ak-restricted-signing", "ak-fixed-tpm", "ak-fixed-parent", "ak-sensitive-data-origin",
            "credential-activation");

    public AdmissionRecord {
        ArchiveLayout.requireValidHostId(host);
        Objects.requireNonNull(akName, "akName");
        Objects.requireNonNull(akPublic, "akPublic");
        Objects.requireNonNull(akSpkiSha256, "akSpkiSha256");
        akAttributes = List.copyOf(akAttributes);
        Objects.requireNonNull(ekName, "ekName");
        Objects.requireNonNull(endorsement, "endorsement");
        Objects.requireNonNull(requestSha256, "requestSha256");
        Objects.requireNonNull(challengeIssuedAt, "challengeIssuedAt");
        Objects.requireNonNull(admittedAt, "admittedAt");
        Objects.requireNonNull(admittedBy, "admittedBy");
    }

    /** The record is not one this version reads. */
    public static final class MalformedRecordException extends Exception {
        public MalformedRecordException(String message, Throwable cause) { super(message, cause); }
    }

    /** The checks this record's admission passed: {@link #CHECKS}, without the EK certificate's when there was none. */
    public List<String> checks() {
        if (endorsement instanceof EkEndorsement.Certified) return CHECKS;
        return CHECKS.stream().filter(c -> !c.startsWith("ek-certificate")).toList();
    }

    /** The canonical JSON bytes that are signed. */
    public Bytes canonicalBytes() {
        Map<String, Object> o = new TreeMap<>();
        o.put("type", TYPE);
        o.put("version", (long) VERSION);
        o.put("method", METHOD);
        o.put("host", host);
        o.put("akName", akName.hex());
        o.put("akPublic", Base64.getEncoder().encodeToString(akPublic.toArray()));
        o.put("akSpkiSha256", akSpkiSha256.hex());
        o.put("akAttributes", new ArrayList<Object>(akAttributes));
        o.put("ekName", ekName.hex());
        o.put("ekEndorsement", endorsementJson(endorsement));
        o.put("checks", new ArrayList<Object>(checks()));
        o.put("requestSha256", requestSha256.hex());
        o.put("challengeIssuedAt", challengeIssuedAt.toString());
        o.put("admittedAt", admittedAt.toString());
        o.put("admittedBy", admittedBy.hex());
        return Bytes.wrap(Json.canonical(o).getBytes(StandardCharsets.UTF_8));
    }

    /** Parses canonical record bytes (the signature is the caller's: {@link AdmissionFiles#read}). */
    public static AdmissionRecord parse(Bytes content) throws MalformedRecordException {
        try {
            String text = new String(content.toArray(), StandardCharsets.UTF_8);
            Map<String, Object> o = Json.asObject(Json.parse(text), "admission record");
            if (!Json.canonical(o).equals(text)) throw new MalformedRecordException("not canonical JSON", null);
            if (!TYPE.equals(Json.asString(Json.require(o, "type", "admission record"), "type"))
                    || Json.asLong(Json.require(o, "version", "admission record"), "version") != VERSION
                    || !METHOD.equals(Json.asString(Json.require(o, "method", "admission record"), "method"))) {
                throw new MalformedRecordException("not a version " + VERSION + " " + TYPE + " by " + METHOD, null);
            }
            List<String> attrs = new ArrayList<>();
            for (Object a : Json.asArray(Json.require(o, "akAttributes", "admission record"), "akAttributes")) attrs.add(Json.asString(a, "akAttributes[]"));
            return new AdmissionRecord(str(o, "host"), hex(o, "akName"),
                    Bytes.wrap(Base64.getDecoder().decode(str(o, "akPublic"))), hex(o, "akSpkiSha256"), attrs, hex(o, "ekName"),
                    endorsementOf(Json.require(o, "ekEndorsement", "admission record")), hex(o, "requestSha256"),
                    Instant.parse(str(o, "challengeIssuedAt")), Instant.parse(str(o, "admittedAt")), hex(o, "admittedBy"));
        } catch (Json.JsonException | DateTimeParseException | IllegalArgumentException e) {
            throw new MalformedRecordException("malformed admission record: " + e.getMessage(), e);
        }
    }

    private static String str(Map<String, Object> o, String key) throws Json.JsonException {
        return Json.asString(Json.require(o, key, "admission record"), key);
    }

    private static Bytes hex(Map<String, Object> o, String key) throws Json.JsonException {
        return Bytes.ofHex(str(o, key));
    }

    static Map<String, Object> endorsementJson(EkEndorsement e) {
        Map<String, Object> m = new TreeMap<>();
        if (e instanceof EkEndorsement.Certified c) {
                m.put("kind", "certificate");
                m.put("issuer", c.issuer());
                m.put("serial", c.serial());
                m.put("sha256", c.sha256());
                m.put("anchor", c.anchor());
                m.put("tpmManufacturer", c.manufacturer());
                m.put("tpmModel", c.model());
                m.put("tpmVersion", c.version());
                m.put("warnings", new ArrayList<Object>(c.warnings()));
        } else {
            m.put("kind", "none-allowed-by-policy");
        }
        return m;
    }

    static EkEndorsement endorsementOf(Object json) throws Json.JsonException {
        Map<String, Object> m = Json.asObject(json, "ekEndorsement");
        String kind = Json.asString(Json.require(m, "kind", "ekEndorsement"), "kind");
        if (kind.equals("none-allowed-by-policy")) return new EkEndorsement.Uncertified();
        if (!kind.equals("certificate")) throw new Json.JsonException("ekEndorsement.kind: unknown " + kind, 0);
        List<String> warnings = new ArrayList<>();
        for (Object w : Json.asArray(Json.require(m, "warnings", "ekEndorsement"), "warnings")) warnings.add(Json.asString(w, "warnings[]"));
        return new EkEndorsement.Certified(s(m, "issuer"), s(m, "serial"), s(m, "sha256"), s(m, "anchor"), s(m, "tpmManufacturer"),
                s(m, "tpmModel"), s(m, "tpmVersion"), warnings);
    }

    private static String s(Map<String, Object> m, String key) throws Json.JsonException {
        return Json.asString(Json.require(m, key, "ekEndorsement"), key);
    }
}

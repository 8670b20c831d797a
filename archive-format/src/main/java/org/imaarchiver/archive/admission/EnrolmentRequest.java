package org.imaarchiver.archive.admission;

import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.json.Json;

/**
 * What a host hands the verifier to have its attestation key admitted (docs/trust-model.md): the
 * endorsement key the TPM will prove the AK with, the EK's certificates as the TPM holds them, and
 * the AK. Written by {@code enroll}, read by {@code admit}. This type only carries the request;
 * whether its parts are true is what admission checks.
 *
 * <p>JSON, one object: {@code format} = {@value #FORMAT}, {@code version} = 1, {@code host},
 * {@code ekPublic} and {@code akPublic} (base64 TPMT_PUBLIC, without the TPM2B size),
 * {@code ekCertificates} (base64 DER, the EK's own certificate first; empty when the TPM has none),
 * {@code akName} (hex TPM name: nameAlg then the digest of {@code akPublic}).
 *
 * @param host the host id the AK is admitted for (the trust directory's {@code hosts/<host>/})
 * @param ekPublic the EK's TPMT_PUBLIC
 * @param ekCertificates DER certificates, the EK's own first
 * @param akPublic the AK's TPMT_PUBLIC
 * @param akName the AK's TPM name as the host states it
 */
public record EnrolmentRequest(String host, Bytes ekPublic, List<Bytes> ekCertificates, Bytes akPublic, Bytes akName) {
    public static final String FORMAT = "ima-archiver-enrolment-request";
    public static final int VERSION = 1;

    public EnrolmentRequest {
        if (host.isEmpty()) throw new IllegalArgumentException("empty host id");
        ekCertificates = List.copyOf(ekCertificates);
    }

    /** The request is not one this version reads: names the field. */
    public static final class MalformedRequestException extends Exception {
        public MalformedRequestException(String message) { super(message); }
    }

    /** Pretty JSON with a trailing newline. */
    public String toJson() {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("format", FORMAT);
        o.put("version", (long) VERSION);
        o.put("host", host);
        o.put("ekPublic", base64(ekPublic));
        List<Object> certs = new ArrayList<>();
        for (Bytes c : ekCertificates) certs.add(base64(c));
        o.put("ekCertificates", certs);
        o.put("akPublic", base64(akPublic));
        o.put("akName", akName.hex());
        return Json.pretty(o) + "\n";
    }

    /** Parses a request; the text must already be bounded by {@code InputLimit.ENROLMENT}. */
    public static EnrolmentRequest parse(String json) throws MalformedRequestException {
        try {
            Map<String, Object> o = Json.asObject(Json.parse(json), "enrolment request");
            if (!FORMAT.equals(o.get("format"))) throw new MalformedRequestException("not an enrolment request (format is not " + FORMAT + ")");
            if (!Long.valueOf(VERSION).equals(o.get("version"))) {
                throw new MalformedRequestException("enrolment request version " + o.get("version") + " is not supported (this version reads " + VERSION + ")");
            }
            List<Bytes> certs = new ArrayList<>();
            for (Object c : Json.asArray(required(o, "ekCertificates"), "ekCertificates")) certs.add(fromBase64(c, "ekCertificates[]"));
            Object host = required(o, "host");
            if (!(host instanceof String h) || h.isEmpty()) throw new MalformedRequestException("host: not a non-empty string");
            Object name = required(o, "akName");
            if (!(name instanceof String n) || !n.matches("([0-9a-f]{2})+")) throw new MalformedRequestException("akName: not lower-case hex");
            return new EnrolmentRequest(h, fromBase64(required(o, "ekPublic"), "ekPublic"), certs,
                    fromBase64(required(o, "akPublic"), "akPublic"), Bytes.ofHex(n));
        } catch (Json.JsonException e) {
            throw new MalformedRequestException("not JSON: " + e.getMessage());
        }
    }

    private static Object required(Map<String, Object> o, String key) throws MalformedRequestException {
        Object v = o.get(key);
        if (v == null) throw new MalformedRequestException(key + ": missing");
        return v;
    }

    private static Bytes fromBase64(Object v, String field) throws MalformedRequestException {
        if (!(v instanceof String s)) throw new MalformedRequestException(field + ": not a base64 string");
        try {
            return Bytes.wrap(Base64.getDecoder().decode(s));
        } catch (IllegalArgumentException e) {
            throw new MalformedRequestException(field + ": not base64");
        }
    }

    private static String base64(Bytes b) { return Base64.getEncoder().encodeToString(b.toArray()); }
}

package org.imaarchiver.archive.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.imaarchiver.replay.bytes.Bytes;
import org.junit.jupiter.api.Test;

class EnrolmentRequestTest {
    /** Written by hand from the format in the type's documentation, not by the code under test. */
    private static final String HAND_WRITTEN = """
            {"format": "ima-archiver-enrolment-request", "version": 1, "host": "web-01",
             "ekPublic": "AAEACw==", "ekCertificates": ["MIIB", "MAA="],
             "akPublic": "ACMACw==", "akName": "000b0102"}
            """;

    @Test
    void readsTheDocumentedFields() throws Exception {
        EnrolmentRequest r = EnrolmentRequest.parse(HAND_WRITTEN);
        assertEquals("web-01", r.host());
        assertEquals(Bytes.ofHex("0001000b"), r.ekPublic());
        assertEquals(List.of(Bytes.ofHex("308201"), Bytes.ofHex("3000")), r.ekCertificates());
        assertEquals(Bytes.ofHex("0023000b"), r.akPublic());
        assertEquals(Bytes.ofHex("000b0102"), r.akName());
        assertEquals(r, EnrolmentRequest.parse(r.toJson()));
    }

    @Test
    void refusesOtherFormatsVersionsAndBadFields() {
        assertTrue(refusal(HAND_WRITTEN.replace("\"version\": 1", "\"version\": 2")).contains("version 2 is not supported"));
        assertTrue(refusal(HAND_WRITTEN.replace("enrolment-request", "receipt")).contains("not an enrolment request"));
        assertTrue(refusal(HAND_WRITTEN.replace("\"AAEACw==\"", "\"%%\"")).startsWith("ekPublic: not base64"));
        assertTrue(refusal(HAND_WRITTEN.replace("000b0102", "000B0102")).startsWith("akName"));
        assertTrue(refusal(HAND_WRITTEN.replace("\"host\": \"web-01\",", "")).startsWith("host: missing"));
        assertTrue(refusal("[1]").startsWith("not JSON"));
    }

    private static String refusal(String json) {
        return assertThrows(EnrolmentRequest.MalformedRequestException.class, () -> EnrolmentRequest.parse(json)).getMessage();
    }
}

package org.imaarchiver.replay.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.EnumSet;
import java.util.Map;
import java.util.TreeMap;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.ExtendMode;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.pcr.PcrState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PcrStateJsonTest {
    static final String SHA1_10 = "e8c1a2b5ea7424f71404e9295f9616663f56aba2";
    static final String SHA256_10 = "e8d3f4485df1ab1fe30bccb943b65e4530a80c1683ef21192404c79f728fe39e";

    static PcrState sample() {
        var values = new TreeMap<PcrBank, Digest>();
        values.put(PcrBank.of(10, HashAlgorithm.SHA1), Digest.ofHex(SHA1_10));
        values.put(PcrBank.of(10, HashAlgorithm.SHA256), Digest.ofHex(SHA256_10));
        values.put(PcrBank.of(11, HashAlgorithm.SHA256), Digest.filled(32, (byte) 0xab));
        return new PcrState(200, EnumSet.of(HashAlgorithm.SHA1, HashAlgorithm.SHA256), values,
                Map.of(HashAlgorithm.SHA256, ExtendMode.SHA1_ZERO_PADDED));
    }

    @Test
    void writesTheDocumentedShape() throws Exception {
        Map<String, Object> json = Json.asObject(Json.parse(PcrStateJson.write(sample())), "state");
        assertThat(json).containsOnlyKeys("nextIndex", "banks", "extendModes", "pcrs");
        assertThat(json.get("nextIndex")).isEqualTo(200L);
        assertThat(json.get("banks")).isEqualTo(java.util.List.of("sha1", "sha256"));
        assertThat(json.get("extendModes")).isEqualTo(Map.of("sha1", "per-bank-hash", "sha256", "sha1-zero-padded"));
        assertThat(json.get("pcrs")).isEqualTo(Map.of(
                "10", Map.of("sha1", SHA1_10, "sha256", SHA256_10),
                "11", Map.of("sha256", "ab".repeat(32))));
    }

    @Test
    void roundTrips() throws Exception {
        assertThat(PcrStateJson.parse(PcrStateJson.write(sample()))).isEqualTo(sample());
        PcrState initial = PcrState.initial(EnumSet.allOf(HashAlgorithm.class));
        assertThat(PcrStateJson.parse(Json.pretty(PcrStateJson.toJsonValue(initial)))).isEqualTo(initial);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "[]|$",
        "{\"nextIndex\":-1,\"banks\":[\"sha1\"],\"extendModes\":{\"sha1\":\"per-bank-hash\"},\"pcrs\":{}}|$.nextIndex",
        "{\"banks\":[\"sha1\"],\"extendModes\":{\"sha1\":\"per-bank-hash\"},\"pcrs\":{}}|$.nextIndex",
        "{\"nextIndex\":0,\"banks\":[\"sha1\",\"sm3\"],\"extendModes\":{\"sha1\":\"per-bank-hash\"},\"pcrs\":{}}|$.banks[1]",
        "{\"nextIndex\":0,\"banks\":[],\"extendModes\":{},\"pcrs\":{}}|$.banks",
        "{\"nextIndex\":0,\"banks\":[\"sha1\"],\"extendModes\":{\"sha1\":\"magic\"},\"pcrs\":{}}|$.extendModes.sha1",
        "{\"nextIndex\":0,\"banks\":[\"sha1\"],\"extendModes\":{},\"pcrs\":{}}|$.extendModes",
        "{\"nextIndex\":0,\"banks\":[\"sha1\"],\"extendModes\":{\"sha1\":\"per-bank-hash\"},\"pcrs\":{\"24\":{}}}|$.pcrs.24",
        "{\"nextIndex\":0,\"banks\":[\"sha1\"],\"extendModes\":{\"sha1\":\"per-bank-hash\"},\"pcrs\":{\"010\":{}}}|$.pcrs.010",
        "{\"nextIndex\":0,\"banks\":[\"sha1\"],\"extendModes\":{\"sha1\":\"per-bank-hash\"},\"pcrs\":{\"10\":{\"sha256\":\"00\"}}}|$.pcrs.10.sha256",
        "{\"nextIndex\":0,\"banks\":[\"sha1\"],\"extendModes\":{\"sha1\":\"per-bank-hash\"},\"pcrs\":{\"10\":{\"sha1\":\"00\"}}}|$.pcrs.10.sha1",
        "{\"nextIndex\":0,\"banks\":[\"sha1\"],\"extendModes\":{\"sha1\":\"per-bank-hash\"},\"pcrs\":{\"10\":{\"sha1\":\"E8C1A2B5EA7424F71404E9295F9616663F56ABA2\"}}}|$.pcrs.10.sha1",
        "{\"nextIndex\":0,\"banks\":[\"sha1\"],\"extendModes\":{\"sha1\":\"per-bank-hash\"},\"pcrs\":{},\"extra\":1}|$.extra",
    })
    void rejectsBadInputNamingTheJsonPath(String text, String path) {
        var e = catchThrowableOfType(PcrStateJson.DecodeException.class, () -> PcrStateJson.parse(text));
        assertThat(e).isNotNull();
        assertThat(e.path()).isEqualTo(path);
    }
}

package org.imaarchiver.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI on the public real data; expected values from that data directory's README (docs/testing.md). */
class RealDataCliTest {
    private static final String QUOTES = "derived-swtpm-quotes-over-ibmtss-sha1log/";
    @TempDir Path dir;

    @Test
    void replayOfKgoldmanSha1LogPrintsTheGivenPcr10() throws Exception {
        Path log = TestData.ima("kgoldman+ibmtss/sha1.log");
        Cli.Result r = Cli.run("replay", "--json", "--banks", "sha1,sha256,sha384,sha512", log.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.json().get("entries")).isEqualTo(362L);
        assertThat(r.pcr(10, HashAlgorithm.SHA1)).isEqualTo(Digest.ofHex("9be6bac02bf18d09d17e726c2df00bca4e8831ea"));
        assertThat(r.pcr(10, HashAlgorithm.SHA256))
                .isEqualTo(Digest.ofHex("7fac48c81837d6d29046008aef0cdad8c2745cc98c3340cbba9bfdf39b4124b8"));
        assertThat(r.pcr(10, HashAlgorithm.SHA512)).isEqualTo(Digest.ofHex(
                "698dab0fbb7c4ae0ec4ecae0d3890e9635cc2ba97b9dec459f9ef867b96d858843697c701e580931d6f2cf1e18acb2b3192eb660e871a37cf5b45392086ce807"));
        Cli.Result text = Cli.run("replay", log.toString());
        assertThat(text.out()).contains("9be6bac02bf18d09d17e726c2df00bca4e8831ea",
                "7fac48c81837d6d29046008aef0cdad8c2745cc98c3340cbba9bfdf39b4124b8");
    }

    @Test
    void checkQuoteOfTheDerivedSwtpmQuotesGivesTheirQuotePoints() throws Exception {
        Path log = TestData.ima("kgoldman+ibmtss/sha1.log");
        for (int n : new int[] {200, 362}) {
            for (String ak : new String[] {"ak.pub.pem", "ak.pub.tss"}) {
                Cli.Result r = checkQuote(log, n, ak, nonce(n));
                assertThat(r.code()).as(r.toString()).isZero();
                assertThat(r.json().get("verified")).isEqualTo(true);
                assertThat(r.json().get("quotePoint")).isEqualTo((long) n);
                assertThat(r.json()).containsKeys("resetCount", "restartCount");
            }
        }
        Cli.Result wrongNonce = checkQuote(log, 200, "ak.pub.pem", nonce(362));
        assertThat(wrongNonce.code()).as(wrongNonce.toString()).isEqualTo(1);
        assertThat(wrongNonce.json().get("verified")).isEqualTo(false);
    }

    @Test
    void from200To362ViaBase() throws Exception {
        Path log = TestData.ima("kgoldman+ibmtss/sha1.log");
        Cli.Result at200 = checkQuote(log, 200, "ak.pub.pem", nonce(200));
        assertThat(at200.pcr(10, HashAlgorithm.SHA1)).isEqualTo(Digest.ofHex("e8c1a2b5ea7424f71404e9295f9616663f56aba2"));
        Path state = dir.resolve("state-200.json");
        Files.writeString(state, at200.out());
        Cli.Result r = Cli.run("check-quote", "--json", "--log", log.toString(), "--base", state.toString(),
                "--log-start", "0", "--quote", q(362, "msg"), "--signature", q(362, "sig"),
                "--ak", TestData.ima(QUOTES + "ak.pub.pem").toString(), "--nonce", nonce(362));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.json().get("quotePoint")).isEqualTo(362L);
        // the same with replay: 200 -> 362
        Cli.Result rest = Cli.run("replay", "--json", "--base", state.toString(), "--log-start", "0", log.toString());
        assertThat(rest.json().get("entries")).isEqualTo(162L);
        assertThat(rest.pcr(10, HashAlgorithm.SHA1)).isEqualTo(Digest.ofHex("9be6bac02bf18d09d17e726c2df00bca4e8831ea"));
    }

    @Test
    void checkQuoteWithoutALogAgainstPcrFiles() throws Exception {
        Cli.Result r = Cli.run("check-quote", "--json", "--pcrs", q(200, "pcrs"), "--quote", q(200, "msg"),
                "--signature", q(200, "sig"), "--ak", TestData.ima(QUOTES + "ak.pub.pem").toString(), "--nonce", nonce(200));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.json().get("verified")).isEqualTo(true);
        Cli.Result yaml = Cli.run("check-quote", "--json", "--pcrs", TestData.ima(QUOTES + "pcr10-200.yaml").toString(),
                "--quote", q(200, "msg"), "--signature", q(200, "sig"), "--ak", TestData.ima(QUOTES + "ak.pub.pem").toString(),
                "--nonce", nonce(200));
        assertThat(yaml.code()).as(yaml.toString()).isZero();
        // keylime's real tpm2-tools quote over sha256 PCRs 15, 16, 22
        String k = "keylime+keylime/";
        Cli.Result keylime = Cli.run("check-quote", "--json", "--pcrs", TestData.ima(k + "quotepcr.out").toString(),
                "--quote", TestData.ima(k + "quote.out").toString(), "--signature", TestData.ima(k + "quotesig.out").toString(),
                "--ak", TestData.ima(k + "akpub.pem").toString(), "--nonce", "db1db298db6d60e6385b7231743e9c3056a18003");
        assertThat(keylime.code()).as(keylime.toString()).isZero();
    }

    @Test
    void inspectOfABinaryListEqualsTheKernelsAsciiList() throws Exception {
        Path bin = TestData.ima("Cybersecurity-LINKS+embrave/binary_runtime_measurements");
        Path ascii = TestData.ima("Cybersecurity-LINKS+embrave/ascii_runtime_measurements");
        Cli.Result r = Cli.run("inspect", bin.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(Files.readString(ascii));
        Cli.Result decoded = Cli.run("inspect", "--decoded", bin.toString());
        assertThat(decoded.code()).isZero();
        assertThat(decoded.out()).contains("boot_aggregate", "sha256:");
    }

    @Test
    void asciiAndBinaryListsReplayAlikeAndInspectJsonParses() throws Exception {
        Path bin = TestData.ima("Cybersecurity-LINKS+embrave/binary_runtime_measurements");
        Path ascii = TestData.ima("Cybersecurity-LINKS+embrave/ascii_runtime_measurements");
        Cli.Result b = Cli.run("replay", "--json", bin.toString());
        Cli.Result a = Cli.run("replay", "--json", "--format", "ascii", ascii.toString());
        assertThat(a.code()).as(a.toString()).isZero();
        assertThat(a.pcr(10, HashAlgorithm.SHA1)).isEqualTo(Digest.ofHex("f38695bbd9479953543813fb13bb88235440504e"));
        assertThat(a.json().get("pcrs")).isEqualTo(b.json().get("pcrs"));
        Cli.Result lines = Cli.run("inspect", "--json", bin.toString());
        assertThat(lines.out().lines()).hasSize(922);
        for (String l : lines.out().lines().limit(5).toList()) {
            assertThat(org.imaarchiver.replay.json.Json.asObject(org.imaarchiver.replay.json.Json.parse(l), "line"))
                    .containsKeys("index", "pcr", "template", "templateDigest");
        }
    }

    private static Cli.Result checkQuote(Path log, int n, String ak, String nonce) {
        return Cli.run("check-quote", "--json", "--log", log.toString(), "--quote", q(n, "msg"),
                "--signature", q(n, "sig"), "--ak", TestData.ima(QUOTES + ak).toString(), "--nonce", nonce);
    }

    private static String q(int n, String ext) {
        return TestData.ima(QUOTES + "quote-" + n + "." + ext).toString();
    }

    /** The derived quotes' qualifying data: 20 bytes, the big-endian record count (README). */
    private static String nonce(int n) {
        return String.format("%040x", n);
    }
}

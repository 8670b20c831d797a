package org.imaarchiver.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.testsupport.CapturedData;
import org.imaarchiver.replay.testsupport.CapturedData.Debian61;
import org.imaarchiver.replay.testsupport.CapturedData.Debian612;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI on the data the project captured from Debian's 6.1 and 6.12 kernels under QEMU (testdata/README.md);
 * expected values from the peers there (tpm2_pcrread, tpm2_quote, the kernel's counts). Never skips.
 */
class CapturedDataCliTest {
    @TempDir Path dir;

    private static String file(String name) {
        return CapturedData.file(CapturedData.DEBIAN_6_1, name).toString();
    }

    @Test
    void replayOfTheBinaryAndTheAsciiListPrintsTpm2PcrreadsPcr10() throws Exception {
        Cli.Result bin = Cli.run("replay", "--json", file("binary_runtime_measurements"));
        Cli.Result ascii = Cli.run("replay", "--json", "--format", "ascii", file("ascii_runtime_measurements"));
        for (Cli.Result r : new Cli.Result[] {bin, ascii}) {
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(r.json().get("entries")).isEqualTo(Debian61.RECORDS);
            assertThat(r.json().get("violations")).isEqualTo(0L);
            assertThat(r.pcr(10, HashAlgorithm.SHA1)).isEqualTo(Digest.ofHex(Debian61.PCR10_SHA1));
            assertThat(r.pcr(10, HashAlgorithm.SHA256)).isEqualTo(Digest.ofHex(Debian61.PCR10_SHA256));
        }
        assertThat(ascii.json().get("pcrs")).isEqualTo(bin.json().get("pcrs"));
    }

    @Test
    void inspectOfTheBinaryListEqualsTheKernelsAsciiList() throws Exception {
        Cli.Result r = Cli.run("inspect", file("binary_runtime_measurements"));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(Files.readString(Path.of(file("ascii_runtime_measurements"))));
    }

    @Test
    void checkQuoteVerifiesBothQuotesAndFindsTheKernelsCountAsTheQuotePoint() throws Exception {
        for (CapturedData.Quote q : new CapturedData.Quote[] {Debian61.RSA, Debian61.ECC}) {
            Cli.Result r = checkQuote(q, q.msg(), q.sig(), q.nonceHex());
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(r.json().get("verified")).isEqualTo(true);
            assertThat(r.json().get("quotePoint")).as(q.key()).isEqualTo(q.point());
            assertThat(r.pcr(10, HashAlgorithm.SHA1)).isEqualTo(Digest.ofHex(q.pcr10Sha1()));
            assertThat(r.pcr(10, HashAlgorithm.SHA256)).isEqualTo(Digest.ofHex(q.pcr10Sha256()));
            assertThat(r.json()).containsKeys("resetCount", "restartCount");
        }
    }

    @Test
    void checkQuoteWithoutALogAgainstTpm2QuotesPcrFile() throws Exception {
        CapturedData.Quote q = Debian61.RSA;
        Cli.Result r = Cli.run("check-quote", "--json", "--pcrs", q.pcrs().toString(), "--quote", q.msg().toString(),
                "--signature", q.sig().toString(), "--ak", q.ak().toString(), "--nonce", q.nonceHex());
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.json().get("verified")).isEqualTo(true);
    }

    @Test
    void aFlippedByteInTheQuoteOrTheSignatureOrAnotherNonceFails() throws Exception {
        CapturedData.Quote q = Debian61.RSA;
        byte[] msg = Files.readAllBytes(q.msg());
        // A flip in the nonce (TPMS_ATTEST offset 44..63 here) or the pcrDigest (the last bytes) leaves a
        // well-formed quote that does not verify: exit 1. A flip elsewhere may also break its structure,
        // which the CLI reports as malformed input (exit 2); no flip ever verifies.
        for (int at = 0; at < msg.length; at++) {
            Path flipped = dir.resolve("quote-flipped-" + at + ".msg");
            byte[] b = msg.clone();
            b[at] ^= 0x01;
            Files.write(flipped, b);
            Cli.Result r = checkQuote(q, flipped, q.sig(), q.nonceHex());
            if (at == 50 || at == msg.length - 1) {
                assertThat(r.code()).as("byte %d: %s", at, r).isEqualTo(1);
                assertThat(r.json().get("verified")).isEqualTo(false);
            } else {
                assertThat(r.code()).as("byte %d: %s", at, r).isIn(1, 2);
            }
        }
        byte[] sig = Files.readAllBytes(q.sig());
        sig[sig.length - 1] ^= 0x01;
        Path badSig = Files.write(dir.resolve("quote-flipped.sig"), sig);
        Cli.Result bad = checkQuote(q, q.msg(), badSig, q.nonceHex());
        assertThat(bad.code()).as(bad.toString()).isEqualTo(1);
        assertThat(bad.json().get("verified")).isEqualTo(false);

        Cli.Result wrongNonce = checkQuote(q, q.msg(), q.sig(), Debian61.ECC.nonceHex());
        assertThat(wrongNonce.code()).as(wrongNonce.toString()).isEqualTo(1);
        assertThat(wrongNonce.json().get("verified")).isEqualTo(false);
    }

    private static Cli.Result checkQuote(CapturedData.Quote q, Path msg, Path sig, String nonce) {
        return Cli.run("check-quote", "--json", "--log", file("binary_runtime_measurements"), "--quote", msg.toString(),
                "--signature", sig.toString(), "--ak", q.ak().toString(), "--nonce", nonce);
    }

    // ---- Debian 12's 6.12 kernel (per-bank lists) ----

    private static String file612(String name) {
        return CapturedData.file(CapturedData.DEBIAN_6_12, name).toString();
    }

    @Test
    void replayOfThe612Sha256ListPrintsTpm2PcrreadsPcr10() throws Exception {
        Cli.Result r = Cli.run("replay", "--json", file612("binary_runtime_measurements_sha256"));
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.json().get("entries")).isEqualTo(Debian612.RECORDS);
        assertThat(r.pcr(10, HashAlgorithm.SHA1)).isEqualTo(Digest.ofHex(Debian612.PCR10_SHA1));
        assertThat(r.pcr(10, HashAlgorithm.SHA256)).isEqualTo(Digest.ofHex(Debian612.PCR10_SHA256));
    }

    @Test
    void inspectOfEach612PerBankListEqualsTheKernelsAsciiFileOfThatBank() throws Exception {
        for (String bank : new String[] {"sha1", "sha256", "sha384", "sha512"}) {
            Cli.Result r = Cli.run("inspect", file612("binary_runtime_measurements_" + bank));
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).as(bank).isEqualTo(Files.readString(Path.of(file612("ascii_runtime_measurements_" + bank))));
        }
    }

    @Test
    void checkQuoteFindsEach612QuotesPointInTheSha256List() throws Exception {
        for (CapturedData.Quote q : new CapturedData.Quote[] {Debian612.RSA, Debian612.ECC}) {
            Cli.Result r = Cli.run("check-quote", "--json", "--log", file612("binary_runtime_measurements_sha256"), "--quote",
                    q.msg().toString(), "--signature", q.sig().toString(), "--ak", q.ak().toString(), "--nonce", q.nonceHex());
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(r.json().get("verified")).isEqualTo(true);
            assertThat(r.json().get("quotePoint")).as(q.toString()).isEqualTo(q.point());
            assertThat(r.pcr(10, HashAlgorithm.SHA256)).isEqualTo(Digest.ofHex(q.pcr10Sha256()));
        }
    }

    /**
     * A segment packed from the 6.12 sha256 list up to quote 2: {@code inspect --records --json} gives
     * each record as the kernel's own ASCII line, trailing space of the empty ima-sig signature included.
     */
    @Test
    void inspectJsonRecordsOfAPackedSegmentAreTheKernelsAsciiLines() throws Exception {
        CapturedData.Quote q = Debian612.ECC;
        Path keys = dir.resolve("keys");
        Path store = dir.resolve("archive");
        assertThat(Cli.run("keygen", "--out", keys.toString()).code()).isZero();
        Cli.Result packed = Cli.run("pack", "--log", file612("binary_runtime_measurements_sha256"), "--quote", q.msg().toString(),
                "--signature", q.sig().toString(), "--ak", q.ak().toString(), "--nonce", q.nonceHex(), "--host", "vm",
                "--key", keys.resolve("signing-key.pem").toString(), "--cert", keys.resolve("signing-cert.pem").toString(),
                "--store", store.toString(), "--json");
        assertThat(packed.code()).as(packed.toString()).isZero();
        Cli.Result r = Cli.run("inspect", "hosts/vm/segments/0000000000.parquet", "--store", store.toString(), "--records", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        List<String> kernel = Files.readString(Path.of(file612("ascii_runtime_measurements_sha256"))).lines().toList();
        List<String> records = r.out().lines().skip(1).toList();
        assertThat(records).hasSize((int) q.point());
        for (int i = 0; i < records.size(); i++) {
            Map<String, Object> rec = Json.asObject(Json.parse(records.get(i)), "record " + i);
            assertThat(rec.get("index")).isEqualTo((long) i);
            assertThat(rec.get("ascii")).as("record %d", i).isEqualTo(kernel.get(i));
        }
        assertThat(kernel.get(0)).endsWith("boot_aggregate ");
    }
}

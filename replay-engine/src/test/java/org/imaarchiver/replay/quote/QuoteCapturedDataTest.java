package org.imaarchiver.replay.quote;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.testsupport.CapturedData;
import org.imaarchiver.replay.testsupport.CapturedData.Debian61;
import org.imaarchiver.replay.testsupport.CapturedData.Debian612;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * The quotes tpm2_quote made over the guest kernel's /dev/tpmrm0 in the project's own captures
 * (testdata/README.md, Debian 6.1 and 6.12): an RSA AK (rsassa) and an ECC P-256 AK (ecdsa), both sha256-signed over PCR
 * 10 in the sha1 and sha256 banks, both already accepted by tpm2_checkquote when captured.
 */
class QuoteCapturedDataTest {
    private final QuoteVerifier verifier = new QuoteVerifier();

    /** Every captured quote, 6.1's and 6.12's. */
    static List<CapturedData.Quote> quotes() {
        return CapturedData.QUOTES;
    }

    private static byte[] read(Path p) throws Exception { return Files.readAllBytes(p); }

    private static AkPublicKey ak(CapturedData.Quote q) throws Exception { return AkPublicKey.load(read(q.ak())); }

    private static Bytes nonce(CapturedData.Quote q) { return Bytes.ofHex(q.nonceHex()); }

    private static Map<PcrBank, Digest> yamlValues(CapturedData.Quote q) {
        return Map.of(PcrBank.of(10, HashAlgorithm.SHA1), Digest.ofHex(q.pcr10Sha1()),
                PcrBank.of(10, HashAlgorithm.SHA256), Digest.ofHex(q.pcr10Sha256()));
    }

    private VerifiedQuote verified(CapturedData.Quote q) throws Exception {
        QuoteResult r = verifier.verifyFiles(read(q.msg()), read(q.sig()), ak(q), nonce(q));
        assertThat(r.failure()).as(q.key()).isEmpty();
        return r.verified().orElseThrow();
    }

    @ParameterizedTest
    @MethodSource("quotes")
    void theQuoteVerifiesWithItsAkAndNonceAndMatchesTheValuesTpm2QuoteReported(CapturedData.Quote q) throws Exception {
        String key = q.key();
        VerifiedQuote v = verified(q);

        assertThat(v.nonceChecked()).isTrue();
        assertThat(v.extraData()).isEqualTo(nonce(q));
        assertThat(v.signingHash()).isEqualTo(HashAlgorithm.SHA256);
        assertThat(v.pcrSelection()).containsExactly(PcrSelection.of(HashAlgorithm.SHA1, 10), PcrSelection.of(HashAlgorithm.SHA256, 10));
        assertThat(v.signature()).isInstanceOf(key.equals("rsa") ? QuoteSignature.Rsa.class : QuoteSignature.Ecdsa.class);
        // tpm2_quote's -o file (serialized) and its printed values agree, and both hash to the pcrDigest.
        PcrValues fromFile = PcrValues.parseSerialized(read(q.pcrs()));
        assertThat(fromFile.values()).isEqualTo(new java.util.TreeMap<>(yamlValues(q)));
        assertThat(verifier.checkPcrDigest(v, fromFile)).isEmpty();
        assertThat(verifier.checkPcrDigest(v, yamlValues(q))).isEmpty();
    }

    @Test
    void quote2IsAtTheEndOfTheListSoTpm2PcrreadsOutputMatchesItAndNotQuote1() throws Exception {
        String pcrread = Files.readString(CapturedData.file(CapturedData.DEBIAN_6_1, "pcrread.yaml"), StandardCharsets.UTF_8);
        PcrValues all = PcrValues.parsePcrreadYaml(pcrread);
        assertThat(verifier.checkPcrDigest(verified(Debian61.ECC), all)).isEmpty();
        assertThat(verifier.checkPcrDigest(verified(Debian61.RSA), all)).containsInstanceOf(QuoteFailure.PcrDigestMismatch.class);
    }

    /** 6.12's snapshot was read one record after quote 2 (testdata/README.md): pcrread matches neither quote. */
    @Test
    void on612TheListEndsOneRecordAfterQuote2SoTpm2PcrreadsOutputMatchesNeitherQuote() throws Exception {
        String pcrread = Files.readString(CapturedData.file(CapturedData.DEBIAN_6_12, "pcrread.yaml"), StandardCharsets.UTF_8);
        PcrValues all = PcrValues.parsePcrreadYaml(pcrread);
        assertThat(verifier.checkPcrDigest(verified(Debian612.ECC), all)).containsInstanceOf(QuoteFailure.PcrDigestMismatch.class);
        assertThat(verifier.checkPcrDigest(verified(Debian612.RSA), all)).containsInstanceOf(QuoteFailure.PcrDigestMismatch.class);
    }

    @Test
    void bothQuotesOfEachCaptureComeFromOneBootInOrder() throws Exception {
        for (CapturedData.Quote[] pair : new CapturedData.Quote[][] {{Debian61.RSA, Debian61.ECC}, {Debian612.RSA, Debian612.ECC}}) {
            VerifiedQuote first = verified(pair[0]);
            VerifiedQuote second = verified(pair[1]);
            assertThat(second.resetCount()).as(pair[0].set()).isEqualTo(first.resetCount());
            assertThat(second.restartCount()).as(pair[0].set()).isEqualTo(first.restartCount());
            assertThat(second.quote().clockInfo().clock()).as(pair[0].set()).isGreaterThan(first.quote().clockInfo().clock());
        }
    }

    @ParameterizedTest
    @MethodSource("quotes")
    void everyFlippedByteOfTheAttestIsABadSignature(CapturedData.Quote q) throws Exception {
        byte[] msg = read(q.msg());
        byte[] sig = read(q.sig());
        AkPublicKey ak = ak(q);
        for (int i = 0; i < msg.length; i++) {
            byte[] flipped = msg.clone();
            flipped[i] ^= (byte) 0xff;
            assertThat(verifier.verifyFiles(flipped, sig, ak, nonce(q)).failure()).as("byte %d", i)
                    .containsInstanceOf(QuoteFailure.BadSignature.class);
        }
    }

    @ParameterizedTest
    @MethodSource("quotes")
    void everyFlippedByteOfTheSignatureFileIsRejected(CapturedData.Quote q) throws Exception {
        byte[] msg = read(q.msg());
        byte[] sig = read(q.sig());
        AkPublicKey ak = ak(q);
        for (int i = 0; i < sig.length; i++) {
            byte[] flipped = sig.clone();
            flipped[i] ^= (byte) 0xff;
            assertThat(verifier.verifyFiles(msg, flipped, ak, nonce(q)).verified()).as("byte %d", i).isEmpty();
        }
        byte[] lastFlipped = sig.clone();
        lastFlipped[sig.length - 1] ^= 0x01;
        assertThat(verifier.verifyFiles(msg, lastFlipped, ak, nonce(q)).failure()).containsInstanceOf(QuoteFailure.BadSignature.class);
    }

    @Test
    void theOtherAkTheOtherNonceOrTheOtherSignatureFail() throws Exception {
        CapturedData.Quote rsa = Debian61.RSA;
        CapturedData.Quote ecc = Debian61.ECC;
        // the ECC quote under the RSA AK: the scheme cannot come from that key
        assertThat(verifier.verifyFiles(read(ecc.msg()), read(ecc.sig()), ak(rsa), nonce(ecc)).failure())
                .containsInstanceOf(QuoteFailure.SignatureKeyMismatch.class);
        // quote 1's nonce for quote 2
        QuoteResult wrongNonce = verifier.verifyFiles(read(ecc.msg()), read(ecc.sig()), ak(ecc), nonce(rsa));
        assertThat(wrongNonce.failure()).contains(new QuoteFailure.NonceMismatch(nonce(rsa), nonce(ecc)));
        // quote 1's signature over quote 2's attest, under quote 1's AK
        assertThat(verifier.verifyFiles(read(ecc.msg()), read(rsa.sig()), ak(rsa), nonce(ecc)).failure())
                .containsInstanceOf(QuoteFailure.BadSignature.class);
    }
}

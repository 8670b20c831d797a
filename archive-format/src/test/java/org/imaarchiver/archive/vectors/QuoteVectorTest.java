package org.imaarchiver.archive.vectors;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.quote.AkPublicKey;
import org.imaarchiver.replay.quote.QuoteFailure;
import org.imaarchiver.replay.quote.QuoteResult;
import org.imaarchiver.replay.quote.QuoteVerifier;
import org.imaarchiver.replay.quote.VerifiedQuote;
import org.junit.jupiter.api.Test;

/**
 * docs/archive-format.md A.6: a real TPM2_Quote (swtpm, tpm2-tools, RSA-2048 RSASSA/SHA-256 AK) over
 * PCR 10 of sha1 and sha256 after one extend from zero, with nonce {@code a6}×32. The expected PCR
 * values and pcrDigest are computed here from the extended data, not read from the quote.
 */
class QuoteVectorTest {
    static final byte[] DATA = "ima-archiver test vector A.6".getBytes(StandardCharsets.US_ASCII);
    static final Bytes NONCE = Bytes.ofHex("a6".repeat(32));

    static byte[] file(String name) throws Exception {
        return Files.readAllBytes(Path.of(QuoteVectorTest.class.getResource("/vectors/quote/" + name).toURI()));
    }

    static byte[] extendFromZero(String alg, int length) throws Exception {
        MessageDigest md = MessageDigest.getInstance(alg);
        md.update(new byte[length]);
        md.update(MessageDigest.getInstance(alg).digest(DATA));
        return md.digest();
    }

    @Test
    void theQuoteVerifiesUnderItsAkAndAttestsTheExtendedPcrs() throws Exception {
        byte[] sha1 = extendFromZero("SHA-1", 20);
        byte[] sha256 = extendFromZero("SHA-256", 32);
        assertThat(HexFormat.of().formatHex(sha1)).isEqualTo("873143ab110829ce8ecd1752cfb877477dab81f5");
        assertThat(HexFormat.of().formatHex(sha256)).isEqualTo("79c517636097f5c89cc949113b63a5298d20c03712b89a80d5fce92dfefb1c11");

        AkPublicKey ak = AkPublicKey.load(file("ak.pub"));
        assertThat(ak.tpmName()).hasValue(Bytes.wrap(file("ak.name")));
        QuoteVerifier verifier = new QuoteVerifier();
        QuoteResult r = verifier.verifyFiles(file("quote.msg"), file("quote.sig"), ak, NONCE);
        assertThat(r).isInstanceOf(QuoteResult.Verified.class);
        VerifiedQuote q = ((QuoteResult.Verified) r).value();
        MessageDigest pcrDigest = MessageDigest.getInstance("SHA-256");
        pcrDigest.update(sha1);
        pcrDigest.update(sha256);
        assertThat(q.pcrDigest().hex()).isEqualTo(HexFormat.of().formatHex(pcrDigest.digest()));
        assertThat(verifier.checkPcrDigest(q, Map.of(PcrBank.of(10, HashAlgorithm.SHA1), Digest.of(sha1),
                PcrBank.of(10, HashAlgorithm.SHA256), Digest.of(sha256)))).isEmpty();
    }

    @Test
    void anotherNonceOrAFlippedByteDoesNotVerify() throws Exception {
        AkPublicKey ak = AkPublicKey.load(file("ak.pub"));
        QuoteVerifier verifier = new QuoteVerifier();
        assertThat(verifier.verifyFiles(file("quote.msg"), file("quote.sig"), ak, Bytes.ofHex("a7".repeat(32))).failure())
                .get().isInstanceOf(QuoteFailure.NonceMismatch.class);
        byte[] attest = file("quote.msg");
        attest[attest.length - 1] ^= 1; // the pcrDigest's last byte
        assertThat(verifier.verifyFiles(attest, file("quote.sig"), ak, NONCE)).isInstanceOf(QuoteResult.Failed.class);
    }
}

package org.imaarchiver.replay.quote;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.KeyPair;
import java.util.Map;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.testsupport.TestData;
import org.junit.jupiter.api.Test;

class QuoteVerifierTest {
    private static final String DERIVED = "derived-swtpm-quotes-over-ibmtss-sha1log/";
    private static final String KEYLIME = "keylime+keylime/";
    private static final Bytes KEYLIME_NONCE = Bytes.ofHex("db1db298db6d60e6385b7231743e9c3056a18003");
    private final QuoteVerifier verifier = new QuoteVerifier();
    // RSA key generation is slow: two keys for the whole class.
    private static KeyPair rsaA;
    private static KeyPair rsaB;

    @org.junit.jupiter.api.BeforeAll
    static void keys() throws Exception {
        rsaA = TestAttest.rsa();
        rsaB = TestAttest.rsa();
    }

    private static byte[] file(String rel) throws Exception {
        return Files.readAllBytes(TestData.ima(rel));
    }

    /** README: the nonce is the 20-byte big-endian record count. */
    private static Bytes countNonce(int n) {
        byte[] b = new byte[20];
        b[18] = (byte) (n >> 8);
        b[19] = (byte) n;
        return Bytes.wrap(b);
    }

    private static VerifiedQuote verified(QuoteResult r) {
        assertThat(r.failure()).isEmpty();
        return r.verified().orElseThrow();
    }

    @Test
    void keylimeQuoteVerifiesAndItsPcrFileMatchesTheDigest() throws Exception {
        AkPublicKey ak = AkPublicKey.load(file(KEYLIME + "akpub.pem"));
        VerifiedQuote q = verified(verifier.verifyFiles(file(KEYLIME + "quote.out"), file(KEYLIME + "quotesig.out"), ak, KEYLIME_NONCE));

        assertThat(q.nonceChecked()).isTrue();
        assertThat(q.signingHash()).isEqualTo(HashAlgorithm.SHA256);
        assertThat(q.pcrSelection()).containsExactly(PcrSelection.of(HashAlgorithm.SHA256, 15, 16, 22));
        PcrValues pcrs = PcrValues.parseSerialized(file(KEYLIME + "quotepcr.out"));
        assertThat(verifier.checkPcrDigest(q, pcrs)).isEmpty();
        // independent: SHA-256 over the three values in PCR order
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        for (int pcr : new int[] {15, 16, 22}) md.update(pcrs.values().get(PcrBank.of(pcr, HashAlgorithm.SHA256)).bytes());
        assertThat(q.pcrDigest()).isEqualTo(Digest.wrap(md.digest()));
    }

    @Test
    void keylimeQuoteWithAnotherNonceIsRejected() throws Exception {
        AkPublicKey ak = AkPublicKey.load(file(KEYLIME + "akpub.pem"));
        Bytes other = Bytes.ofHex("db1db298db6d60e6385b7231743e9c3056a18004");
        QuoteResult r = verifier.verifyFiles(file(KEYLIME + "quote.out"), file(KEYLIME + "quotesig.out"), ak, other);
        assertThat(r.failure()).containsInstanceOf(QuoteFailure.NonceMismatch.class);
        QuoteFailure.NonceMismatch f = (QuoteFailure.NonceMismatch) r.failure().orElseThrow();
        assertThat(f.expected()).isEqualTo(other);
        assertThat(f.found()).isEqualTo(KEYLIME_NONCE);
        // a shorter nonce (prefix) is not equal either
        QuoteResult prefix = verifier.verifyFiles(file(KEYLIME + "quote.out"), file(KEYLIME + "quotesig.out"), ak,
                KEYLIME_NONCE.slice(0, 19));
        assertThat(prefix.failure()).containsInstanceOf(QuoteFailure.NonceMismatch.class);
    }

    @Test
    void derivedQuotesVerifyWithPemAndTssKeysAndMatchTheirPcrFiles() throws Exception {
        AkPublicKey pem = AkPublicKey.load(file(DERIVED + "ak.pub.pem"));
        AkPublicKey tss = AkPublicKey.load(file(DERIVED + "ak.pub.tss"));
        assertThat(tss.tpmName()).contains(Bytes.wrap(file(DERIVED + "ak.name")));
        for (int n : new int[] {200, 362}) {
            byte[] msg = file(DERIVED + "quote-" + n + ".msg");
            byte[] sig = file(DERIVED + "quote-" + n + ".sig");
            for (AkPublicKey ak : new AkPublicKey[] {pem, tss}) {
                VerifiedQuote q = verified(verifier.verifyFiles(msg, sig, ak, countNonce(n)));
                assertThat(verifier.checkPcrDigest(q, PcrValues.parseSerialized(file(DERIVED + "quote-" + n + ".pcrs")))).isEmpty();
                assertThat(verifier.checkPcrDigest(q, PcrValues.parsePcrreadYaml(
                        new String(file(DERIVED + "pcr10-" + n + ".yaml"), StandardCharsets.UTF_8)))).isEmpty();
            }
        }
    }

    @Test
    void pcrDigestOfTheReadmeValuesMatchesAndOtherValuesDoNot() throws Exception {
        AkPublicKey ak = AkPublicKey.load(file(DERIVED + "ak.pub.tss"));
        VerifiedQuote q = verified(verifier.verifyFiles(file(DERIVED + "quote-200.msg"), file(DERIVED + "quote-200.sig"), ak, countNonce(200)));
        Digest sha1 = Digest.ofHex("e8c1a2b5ea7424f71404e9295f9616663f56aba2");
        Digest sha256 = Digest.ofHex("e8d3f4485df1ab1fe30bccb943b65e4530a80c1683ef21192404c79f728fe39e");
        Map<PcrBank, Digest> readme = Map.of(PcrBank.of(10, HashAlgorithm.SHA1), sha1, PcrBank.of(10, HashAlgorithm.SHA256), sha256);
        assertThat(verifier.checkPcrDigest(q, readme)).isEmpty();
        assertThat(q.matcher().matches(readme::get)).isTrue();
        assertThat(q.quote().quotedDigestOver(HashAlgorithm.SHA256, readme::get)).isEqualTo(q.pcrDigest());

        // the values after record 362 are a different state
        Map<PcrBank, Digest> at362 = Map.of(PcrBank.of(10, HashAlgorithm.SHA1), Digest.ofHex("9be6bac02bf18d09d17e726c2df00bca4e8831ea"),
                PcrBank.of(10, HashAlgorithm.SHA256), Digest.ofHex("7fac48c81837d6d29046008aef0cdad8c2745cc98c3340cbba9bfdf39b4124b8"));
        assertThat(q.matcher().matches(at362::get)).isFalse();
        var failure = verifier.checkPcrDigest(q, at362);
        assertThat(failure).containsInstanceOf(QuoteFailure.PcrDigestMismatch.class);
        QuoteFailure.PcrDigestMismatch m = (QuoteFailure.PcrDigestMismatch) failure.orElseThrow();
        assertThat(m.expected()).isEqualTo(q.pcrDigest());
        assertThat(m.computed()).isEqualTo(QuoteParseTest.independentDigest(at362.get(PcrBank.of(10, HashAlgorithm.SHA1)),
                at362.get(PcrBank.of(10, HashAlgorithm.SHA256))));

        // a missing bank is named, not treated as zeros
        var missing = verifier.checkPcrDigest(q, Map.of(PcrBank.of(10, HashAlgorithm.SHA1), sha1));
        assertThat(missing).contains(new QuoteFailure.PcrValuesMissing(java.util.List.of(PcrBank.of(10, HashAlgorithm.SHA256))));
        var wrongLength = verifier.checkPcrDigest(q, k -> java.util.Optional.of(Digest.zeros(20)));
        assertThat(wrongLength).contains(new QuoteFailure.PcrValueLength(PcrBank.of(10, HashAlgorithm.SHA256), 32, 20));
    }

    @Test
    void tamperedAttestSignatureOrWrongAkIsBadSignature() throws Exception {
        byte[] msg = file(DERIVED + "quote-362.msg");
        byte[] sig = file(DERIVED + "quote-362.sig");
        AkPublicKey ak = AkPublicKey.load(file(DERIVED + "ak.pub.pem"));
        Bytes nonce = countNonce(362);

        for (int i : new int[] {0, 5, 50, 100, msg.length - 1}) {
            QuoteResult r = verifier.verifyFiles(TestAttest.flipBit(msg, i, 3), sig, ak, nonce);
            assertThat(r.failure()).as("attest bit flip at %d", i).containsInstanceOf(QuoteFailure.BadSignature.class);
        }
        QuoteResult badSig = verifier.verifyFiles(msg, TestAttest.flipBit(sig, sig.length - 1, 0), ak, nonce);
        assertThat(badSig.failure()).containsInstanceOf(QuoteFailure.BadSignature.class);
        QuoteFailure.BadSignature b = (QuoteFailure.BadSignature) badSig.failure().orElseThrow();
        assertThat(b.sigAlg()).isEqualTo(QuoteSignature.TPM_ALG_RSASSA);
        assertThat(b.hash()).isEqualTo(HashAlgorithm.SHA256);

        AkPublicKey keylimeAk = AkPublicKey.load(file(KEYLIME + "akpub.pem"));
        assertThat(verifier.verifyFiles(msg, sig, keylimeAk, nonce).failure()).containsInstanceOf(QuoteFailure.BadSignature.class);

        // the other quote's signature over this attest
        byte[] sig200 = file(DERIVED + "quote-200.sig");
        assertThat(verifier.verifyFiles(msg, sig200, ak, nonce).failure()).containsInstanceOf(QuoteFailure.BadSignature.class);
    }

    @Test
    void signatureWithTrailingZerosIsRejected() throws Exception {
        // tpm2-tools issue #2132: a verifier must not accept an RSA signature padded with zeros.
        byte[] msg = file(DERIVED + "quote-362.msg");
        QuoteSignature.Rsa sig = (QuoteSignature.Rsa) QuoteSignature.parse(file(DERIVED + "quote-362.sig"));
        byte[] padded = java.util.Arrays.copyOf(sig.signature().toArray(), 257);
        QuoteSignature longer = new QuoteSignature.Rsa(sig.scheme(), sig.hash(), Bytes.wrap(padded));
        AkPublicKey ak = AkPublicKey.load(file(DERIVED + "ak.pub.pem"));
        assertThat(verifier.verify(Bytes.wrap(msg), longer, ak, countNonce(362)).failure())
                .containsInstanceOf(QuoteFailure.BadSignature.class);
    }

    @Test
    void malformedSignatureFileIsAFailureNotAnException() throws Exception {
        byte[] msg = file(DERIVED + "quote-362.msg");
        AkPublicKey ak = AkPublicKey.load(file(DERIVED + "ak.pub.pem"));
        QuoteResult r = verifier.verifyFiles(msg, Bytes.ofHex("0014000b01").toArray(), ak, countNonce(362));
        assertThat(r.failure()).containsInstanceOf(QuoteFailure.Malformed.class);
        QuoteResult u = verifier.verifyFiles(msg, Bytes.ofHex("001b000b").toArray(), ak, countNonce(362));
        assertThat(u.failure()).containsInstanceOf(QuoteFailure.UnsupportedAlgorithm.class);
    }

    // ---- ordering: inputs whose signature verifies but whose content is wrong (a TPM never signs these) ----

    @Test
    void badMagicIsReportedAfterAValidSignature() throws Exception {
        KeyPair kp = rsaA;
        TestAttest a = new TestAttest();
        a.magic = 0xFF544348L;
        a.type = 0x8017; // also wrong: magic is checked first
        a.extraData = new byte[] {9}; // also wrong: nonce is checked last
        byte[] attest = a.build();
        QuoteSignature sig = TestAttest.signRsassa(kp.getPrivate(), HashAlgorithm.SHA256, attest);
        QuoteResult r = verifier.verify(Bytes.wrap(attest), sig, AkPublicKey.of(kp.getPublic()), Bytes.ofHex("0102030405"));
        assertThat(r.failure()).contains(new QuoteFailure.BadMagic(0xFF544347L, 0xFF544348L));

        // and with a wrong key, the signature failure comes first
        QuoteResult other = verifier.verify(Bytes.wrap(attest), sig, AkPublicKey.of(rsaB.getPublic()), Bytes.ofHex("0102030405"));
        assertThat(other.failure()).containsInstanceOf(QuoteFailure.BadSignature.class);
    }

    @Test
    void wrongTypeIsReportedBeforeTheNonce() throws Exception {
        KeyPair kp = rsaA;
        TestAttest a = new TestAttest();
        a.type = 0x8017; // TPM_ST_ATTEST_CERTIFY
        a.extraData = new byte[] {9};
        byte[] attest = a.build();
        QuoteSignature sig = TestAttest.signRsassa(kp.getPrivate(), HashAlgorithm.SHA256, attest);
        QuoteResult r = verifier.verify(Bytes.wrap(attest), sig, AkPublicKey.of(kp.getPublic()), Bytes.ofHex("0102030405"));
        assertThat(r.failure()).contains(new QuoteFailure.WrongType(0x8018, 0x8017));
    }

    @Test
    void signedButUndecodableQuoteIsMalformedAndUnknownBankIsUnsupported() throws Exception {
        KeyPair kp = rsaA;
        TestAttest a = new TestAttest();
        a.selection = org.imaarchiver.replay.bytes.Bytes.ofHex("00000001" + "0012" + "03" + "000400").toArray(); // SM3 bank
        byte[] attest = a.build();
        QuoteSignature sig = TestAttest.signRsassa(kp.getPrivate(), HashAlgorithm.SHA256, attest);
        QuoteResult r = verifier.verify(Bytes.wrap(attest), sig, AkPublicKey.of(kp.getPublic()), Bytes.ofHex("0102030405"));
        assertThat(r.failure()).containsInstanceOf(QuoteFailure.UnsupportedAlgorithm.class);

        byte[] cut = java.util.Arrays.copyOf(new TestAttest().build(), 60);
        QuoteSignature sig2 = TestAttest.signRsassa(kp.getPrivate(), HashAlgorithm.SHA256, cut);
        QuoteResult r2 = verifier.verify(Bytes.wrap(cut), sig2, AkPublicKey.of(kp.getPublic()), Bytes.ofHex("0102030405"));
        assertThat(r2.failure()).containsInstanceOf(QuoteFailure.Malformed.class);
    }

    @Test
    void rsaPssVerifiesWithHashLengthAndMaximumSalt() throws Exception {
        KeyPair kp = rsaA;
        byte[] attest = new TestAttest().build();
        AkPublicKey ak = AkPublicKey.of(kp.getPublic());
        for (int salt : new int[] {32, 256 - 32 - 2}) {
            QuoteSignature sig = TestAttest.signPss(kp.getPrivate(), HashAlgorithm.SHA256, salt, attest);
            verified(verifier.verify(Bytes.wrap(attest), sig, ak, Bytes.ofHex("0102030405")));
        }
        QuoteSignature odd = TestAttest.signPss(kp.getPrivate(), HashAlgorithm.SHA256, 20, attest);
        assertThat(verifier.verify(Bytes.wrap(attest), odd, ak, Bytes.ofHex("0102030405")).failure())
                .containsInstanceOf(QuoteFailure.BadSignature.class);
    }

    @Test
    void ecdsaOnP256AndP384Verifies() throws Exception {
        byte[] attest = new TestAttest().build();
        for (String curve : new String[] {"secp256r1", "secp384r1"}) {
            KeyPair kp = TestAttest.ec(curve);
            AkPublicKey ak = AkPublicKey.of(kp.getPublic());
            HashAlgorithm h = curve.equals("secp256r1") ? HashAlgorithm.SHA256 : HashAlgorithm.SHA384;
            QuoteSignature sig = TestAttest.signEcdsa(kp.getPrivate(), h, attest);
            VerifiedQuote q = verified(verifier.verify(Bytes.wrap(attest), sig, ak, Bytes.ofHex("0102030405")));
            assertThat(q.signingHash()).isEqualTo(h);
            assertThat(q.resetCount()).isEqualTo(7);
            assertThat(q.restartCount()).isEqualTo(3);
            assertThat(verifier.verify(Bytes.wrap(TestAttest.flipBit(attest, 70, 0)), sig, ak, Bytes.ofHex("0102030405")).failure())
                    .containsInstanceOf(QuoteFailure.BadSignature.class);
            // ECDSA signature offered with an RSA key
            assertThat(verifier.verify(Bytes.wrap(attest), sig, AkPublicKey.of(rsaB.getPublic()), Bytes.ofHex("0102030405")).failure())
                    .containsInstanceOf(QuoteFailure.SignatureKeyMismatch.class);
        }
    }

    @Test
    void emptySelectionAttestsNothing() throws Exception {
        KeyPair kp = rsaA;
        TestAttest a = new TestAttest();
        a.selection = Bytes.ofHex("00000001" + "000b" + "03" + "000000").toArray();
        byte[] attest = a.build();
        VerifiedQuote q = verified(verifier.verifyWithoutNonce(Bytes.wrap(attest),
                TestAttest.signRsassa(kp.getPrivate(), HashAlgorithm.SHA256, attest), AkPublicKey.of(kp.getPublic())));
        assertThat(q.nonceChecked()).isFalse();
        assertThat(verifier.checkPcrDigest(q, Map.of())).containsInstanceOf(QuoteFailure.NoPcrsSelected.class);
    }

    @Test
    void derEncodingOfEcdsaValues() {
        // r with the high bit set gets a 0x00 prefix; leading zeros of s are dropped (minimal INTEGER).
        byte[] der = QuoteVerifier.derSignature(Bytes.ofHex("80"), Bytes.ofHex("0001"));
        assertThat(Bytes.wrap(der)).isEqualTo(Bytes.ofHex("3007" + "02020080" + "020101"));
    }
}

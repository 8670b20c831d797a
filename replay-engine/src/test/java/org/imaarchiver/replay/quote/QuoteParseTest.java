package org.imaarchiver.replay.quote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.testsupport.TestData;
import org.junit.jupiter.api.Test;

class QuoteParseTest {
    private static final String DERIVED = "derived-swtpm-quotes-over-ibmtss-sha1log/";
    // README of the shared data: PCR 10 after record 200 and after record 362 (the given values).
    private static final Digest SHA1_200 = Digest.ofHex("e8c1a2b5ea7424f71404e9295f9616663f56aba2");
    private static final Digest SHA256_200 = Digest.ofHex("e8d3f4485df1ab1fe30bccb943b65e4530a80c1683ef21192404c79f728fe39e");
    private static final Digest SHA1_362 = Digest.ofHex("9be6bac02bf18d09d17e726c2df00bca4e8831ea");
    private static final Digest SHA256_362 = Digest.ofHex("7fac48c81837d6d29046008aef0cdad8c2745cc98c3340cbba9bfdf39b4124b8");

    private static byte[] derived(String name) throws Exception {
        return Files.readAllBytes(TestData.ima(DERIVED + name));
    }

    @Test
    void decodesTheSwtpmQuoteFields() throws Exception {
        Quote q = Quote.parse(derived("quote-200.msg"));

        assertThat(q.magic()).isEqualTo(0xFF544347L);
        assertThat(q.type()).isEqualTo(0x8018);
        // README: nonce = the 20-byte big-endian record count.
        assertThat(q.extraData()).isEqualTo(Bytes.ofHex("00000000000000000000000000000000000000c8"));
        assertThat(q.qualifiedSigner().length()).isEqualTo(34);
        assertThat(q.qualifiedSigner().byteAt(0)).isEqualTo((byte) 0x00);
        assertThat(q.qualifiedSigner().byteAt(1)).isEqualTo((byte) 0x0b); // sha256 name
        // kernel-interface.md T.4.3: swtpm 0.7.1 reports this firmware version.
        assertThat(q.firmwareVersion()).isEqualTo(0x2019102300163636L);
        assertThat(q.pcrSelection()).containsExactly(
                PcrSelection.of(HashAlgorithm.SHA1, 10), PcrSelection.of(HashAlgorithm.SHA256, 10));
        assertThat(q.pcrDigest()).isEqualTo(independentDigest(SHA1_200, SHA256_200));
        assertThat(q.attest()).isEqualTo(Bytes.wrap(derived("quote-200.msg")));
    }

    @Test
    void bothDerivedQuotesComeFromOneBootOfOneTpm() throws Exception {
        Quote q200 = Quote.parse(derived("quote-200.msg"));
        Quote q362 = Quote.parse(derived("quote-362.msg"));
        assertThat(q362.extraData()).isEqualTo(Bytes.ofHex("000000000000000000000000000000000000016a"));
        assertThat(q362.pcrDigest()).isEqualTo(independentDigest(SHA1_362, SHA256_362));
        assertThat(q362.resetCount()).isEqualTo(q200.resetCount());
        assertThat(q362.restartCount()).isEqualTo(q200.restartCount());
        assertThat(q362.clockInfo().clock()).isGreaterThanOrEqualTo(q200.clockInfo().clock());
    }

    @Test
    void decodesTheKeylimeQuote() throws Exception {
        Quote q = Quote.parse(Files.readAllBytes(TestData.ima("keylime+keylime/quote.out")));
        assertThat(q.extraData()).isEqualTo(Bytes.ofHex("db1db298db6d60e6385b7231743e9c3056a18003"));
        assertThat(q.pcrSelection()).containsExactly(PcrSelection.of(HashAlgorithm.SHA256, 15, 16, 22));
        assertThat(q.pcrDigest().length()).isEqualTo(32);
    }

    @Test
    void matcherComparesWithTheSigningHashAndNeverThrowsOnADigestOfAnotherSize() throws Exception {
        Quote q = Quote.parse(derived("quote-200.msg"));
        java.util.Map<PcrBank, Digest> v = java.util.Map.of(PcrBank.of(10, HashAlgorithm.SHA1), SHA1_200,
                PcrBank.of(10, HashAlgorithm.SHA256), SHA256_200);
        PcrDigestMatcher m = q.matcher(HashAlgorithm.SHA256);
        assertThat(m.selectedPcrs()).containsExactly(PcrBank.of(10, HashAlgorithm.SHA1), PcrBank.of(10, HashAlgorithm.SHA256));
        for (int i = 0; i < 3; i++) assertThat(m.matches(v::get)).isTrue(); // reusable
        assertThat(m.matches(k -> k.algorithm().zero())).isFalse();
        assertThat(q.matcher(HashAlgorithm.SHA384).matches(v::get)).isFalse();
        assertThat(q.quotedDigestOver(HashAlgorithm.SHA256, v::get)).isEqualTo(q.pcrDigest());
    }

    @Test
    void unwrapsTpm2bAttest() throws Exception {
        byte[] msg = derived("quote-200.msg");
        byte[] wrapped = new byte[msg.length + 2];
        wrapped[0] = (byte) (msg.length >> 8);
        wrapped[1] = (byte) msg.length;
        System.arraycopy(msg, 0, wrapped, 2, msg.length);
        assertThat(Quote.parse(wrapped)).isEqualTo(Quote.parse(msg));
    }

    @Test
    void everyTruncationIsReportedAsTruncated() throws Exception {
        byte[] msg = derived("quote-200.msg");
        for (int len = 0; len < msg.length; len++) {
            byte[] cut = Arrays.copyOf(msg, len);
            MalformedQuoteException e = catchThrowableOfType(() -> Quote.parse(cut), MalformedQuoteException.class);
            assertThat(e).as("prefix of %d bytes", len).isNotNull();
            if (len >= 6) assertThat(e.kind()).as("prefix of %d bytes", len).isEqualTo(MalformedQuoteException.Kind.TRUNCATED);
        }
        MalformedQuoteException e = catchThrowableOfType(() -> Quote.parse(Arrays.copyOf(msg, 50)), MalformedQuoteException.class);
        assertThat(e.field()).isEqualTo("TPMS_ATTEST.extraData");
        assertThat(e.offset()).isEqualTo(44); // 4 magic + 2 type + 2 + 34 signer + 2 size
    }

    @Test
    void singleByteCorruptionNeverEscapesAsAnUncheckedException() throws Exception {
        byte[] msg = derived("quote-200.msg");
        for (int i = 0; i < msg.length; i++) {
            for (int v : new int[] {0x00, 0xff, msg[i] ^ 0x01}) {
                byte[] m = msg.clone();
                m[i] = (byte) v;
                try {
                    Quote.parse(m);
                } catch (MalformedQuoteException expected) {
                    // fine: a typed error
                }
            }
        }
    }

    @Test
    void unknownBankFailsClosed() throws Exception {
        byte[] msg = derived("quote-200.msg");
        msg[93] = 0x00;
        msg[94] = 0x12; // TPM_ALG_SM3_256
        MalformedQuoteException e = catchThrowableOfType(() -> Quote.parse(msg), MalformedQuoteException.class);
        assertThat(e.kind()).isEqualTo(MalformedQuoteException.Kind.UNSUPPORTED_ALGORITHM);
        assertThat(e.field()).isEqualTo("TPMS_QUOTE_INFO.pcrSelect[0].hash");
        assertThat(e.offset()).isEqualTo(93);
    }

    @Test
    void oversizedNameAndTrailingBytesAreRejected() throws Exception {
        byte[] msg = derived("quote-200.msg");
        byte[] big = msg.clone();
        big[7] = (byte) 0xff; // qualifiedSigner size 255 > sizeof(TPMU_NAME)
        MalformedQuoteException e = catchThrowableOfType(() -> Quote.parse(big), MalformedQuoteException.class);
        assertThat(e.kind()).isEqualTo(MalformedQuoteException.Kind.BAD_VALUE);
        assertThat(e.field()).isEqualTo("TPMS_ATTEST.qualifiedSigner");
        assertThat(e.offset()).isEqualTo(6);

        byte[] longer = Arrays.copyOf(msg, msg.length + 1);
        e = catchThrowableOfType(() -> Quote.parse(longer), MalformedQuoteException.class);
        assertThat(e.kind()).isEqualTo(MalformedQuoteException.Kind.TRAILING_BYTES);
        assertThat(e.offset()).isEqualTo(msg.length);
    }

    @Test
    void pcrBeyond23IsRejected() throws Exception {
        TestAttest a = new TestAttest();
        a.selection = Bytes.ofHex("00000001" + "000b" + "04" + "00000001").toArray(); // PCR 24
        MalformedQuoteException e = catchThrowableOfType(() -> Quote.parse(a.build()), MalformedQuoteException.class);
        assertThat(e.kind()).isEqualTo(MalformedQuoteException.Kind.BAD_VALUE);
        assertThat(e.field()).isEqualTo("TPMS_QUOTE_INFO.pcrSelect[0].pcrSelect");
    }

    @Test
    void otherAttestationTypesAreNotQuotes() {
        TestAttest a = new TestAttest();
        a.type = 0x8017; // TPM_ST_ATTEST_CERTIFY
        MalformedQuoteException e = catchThrowableOfType(() -> Quote.parse(a.build()), MalformedQuoteException.class);
        assertThat(e.field()).isEqualTo("TPMS_ATTEST.type");
        assertThat(e.offset()).isEqualTo(4);
    }

    @Test
    void decodesTssSignatures() throws Exception {
        QuoteSignature sig = QuoteSignature.parse(derived("quote-200.sig"));
        assertThat(sig).isInstanceOf(QuoteSignature.Rsa.class);
        QuoteSignature.Rsa rsa = (QuoteSignature.Rsa) sig;
        assertThat(rsa.scheme()).isEqualTo(QuoteSignature.RsaScheme.RSASSA);
        assertThat(rsa.hash()).isEqualTo(HashAlgorithm.SHA256);
        assertThat(rsa.signature().length()).isEqualTo(256);

        QuoteSignature ec = QuoteSignature.parse(Bytes.ofHex("0018" + "000c" + "0002" + "0102" + "0001" + "03").toArray());
        assertThat(ec).isEqualTo(new QuoteSignature.Ecdsa(HashAlgorithm.SHA384, Bytes.ofHex("0102"), Bytes.ofHex("03")));
    }

    @Test
    void unsupportedSignatureSchemesFailClosed() {
        for (String hex : new String[] {"001b000b00010000", "0005000b", "001a000b0001020001030004"}) { // SM2, HMAC, ECDAA
            MalformedQuoteException e = catchThrowableOfType(() -> QuoteSignature.parse(Bytes.ofHex(hex).toArray()),
                    MalformedQuoteException.class);
            assertThat(e.kind()).isEqualTo(MalformedQuoteException.Kind.UNSUPPORTED_ALGORITHM);
            assertThat(e.field()).isEqualTo("TPMT_SIGNATURE.sigAlg");
        }
        MalformedQuoteException e = catchThrowableOfType(
                () -> QuoteSignature.parse(Bytes.ofHex("00140012000100").toArray()), MalformedQuoteException.class);
        assertThat(e.kind()).isEqualTo(MalformedQuoteException.Kind.UNSUPPORTED_ALGORITHM);
        assertThat(e.field()).isEqualTo("TPMS_SIGNATURE_RSA.hash");
        assertThatThrownBy(() -> QuoteSignature.parse(Bytes.ofHex("0014000b0002aa").toArray()))
                .isInstanceOfSatisfying(MalformedQuoteException.class,
                        x -> assertThat(x.kind()).isEqualTo(MalformedQuoteException.Kind.TRUNCATED));
    }

    @Test
    void akNameFromTpm2bPublicEqualsTpm2ToolsName() throws Exception {
        AkPublicKey tss = AkPublicKey.load(derived("ak.pub.tss"));
        AkPublicKey pem = AkPublicKey.load(derived("ak.pub.pem"));
        assertThat(tss.tpmName()).contains(Bytes.wrap(derived("ak.name")));
        assertThat(tss.publicKey()).isEqualTo(pem.publicKey());
        assertThat(pem.tpmName()).isEmpty();
        assertThat(tss.tpmtPublic().orElseThrow().length()).isEqualTo(280);
        assertThat(AkPublicKey.fromTpmtPublic(tss.tpmtPublic().orElseThrow().toArray())).isEqualTo(tss);
    }

    @Test
    void unsupportedKeyTypeFailsClosed() throws Exception {
        byte[] pub = derived("ak.pub.tss");
        pub[3] = 0x25; // TPM_ALG_SYMCIPHER
        MalformedQuoteException e = catchThrowableOfType(() -> AkPublicKey.fromTpm2bPublic(pub), MalformedQuoteException.class);
        assertThat(e.kind()).isEqualTo(MalformedQuoteException.Kind.UNSUPPORTED_ALGORITHM);
        assertThat(e.field()).isEqualTo("TPMT_PUBLIC.type");
        assertThat(e.offset()).isEqualTo(2);
        MalformedQuoteException e2 = catchThrowableOfType(
                () -> AkPublicKey.fromPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
                MalformedQuoteException.class);
        assertThat(e2).isNotNull();
    }

    @Test
    void serializedPcrFileAndPcrreadYamlGiveTheReadmeValues() throws Exception {
        for (int n : new int[] {200, 362}) {
            PcrValues pcrs = PcrValues.parseSerialized(derived("quote-" + n + ".pcrs"));
            PcrValues yaml = PcrValues.parsePcrreadYaml(new String(derived("pcr10-" + n + ".yaml"), StandardCharsets.UTF_8));
            Digest sha1 = n == 200 ? SHA1_200 : SHA1_362;
            Digest sha256 = n == 200 ? SHA256_200 : SHA256_362;
            assertThat(pcrs.values()).containsOnlyKeys(PcrBank.of(10, HashAlgorithm.SHA1), PcrBank.of(10, HashAlgorithm.SHA256));
            assertThat(pcrs.values()).containsEntry(PcrBank.of(10, HashAlgorithm.SHA1), sha1)
                    .containsEntry(PcrBank.of(10, HashAlgorithm.SHA256), sha256);
            assertThat(yaml).isEqualTo(pcrs);
        }
    }

    @Test
    void keylimeSerializedPcrFileCoversTheReturnedSelection() throws Exception {
        PcrValues pcrs = PcrValues.parseSerialized(Files.readAllBytes(TestData.ima("keylime+keylime/quotepcr.out")));
        assertThat(pcrs.values()).containsOnlyKeys(PcrBank.of(15, HashAlgorithm.SHA256), PcrBank.of(16, HashAlgorithm.SHA256),
                PcrBank.of(22, HashAlgorithm.SHA256));
        // PC Client profile: PCRs 17..22 start as all ones (they are reset only by a dynamic launch).
        assertThat(pcrs.values().get(PcrBank.of(22, HashAlgorithm.SHA256))).isEqualTo(Digest.filled(32, (byte) 0xff));
    }

    @Test
    void serializedPcrFileInBigEndianIsDetected() throws Exception {
        byte[] le = derived("quote-200.pcrs");
        byte[] be = le.clone();
        swap(be, 0, 4);
        for (int i = 0; i < 2; i++) swap(be, 4 + i * 8, 2);
        swap(be, 132, 4);
        swap(be, 136, 4);
        for (int d = 0; d < 2; d++) swap(be, 140 + d * 66, 2);
        assertThat(PcrValues.parseSerialized(be)).isEqualTo(PcrValues.parseSerialized(le));
    }

    @Test
    void malformedPcrFilesAreRejected() throws Exception {
        byte[] le = derived("quote-200.pcrs");
        assertThatThrownBy(() -> PcrValues.parseSerialized(Arrays.copyOf(le, 667))).isInstanceOf(MalformedQuoteException.class);
        byte[] unknownBank = le.clone();
        unknownBank[4] = 0x12; // SM3_256
        assertThatThrownBy(() -> PcrValues.parseSerialized(unknownBank)).isInstanceOfSatisfying(MalformedQuoteException.class,
                e -> assertThat(e.kind()).isEqualTo(MalformedQuoteException.Kind.UNSUPPORTED_ALGORITHM));
        assertThatThrownBy(() -> PcrValues.parsePcrreadYaml("  sm3_256:\n    10: 0x00\n"))
                .isInstanceOfSatisfying(MalformedQuoteException.class, e -> {
                    assertThat(e.kind()).isEqualTo(MalformedQuoteException.Kind.UNSUPPORTED_ALGORITHM);
                    assertThat(e.offset()).isEqualTo(1);
                });
        assertThatThrownBy(() -> PcrValues.parsePcrreadYaml("  sha1:\n    10: 0x0011\n"))
                .isInstanceOfSatisfying(MalformedQuoteException.class, e -> assertThat(e.offset()).isEqualTo(2));
    }

    private static void swap(byte[] b, int at, int len) {
        for (int i = 0; i < len / 2; i++) {
            byte t = b[at + i];
            b[at + i] = b[at + len - 1 - i];
            b[at + len - 1 - i] = t;
        }
    }

    /** README: pcrDigest = SHA-256(sha1 PCR10 || sha256 PCR10), computed here without PcrDigest. */
    static Digest independentDigest(Digest sha1, Digest sha256) throws Exception {
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        md.update(sha1.bytes());
        md.update(sha256.bytes());
        return Digest.wrap(md.digest());
    }
}

package org.imaarchiver.jobs.host.tpm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.quote.AkPublicKey;
import org.imaarchiver.replay.quote.PcrSelection;
import org.imaarchiver.replay.quote.Quote;
import org.imaarchiver.replay.quote.QuoteEvidence;
import org.imaarchiver.replay.quote.QuoteFailure;
import org.imaarchiver.replay.quote.QuoteVerifier;
import org.imaarchiver.replay.quote.VerifiedQuote;
import org.imaarchiver.replay.testsupport.Swtpm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Primary AKs and quotes from our client, verified by the peers tpm2_checkquote and
 * tpm2_readpublic / tpm2_createprimary (kernel-interface.md T.4.2, §4.3).
 */
class Tpm2QuoteTest {
    private static final int PERSISTENT_AK = 0x81010002;
    private static final Pattern NAME = Pattern.compile("(?m)^name: ([0-9a-f]+)$");
    private static final String AK_ATTRS = "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign";
    /** 11 PCRs over two banks: the serialized PCR file then needs two TPML_DIGEST blocks. */
    private static final List<PcrSelection> SELECTION = List.of(
            PcrSelection.of(HashAlgorithm.SHA1, 0, 1, 2, 3, 10),
            PcrSelection.of(HashAlgorithm.SHA256, 0, 1, 2, 3, 10, 16));

    @TempDir
    static Path dir;
    static Swtpm swtpm;
    static Tpm2 tpm;

    @BeforeAll
    static void start() throws Exception {
        swtpm = Swtpm.start(dir.resolve("swtpm"));
        tpm = new Tpm2(SwtpmSocketTransport.connect("127.0.0.1", swtpm.port(),
                SwtpmSocketTransport.Mode.PER_COMMAND, SwtpmSocketTransport.DEFAULT_TIMEOUT));
        tpm.pcrExtend(10, Map.of(HashAlgorithm.SHA1, Digest.filled(20, (byte) 7), HashAlgorithm.SHA256, Digest.filled(32, (byte) 7)));
        tpm.pcrExtend(16, Map.of(HashAlgorithm.SHA256, Digest.filled(32, (byte) 9)));
    }

    @AfterAll
    static void stop() {
        if (tpm != null) tpm.close();
        if (swtpm != null) swtpm.close();
    }

    @Test
    void rsaPrimaryAkQuoteVerifiesWithCheckquoteAndFailsWithWrongNonce() throws Exception {
        PrimaryKey ak = tpm.createPrimary(Hierarchy.ENDORSEMENT, AkTemplate.RSA2048_RSASSA_SHA256);
        try {
            assertThat(ak.publicArea().isRsa()).isTrue();
            assertThat(ak.publicArea().objectAttributes()).isEqualTo(0x00050072); // kernel-interface.md T.4.3 ak.pub
            Path d = quoteArtifacts("rsa", ak);
            assertThat(Files.size(d.resolve("quote.sig"))).isEqualTo(2 + 2 + 2 + 256); // TPMT_SIGNATURE RSASSA
            assertThat(checkquote(d, "ak.pem", nonceHex(d))).isZero();
            assertThat(checkquote(d, "ak.pub", nonceHex(d))).isZero(); // TPM2B_PUBLIC form accepted too
            assertThat(checkquote(d, "ak.pem", "00" + nonceHex(d).substring(2))).isNotZero();
            // checkquote really compares our PCR file with the signed pcrDigest: one flipped bit fails it.
            byte[] pcrs = Files.readAllBytes(d.resolve("pcrs"));
            pcrs[132 + 4 + 4 + 2] ^= 1; // first digest of the first TPML_DIGEST block
            Files.write(d.resolve("pcrs"), pcrs);
            assertThat(checkquote(d, "ak.pem", nonceHex(d))).isNotZero();
        } finally {
            tpm.flushContext(ak.handle());
        }
    }

    @Test
    void eccPrimaryAkQuoteVerifiesWithCheckquote() throws Exception {
        PrimaryKey ak = tpm.createPrimary(Hierarchy.OWNER, AkTemplate.ECC_P256_ECDSA_SHA256);
        try {
            assertThat(ak.publicArea().isRsa()).isFalse();
            Path d = quoteArtifacts("ecc", ak);
            assertThat(checkquote(d, "ak.pem", nonceHex(d))).isZero();
            assertThat(checkquote(d, "ak.pem", "ff" + nonceHex(d).substring(2))).isNotZero();
        } finally {
            tpm.flushContext(ak.handle());
        }
    }

    @Test
    void primaryAkIsTheKeyTpm2CreateprimaryMakesFromTheSameTemplate() throws Exception {
        for (AkTemplate t : AkTemplate.values()) {
            PrimaryKey ak = tpm.createPrimary(Hierarchy.ENDORSEMENT, t);
            tpm.flushContext(ak.handle());
            String alg = t == AkTemplate.RSA2048_RSASSA_SHA256 ? "rsa2048:rsassa-sha256:null" : "ecc256:ecdsa-sha256:null";
            Path ctx = dir.resolve("peer-" + t + ".ctx");
            swtpm.tpm2("tpm2_createprimary", "-C", "e", "-G", alg, "-a", AK_ATTRS, "-c", ctx.toString());
            String peerName = name(swtpm.tpm2("tpm2_readpublic", "-c", ctx.toString()));
            swtpm.tpm2("tpm2_flushcontext", "-t");
            assertThat(ak.publicArea().name().hex()).as(t.name()).isEqualTo(peerName);
        }
    }

    @Test
    void persistedAkMatchesTpm2ReadpublicAndQuotes() throws Exception {
        PrimaryKey ak = tpm.createPrimary(Hierarchy.ENDORSEMENT, AkTemplate.RSA2048_RSASSA_SHA256);
        tpm.evictControl(ak.handle(), PERSISTENT_AK);
        tpm.flushContext(ak.handle());
        try {
            Path peerPub = dir.resolve("peer-persisted.pub");
            Path peerPem = dir.resolve("peer-persisted.pem");
            String out = swtpm.tpm2("tpm2_readpublic", "-c", hex(PERSISTENT_AK), "-o", peerPub.toString());
            swtpm.tpm2("tpm2_readpublic", "-c", hex(PERSISTENT_AK), "-f", "pem", "-o", peerPem.toString());
            assertThat(ak.publicArea().name().hex()).isEqualTo(name(out));
            assertThat(ak.publicArea().tpm2bPublic()).isEqualTo(Bytes.wrap(Files.readAllBytes(peerPub)));
            assertThat(ak.publicArea().pem().trim()).isEqualTo(Files.readString(peerPem, StandardCharsets.US_ASCII).trim());

            TpmPublic read = tpm.readPublic(PERSISTENT_AK);
            assertThat(read.area()).isEqualTo(ak.publicArea().area());

            Path d = quoteArtifacts("persisted", new PrimaryKey(PERSISTENT_AK, read));
            assertThat(checkquote(d, "ak.pem", nonceHex(d))).isZero();
        } finally {
            tpm.evictPersistent(PERSISTENT_AK);
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> tpm.readPublic(PERSISTENT_AK))
                .isInstanceOfSatisfying(TpmException.class,
                        e -> assertThat(e.responseCode().baseCode()).isEqualTo(TpmResponseCode.HANDLE));
    }

    @Test
    void quoteFromTheTpmIsVerifiedAsItCameWithoutReMarshalling() throws Exception {
        for (AkTemplate t : AkTemplate.values()) {
            PrimaryKey ak = tpm.createPrimary(Hierarchy.ENDORSEMENT, t);
            try {
                Bytes nonce = Bytes.ofHex("00112233445566778899aabbccddeeff00112233");
                QuoteEvidence q = tpm.quote(ak.handle(), ak.publicArea().name(), nonce, SELECTION);
                Quote decoded = q.attested();
                // what the manifest stores is what the TPM returned and what was decoded
                assertThat(q.attest()).isEqualTo(decoded.attest());
                assertThat(q.akName()).isEqualTo(ak.publicArea().name());
                assertThat(q.signatureScheme().hash()).isEqualTo(HashAlgorithm.SHA256);

                AkPublicKey akPublic = AkPublicKey.fromTpm2bPublic(ak.publicArea().tpm2bPublic().toArray());
                assertThat(ak.publicArea().akPublicKey()).isEqualTo(akPublic); // the area as read, not parsed again
                QuoteVerifier verifier = new QuoteVerifier();
                VerifiedQuote v = verifier.verify(q, akPublic, nonce).verified().orElseThrow();
                // the verifier used the decoding that came with the quote: nothing was parsed again
                assertThat(v.quote()).as(t.name()).isSameAs(decoded);
                assertThat(v.signature()).isSameAs(q.signatureScheme());
                assertThat(v.nonceChecked()).isTrue();
                assertThat(verifier.checkPcrDigest(v, tpm.pcrRead(SELECTION).pcrs())).as(t.name()).isEmpty();
                assertThat(verifier.verify(q, akPublic, Bytes.ofHex("00")).failure())
                        .containsInstanceOf(QuoteFailure.NonceMismatch.class);
            } finally {
                tpm.flushContext(ak.handle());
            }
        }
    }

    /** Quotes with a fresh nonce and writes ak.pem, ak.pub, quote.msg, quote.sig, pcrs, nonce into a directory. */
    private static Path quoteArtifacts(String name, PrimaryKey ak) throws Exception {
        Path d = Files.createDirectories(dir.resolve(name));
        byte[] nonce = new byte[20];
        new Random(name.hashCode()).nextBytes(nonce);
        QuoteEvidence q = tpm.quote(ak.handle(), ak.publicArea().name(), Bytes.wrap(nonce), SELECTION);
        PcrRead values = tpm.pcrRead(SELECTION);
        Files.writeString(d.resolve("ak.pem"), ak.publicArea().pem(), StandardCharsets.US_ASCII);
        Files.write(d.resolve("ak.pub"), ak.publicArea().tpm2bPublic().toArray());
        Files.write(d.resolve("quote.msg"), q.attest().toArray());
        Files.write(d.resolve("quote.sig"), q.signature().toArray());
        Files.writeString(d.resolve("nonce"), HexFormat.of().formatHex(nonce));
        TpmPeers.writeSerializedPcrs(d.resolve("pcrs"), SELECTION, values.values());
        return d;
    }

    private static String nonceHex(Path d) throws Exception {
        return Files.readString(d.resolve("nonce"));
    }

    private static int checkquote(Path d, String key, String nonceHex) throws Exception {
        Swtpm.Result r = swtpm.run("tpm2_checkquote", "-u", d.resolve(key).toString(), "-m", d.resolve("quote.msg").toString(),
                "-s", d.resolve("quote.sig").toString(), "-f", d.resolve("pcrs").toString(), "-g", "sha256", "-q", nonceHex);
        return r.exitCode();
    }

    private static String name(String readpublicOutput) {
        Matcher m = NAME.matcher(readpublicOutput);
        assertThat(m.find()).as("name: line in %s", readpublicOutput).isTrue();
        return m.group(1);
    }

    private static String hex(int handle) {
        return String.format("0x%08x", handle);
    }
}

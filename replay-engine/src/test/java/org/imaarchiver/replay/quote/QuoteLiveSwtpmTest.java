package org.imaarchiver.replay.quote;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Map;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.testsupport.Swtpm;
import org.imaarchiver.replay.testsupport.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Quotes made by a fresh swtpm with tpm2-tools, one AK per signature scheme (kernel-interface.md T.4.2), are
 * checked by our verifier and by the peers: tpm2_checkquote, and openssl for RSAPSS because
 * tpm2_checkquote 5.4 rejects valid RSAPSS quotes (tpm2-tools issue #3283).
 */
class QuoteLiveSwtpmTest {
    private static final String NONCE = "5a17c0ffee0123456789abcdef00112233445566";
    private static final String WRONG_NONCE = "5a17c0ffee0123456789abcdef00112233445567";
    /** AK id -> createak key algorithm, signature scheme, hash. */
    private static final Map<String, String[]> AKS = Map.of(
            "rsassa", new String[] {"rsa", "rsassa", "sha256"},
            "rsapss", new String[] {"rsa", "rsapss", "sha256"},
            "ecc256", new String[] {"ecc256", "ecdsa", "sha256"},
            "ecc384", new String[] {"ecc384", "ecdsa", "sha384"});

    @TempDir
    static Path dir;
    private static Swtpm tpm;
    private static Digest pcr10Sha1;
    private static Digest pcr10Sha256;
    private final QuoteVerifier verifier = new QuoteVerifier();

    @BeforeAll
    static void quoteWithEveryAk() throws Exception {
        Tools.require("tpm2_quote", "tpm2-tools");
        tpm = Swtpm.start(dir.resolve("tpm"));
        tpm.tpm2("tpm2_createek", "-c", "ek.ctx", "-G", "rsa", "-u", "ek.pub");
        flush();
        for (var e : AKS.entrySet()) {
            String id = e.getKey();
            String[] a = e.getValue();
            tpm.tpm2("tpm2_createak", "-C", "ek.ctx", "-c", id + ".ctx", "-G", a[0], "-g", a[2], "-s", a[1],
                    "-u", id + ".pub", "-n", id + ".name", "-r", id + ".priv");
            flush();
            tpm.tpm2("tpm2_readpublic", "-c", id + ".ctx", "-f", "pem", "-o", id + ".pem");
            flush();
        }
        // PCR 10 starts at zero; extend it three times and follow along independently.
        pcr10Sha1 = HashAlgorithm.SHA1.zero();
        pcr10Sha256 = HashAlgorithm.SHA256.zero();
        for (String data : new String[] {"boot_aggregate", "/usr/bin/true", "/etc/hosts"}) {
            Digest d1 = hash("SHA-1", data.getBytes());
            Digest d256 = hash("SHA-256", data.getBytes());
            tpm.tpm2("tpm2_pcrextend", "10:sha1=" + d1.hex() + ",sha256=" + d256.hex());
            pcr10Sha1 = hash("SHA-1", concat(pcr10Sha1, d1));
            pcr10Sha256 = hash("SHA-256", concat(pcr10Sha256, d256));
        }
        for (var e : AKS.entrySet()) {
            String id = e.getKey();
            String[] a = e.getValue();
            // tpm2_quote cannot derive RSAPSS from the key (tpm2-tools issue #3283): name it.
            tpm.tpm2("tpm2_quote", "-c", id + ".ctx", "-l", "sha1:10+sha256:10", "-q", NONCE, "-g", a[2],
                    "--scheme", a[1], "-m", id + ".msg", "-s", id + ".sig", "-o", id + ".pcrs");
            flush();
        }
    }

    @AfterAll
    static void stop() {
        if (tpm != null) tpm.close();
    }

    private static void flush() throws Exception {
        tpm.run("tpm2_flushcontext", "-t");
    }

    private static byte[] read(String name) throws Exception {
        return Files.readAllBytes(tpm.stateDir().resolve(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"rsassa", "rsapss", "ecc256", "ecc384"})
    void ourVerifierAcceptsWhatTheTpmSigned(String id) throws Exception {
        AkPublicKey pem = AkPublicKey.load(read(id + ".pem"));
        AkPublicKey tss = AkPublicKey.load(read(id + ".pub"));
        assertThat(tss.publicKey()).isEqualTo(pem.publicKey());
        assertThat(tss.tpmName()).contains(Bytes.wrap(read(id + ".name")));

        for (AkPublicKey ak : new AkPublicKey[] {pem, tss}) {
            QuoteResult r = verifier.verifyFiles(read(id + ".msg"), read(id + ".sig"), ak, Bytes.ofHex(NONCE));
            assertThat(r.failure()).isEmpty();
            VerifiedQuote q = r.verified().orElseThrow();
            assertThat(q.signingHash().kernelName()).isEqualTo(AKS.get(id)[2]);
            assertThat(q.pcrSelection()).containsExactly(PcrSelection.of(HashAlgorithm.SHA1, 10), PcrSelection.of(HashAlgorithm.SHA256, 10));
            assertThat(verifier.checkPcrDigest(q, PcrValues.parseSerialized(read(id + ".pcrs")))).isEmpty();
            Map<PcrBank, Digest> independent = Map.of(PcrBank.of(10, HashAlgorithm.SHA1), pcr10Sha1,
                    PcrBank.of(10, HashAlgorithm.SHA256), pcr10Sha256);
            assertThat(verifier.checkPcrDigest(q, independent)).isEmpty();
            assertThat(q.matcher().matches(independent::get)).isTrue();
        }
        assertThat(peerAccepts(id, read(id + ".msg"), NONCE)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"rsassa", "rsapss", "ecc256", "ecc384"})
    void wrongNonceAndTamperedMessageAreRejectedByUsAndThePeer(String id) throws Exception {
        AkPublicKey ak = AkPublicKey.load(read(id + ".pub"));
        byte[] msg = read(id + ".msg");
        byte[] sig = read(id + ".sig");

        assertThat(verifier.verifyFiles(msg, sig, ak, Bytes.ofHex(WRONG_NONCE)).failure())
                .containsInstanceOf(QuoteFailure.NonceMismatch.class);
        if (!id.equals("rsapss")) assertThat(checkquote(id, id + ".msg", WRONG_NONCE)).isNotZero();

        byte[] tampered = TestAttest.flipBit(msg, msg.length - 1, 0); // last byte of pcrDigest
        assertThat(verifier.verifyFiles(tampered, sig, ak, Bytes.ofHex(NONCE)).failure())
                .containsInstanceOf(QuoteFailure.BadSignature.class);
        assertThat(peerAccepts(id, tampered, NONCE)).isFalse();

        // another AK of the same TPM did not sign it
        String other = id.startsWith("rsa") ? (id.equals("rsassa") ? "rsapss" : "rsassa") : (id.equals("ecc256") ? "ecc384" : "ecc256");
        AkPublicKey otherAk = AkPublicKey.load(read(other + ".pub"));
        assertThat(verifier.verifyFiles(msg, sig, otherAk, Bytes.ofHex(NONCE)).failure())
                .containsInstanceOf(QuoteFailure.BadSignature.class);
    }

    /** tpm2_checkquote for RSASSA and ECDSA; openssl with the TPM's PSS salt (hash length) for RSAPSS. */
    private static boolean peerAccepts(String id, byte[] msg, String nonce) throws Exception {
        Path m = tpm.stateDir().resolve(id + ".peer.msg");
        Files.write(m, msg);
        if (!id.equals("rsapss")) return checkquote(id, m.getFileName().toString(), nonce) == 0;
        Tools.require("openssl", "openssl");
        byte[] sig = read(id + ".sig");
        Path raw = tpm.stateDir().resolve(id + ".raw");
        Files.write(raw, Arrays.copyOfRange(sig, 6, sig.length)); // after sigAlg, hash, size
        Swtpm.Result r = tpm.run("openssl", "dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss",
                "-sigopt", "rsa_pss_saltlen:32", "-verify", id + ".pem", "-signature", raw.toString(), m.toString());
        return r.exitCode() == 0;
    }

    private static int checkquote(String id, String msgFile, String nonce) throws Exception {
        return tpm.run("tpm2_checkquote", "-u", id + ".pub", "-m", msgFile, "-s", id + ".sig", "-f", id + ".pcrs",
                "-g", AKS.get(id)[2], "-q", nonce).exitCode();
    }

    private static Digest hash(String alg, byte[] data) throws Exception {
        return Digest.wrap(MessageDigest.getInstance(alg).digest(data));
    }

    private static byte[] concat(Digest a, Digest b) {
        byte[] out = new byte[a.length() + b.length()];
        a.copyTo(out, 0);
        b.copyTo(out, a.length());
        return out;
    }
}

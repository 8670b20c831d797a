package org.imaarchiver.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.synth.LogGenerator;
import org.imaarchiver.replay.testsupport.Swtpm;
import org.imaarchiver.replay.testsupport.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A generated list extended into a fresh swtpm, quotes taken after record k and at the end: our
 * check-quote finds the quote points, and agrees with tpm2_checkquote on good and bad quotes.
 */
class SwtpmQuoteTest {
    private static final int K = 1234;
    private static final int N = 2500;
    private static final String SELECTION = "sha1:10,11,12+sha256:10,11,12";
    @TempDir Path dir;

    @Test
    void quotePointsAndVerdictsAgreeWithTpm2Checkquote() throws Exception {
        Tools.require("tpm2_quote", "tpm2-tools");
        Tools.require("tpm2_checkquote", "tpm2-tools");
        try (Swtpm tpm = Swtpm.start(dir.resolve("tpm"))) {
            createAk(tpm, "ak");
            createAk(tpm, "other");
            Path log = dir.resolve("binary_runtime_measurements");
            LogGenerator gen = LogGenerator.newList(LogGenerator.Options.defaults(31).withViolationRate(0.01)
                    .withOtherPcrRate(0.1).withSignatureRate(0.5));
            List<String> specs = new ArrayList<>();
            LogGenerator.RecordSink sink = r -> {
                StringBuilder s = new StringBuilder().append(r.pcr()).append(":sha1=")
                        .append(r.extendValues().get(HashAlgorithm.SHA1).hex()).append(",sha256=")
                        .append(r.extendValues().get(HashAlgorithm.SHA256).hex());
                specs.add(s.toString());
                if (specs.size() == 1000) flush(tpm, specs);
            };
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(log))) {
                gen.write(out, K, sink);
                flush(tpm, specs);
                quote(tpm, "k", nonce(K));
                gen.write(out, N - K, sink);
                flush(tpm, specs);
                quote(tpm, "n", nonce(N));
            }
            Path d = tpm.stateDir();
            // good quotes: quote points k and N
            for (Object[] c : new Object[][] {{"k", K}, {"n", N}}) {
                String name = (String) c[0];
                int point = (Integer) c[1];
                assertThat(peer(tpm, "ak.pem", name, nonce(point))).isZero();
                Cli.Result r = ours(log, d, "ak.pem", name, nonce(point));
                assertThat(r.code()).as(r.toString()).isZero();
                assertThat(r.json().get("verified")).isEqualTo(true);
                assertThat(r.json().get("quotePoint")).isEqualTo((long) point);
                // the AK as TPM2B_PUBLIC as well
                assertThat(ours(log, d, "ak.pub", name, nonce(point)).json().get("quotePoint")).isEqualTo((long) point);
            }
            // wrong nonce
            assertThat(peer(tpm, "ak.pem", "k", nonce(N))).isNotZero();
            assertThat(ours(log, d, "ak.pem", "k", nonce(N)).code()).isEqualTo(1);
            // wrong AK
            assertThat(peer(tpm, "other.pem", "k", nonce(K))).isNotZero();
            assertThat(ours(log, d, "other.pem", "k", nonce(K)).code()).isEqualTo(1);
            // tampered message: one bit of the pcrDigest (the last byte of TPMS_ATTEST)
            byte[] msg = Files.readAllBytes(d.resolve("quote-k.msg"));
            msg[msg.length - 1] ^= 1;
            Files.write(d.resolve("quote-t.msg"), msg);
            Files.copy(d.resolve("quote-k.sig"), d.resolve("quote-t.sig"));
            Files.copy(d.resolve("quote-k.pcrs"), d.resolve("quote-t.pcrs"));
            assertThat(peer(tpm, "ak.pem", "t", nonce(K))).isNotZero();
            Cli.Result tampered = ours(log, d, "ak.pem", "t", nonce(K));
            assertThat(tampered.code()).as(tampered.toString()).isEqualTo(1);
            assertThat(tampered.json().get("verified")).isEqualTo(false);
        }
    }

    private static void createAk(Swtpm tpm, String name) throws Exception {
        tpm.tpm2("tpm2_createek", "-c", name + "-ek.ctx", "-G", "rsa", "-u", name + "-ek.pub");
        tpm.tpm2("tpm2_flushcontext", "-t");
        tpm.tpm2("tpm2_createak", "-C", name + "-ek.ctx", "-c", name + ".ctx", "-G", "rsa", "-g", "sha256", "-s", "rsassa",
                "-u", name + ".pub", "-n", name + ".name", "-r", name + ".priv");
        tpm.tpm2("tpm2_flushcontext", "-t");
        tpm.tpm2("tpm2_readpublic", "-c", name + ".ctx", "-f", "pem", "-o", name + ".pem");
        tpm.tpm2("tpm2_flushcontext", "-t");
    }

    private static void flush(Swtpm tpm, List<String> specs) throws java.io.IOException {
        if (specs.isEmpty()) return;
        List<String> cmd = new ArrayList<>();
        cmd.add("tpm2_pcrextend");
        cmd.addAll(specs);
        try {
            tpm.tpm2(cmd.toArray(String[]::new));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.IOException(e);
        }
        specs.clear();
    }

    private static void quote(Swtpm tpm, String name, String nonce) throws Exception {
        tpm.tpm2("tpm2_quote", "-c", "ak.ctx", "-l", SELECTION, "-q", nonce, "-g", "sha256",
                "-m", "quote-" + name + ".msg", "-s", "quote-" + name + ".sig", "-o", "quote-" + name + ".pcrs");
        tpm.tpm2("tpm2_flushcontext", "-t");
    }

    private static int peer(Swtpm tpm, String ak, String name, String nonce) throws Exception {
        return tpm.run("tpm2_checkquote", "-u", ak, "-m", "quote-" + name + ".msg", "-s", "quote-" + name + ".sig",
                "-f", "quote-" + name + ".pcrs", "-g", "sha256", "-q", nonce).exitCode();
    }

    private static Cli.Result ours(Path log, Path d, String ak, String name, String nonce) {
        return Cli.run("check-quote", "--json", "--log", log.toString(), "--quote", d.resolve("quote-" + name + ".msg").toString(),
                "--signature", d.resolve("quote-" + name + ".sig").toString(), "--ak", d.resolve(ak).toString(),
                "--nonce", nonce);
    }

    private static String nonce(int n) {
        return HexFormat.of().formatHex(java.nio.ByteBuffer.allocate(20).putLong(12, n).array());
    }
}

package org.imaarchiver.jobs.nightly;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.imaarchiver.archive.admission.EnrolmentRequest;
import org.imaarchiver.cli.Main;
import org.imaarchiver.cli.demo.SwtpmProcess;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.testsupport.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code enroll} and {@code enroll --activate} end to end over a swtpm with EK certificates from
 * swtpm_setup/swtpm_localca; tpm2-tools play the verifier ({@code tpm2_makecredential}) and say what
 * the EK public areas and certificates are ({@code tpm2_readpublic}, {@code tpm2_nvread}).
 */
class EnrollActivateTest {
    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final String NOT_FOR_THIS_TPM = "the challenge was not made for this TPM's EK and AK";

    @TempDir
    static Path dir;
    static SwtpmProcess swtpm;

    @BeforeAll
    static void start() throws Exception {
        Tools.require("swtpm_setup", "swtpm-tools");
        Tools.require("tpm2_makecredential", "tpm2-tools");
        swtpm = SwtpmProcess.startWithEkCertificates(dir.resolve("tpm"));
    }

    @AfterAll
    static void stop() {
        if (swtpm != null) swtpm.close();
    }

    record Run(int code, String out, String err) {}

    private static Run run(SwtpmProcess tpm, String... args) {
        List<String> a = new ArrayList<>(List.of(args));
        a.add("--ima-archiver.tpm=" + tpm.tcti());
        a.add("--ima-archiver.host-id=web-01");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(a.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static EnrolmentRequest enroll(String label, String... extra) throws Exception {
        Path out = dir.resolve(label);
        List<String> args = new ArrayList<>(List.of("enroll", "--out", out.toString()));
        args.addAll(List.of(extra));
        Run r = run(swtpm, args.toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isZero();
        return EnrolmentRequest.parse(Files.readString(out.resolve("enroll-request.json")));
    }

    /** A TPM2B file's contents (tpm2-tools write TPM2B_PUBLIC with its size). */
    private static Bytes withoutSize(Path tpm2b) throws Exception {
        byte[] b = Files.readAllBytes(tpm2b);
        assertThat(((b[0] & 0xFF) << 8) | (b[1] & 0xFF)).isEqualTo(b.length - 2);
        return Bytes.wrap(Arrays.copyOfRange(b, 2, b.length));
    }

    private static Bytes peerPublic(String handle) throws Exception {
        Path p = dir.resolve("peer-" + handle + ".pub");
        swtpm.tpm2("tpm2_readpublic", "-c", handle, "-o", p.toString());
        return withoutSize(p);
    }

    private static Bytes peerNv(String index) throws Exception {
        Path p = dir.resolve("peer-" + index + ".der");
        swtpm.tpm2("tpm2_nvread", "-C", "o", "-o", p.toString(), index);
        return Bytes.wrap(Files.readAllBytes(p));
    }

    @Test
    void requestCarriesTheCertifiedEkItsCertificateTheAkAndTheHost() throws Exception {
        EnrolmentRequest byDefault = enroll("default");
        EnrolmentRequest rsa = enroll("rsa", "--ek", "rsa");
        EnrolmentRequest ecc = enroll("ecc", "--ek", "ECC");

        assertThat(rsa.host()).isEqualTo("web-01");
        assertThat(rsa.ekPublic()).isEqualTo(peerPublic("0x81010001")); // the RSA EK swtpm_setup certified
        assertThat(rsa.ekCertificates()).containsExactly(peerNv("0x01c00002"));
        assertThat(byDefault).isEqualTo(rsa); // both EKs are certified: RSA first

        assertThat(ecc.ekPublic()).isEqualTo(peerPublic("0x81010016")); // the P-384 EK swtpm_setup certified
        assertThat(ecc.ekCertificates()).containsExactly(peerNv("0x01c00016"));

        // the AK: the files enroll wrote, and its name is SHA-256 over its public area (computed here)
        Path out = dir.resolve("rsa");
        assertThat(rsa.akPublic()).isEqualTo(withoutSize(out.resolve("ak.pub")));
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(rsa.akPublic().toArray());
        assertThat(rsa.akName().hex()).isEqualTo("000b" + Bytes.wrap(digest).hex());
        assertThat(Files.readString(out.resolve("ak.name")).trim()).isEqualTo(rsa.akName().hex());
        assertThat(ecc.akPublic()).isEqualTo(rsa.akPublic());
        assertThat(Files.readAllBytes(out.resolve("ek-ecc.der"))).isEqualTo(peerNv("0x01c00016").toArray());
    }

    @Test
    void answersTpm2MakecredentialsChallengeWithTheSecretForRsaAndEccEks() throws Exception {
        for (String ek : List.of("rsa", "ecc")) {
            EnrolmentRequest request = enroll("answer-" + ek, "--ek", ek);
            Path challenge = makecredential("answer-" + ek, request.ekPublic(), request.akName());
            Run r = run(swtpm, "enroll", "--activate", challenge.toString(), "--ek", ek);
            assertThat(r.code()).as(r.err()).isZero();
            Path answer = challenge.resolveSibling("enroll-answer.bin");
            assertThat(r.out().trim()).isEqualTo(answer.toString());
            assertThat(Files.readAllBytes(answer)).as(ek).isEqualTo(SECRET);

            Path named = dir.resolve("named-" + ek + ".bin");
            Run r2 = run(swtpm, "enroll", "--activate", challenge.toString(), "--ek", ek, "--answer-out", named.toString());
            assertThat(r2.code()).as(r2.err()).isZero();
            assertThat(Files.readAllBytes(named)).isEqualTo(SECRET);
            // the EK, the transient AK and the policy session are gone (swtpm has no resource manager)
            for (String capability : List.of("handles-transient", "handles-loaded-session")) {
                assertThat(swtpm.tpm2("tpm2_getcap", capability)).as(capability).doesNotContain("- 0x");
            }
        }
        // the same RSA challenge with the ECC EK is not this EK's
        Path rsaChallenge = dir.resolve("challenges/answer-rsa/challenge");
        Run wrongEk = run(swtpm, "enroll", "--activate", rsaChallenge.toString(), "--ek", "ecc",
                "--answer-out", dir.resolve("unused.bin").toString());
        assertThat(wrongEk.code()).as(wrongEk.err()).isEqualTo(1);
        assertThat(wrongEk.err().strip()).contains(NOT_FOR_THIS_TPM).doesNotContain("\n");
        assertThat(Files.exists(dir.resolve("unused.bin"))).isFalse();
    }

    @Test
    void aChallengeForAnotherAkIsRefusedWithExit1() throws Exception {
        EnrolmentRequest request = enroll("other-ak");
        byte[] otherName = request.akName().toArray();
        otherName[5] ^= 1;
        Path challenge = makecredential("other-ak", request.ekPublic(), Bytes.wrap(otherName));
        Run r = run(swtpm, "enroll", "--activate", challenge.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("ima-archiver enroll: " + challenge + ": " + NOT_FOR_THIS_TPM + " (TPM_RC_INTEGRITY)");
        assertThat(Files.exists(challenge.resolveSibling("enroll-answer.bin"))).isFalse();
    }

    @Test
    void aChallengeForAnotherTpmsEkIsRefusedWithExit1() throws Exception {
        EnrolmentRequest request = enroll("other-ek");
        Bytes otherEk;
        try (SwtpmProcess other = SwtpmProcess.startWithEkCertificates(dir.resolve("other-tpm"))) {
            Path p = dir.resolve("other-ek.pub");
            other.tpm2("tpm2_readpublic", "-c", "0x81010001", "-o", p.toString());
            otherEk = withoutSize(p);
        }
        assertThat(otherEk).isNotEqualTo(request.ekPublic());
        Path challenge = makecredential("other-ek", otherEk, request.akName());
        Run r = run(swtpm, "enroll", "--activate", challenge.toString());
        assertThat(r.code()).as(r.err()).isEqualTo(1);
        assertThat(r.err().strip()).contains(NOT_FOR_THIS_TPM).doesNotContain("\n");
    }

    @Test
    void malformedChallengesAreExit2AndNoTpmIsExit3() throws Exception {
        EnrolmentRequest request = enroll("malformed");
        byte[] good = Files.readAllBytes(makecredential("malformed", request.ekPublic(), request.akName()));
        byte[] badMagic = good.clone();
        badMagic[0] = 0;
        byte[] innerGarbage = good.clone();
        innerGarbage[8 + 2] = (byte) 0xFF; // the credential blob's integrity HMAC claims 0xFF.. bytes
        for (byte[] bad : List.of(badMagic, Arrays.copyOf(good, good.length - 1), Arrays.copyOf(good, good.length + 1),
                innerGarbage, new byte[0])) {
            Path p = Files.write(dir.resolve("bad.challenge"), bad);
            Run r = run(swtpm, "enroll", "--activate", p.toString());
            assertThat(r.code()).as(r.err()).isEqualTo(2);
            assertThat(r.err().strip()).startsWith("ima-archiver enroll: --activate " + p).doesNotContain("\n");
        }
        Path good1 = Files.write(dir.resolve("good.challenge"), good);
        Run noTpm = run(swtpm, "enroll", "--activate", good1.toString(), "--ima-archiver.tpm=device:" + dir.resolve("no-tpm"));
        assertThat(noTpm.code()).as(noTpm.err()).isEqualTo(3);
        assertThat(noTpm.err().strip()).startsWith("ima-archiver enroll: no TPM").doesNotContain("\n");
        Run usage = run(swtpm, "enroll");
        assertThat(usage.code()).isEqualTo(2);
    }

    /** {@code tpm2_makecredential -T none}: the verifier's side, offline. */
    private static Path makecredential(String label, Bytes ekPublic, Bytes akName) throws Exception {
        byte[] area = ekPublic.toArray();
        byte[] tpm2b = new byte[area.length + 2];
        tpm2b[0] = (byte) (area.length >>> 8);
        tpm2b[1] = (byte) area.length;
        System.arraycopy(area, 0, tpm2b, 2, area.length);
        Path ek = Files.write(dir.resolve(label + ".ek.pub"), tpm2b);
        Path secret = Files.write(dir.resolve(label + ".secret"), SECRET);
        Path out = Files.createDirectories(dir.resolve("challenges/" + label)).resolve("challenge");
        swtpm.tpm2("tpm2_makecredential", "-T", "none", "-u", ek.toString(), "-s", secret.toString(),
                "-n", akName.hex(), "-o", out.toString());
        return out;
    }
}

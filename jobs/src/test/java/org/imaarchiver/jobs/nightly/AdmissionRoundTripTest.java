package org.imaarchiver.jobs.nightly;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.imaarchiver.cli.Main;
import org.imaarchiver.cli.demo.SwtpmProcess;
import org.imaarchiver.replay.testsupport.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole enrolment by credential activation with our code on both sides, over a swtpm whose EKs
 * swtpm_setup certified with its local CA: {@code enroll} (request) → {@code admit} (challenge made in
 * Java) → {@code enroll --activate} (TPM2_ActivateCredential) → {@code admit --answer}. The peer-tool
 * halves are EnrollActivateTest (tpm2_makecredential as the verifier) and AdmissionSwtpmTest
 * (tpm2-tools as the host); here the two halves of ours must fit.
 */
class AdmissionRoundTripTest {
    @TempDir
    static Path dir;
    static SwtpmProcess swtpm;

    @BeforeAll
    static void start() throws Exception {
        Tools.require("swtpm_setup", "swtpm-tools");
        swtpm = SwtpmProcess.startWithEkCertificates(dir.resolve("tpm"));
        assertThat(run("keygen", "--out", dir.resolve("admission-key").toString()).code()).isZero();
    }

    @AfterAll
    static void stop() {
        if (swtpm != null) swtpm.close();
    }

    record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Run host(String... args) {
        List<String> a = new ArrayList<>(List.of(args));
        a.add("--ima-archiver.tpm=" + swtpm.tcti());
        a.add("--ima-archiver.host-id=web-01");
        return run(a.toArray(String[]::new));
    }

    @ParameterizedTest
    @ValueSource(strings = {"rsa", "ecc"})
    void ourChallengeIsAnsweredByOurHostSideAndAdmitsTheAk(String ek) throws Exception {
        Path work = Files.createDirectories(dir.resolve(ek));
        Path trust = work.resolve("trust");
        Path enrolled = work.resolve("enroll");
        Run enroll = host("enroll", "--out", enrolled.toString(), "--ek", ek);
        assertThat(enroll.code()).as(enroll.err()).isZero();

        Path challenge = work.resolve("web-01.challenge");
        Run issued = run("admit", enrolled.resolve("enroll-request.json").toString(), "--ek-ca",
                swtpm.ekCaDirectory().orElseThrow().toString(), "--trust", trust.toString(), "--challenge-out", challenge.toString());
        assertThat(issued.code()).as(issued.err()).isZero();

        Path answer = work.resolve("web-01.answer");
        Run activated = host("enroll", "--activate", challenge.toString(), "--ek", ek, "--answer-out", answer.toString());
        assertThat(activated.code()).as(activated.err()).isZero();

        Path key = dir.resolve("admission-key/signing-key.pem");
        Path cert = dir.resolve("admission-key/signing-cert.pem");
        Run admitted = run("admit", "--answer", answer.toString(), "--host", "web-01", "--trust", trust.toString(),
                "--key", key.toString(), "--cert", cert.toString());
        assertThat(admitted.code()).as(admitted.err()).isZero();
        Path hostDir = trust.resolve("hosts/web-01");
        assertThat(hostDir.resolve("ak.pem")).hasSameTextualContentAs(enrolled.resolve("ak.pem"));
        assertThat(hostDir.resolve("ak.admission.json")).exists();
        assertThat(hostDir.resolve("admission-pending.json")).doesNotExist();

        // the same answer again: the challenge is spent
        Run replayed = run("admit", "--answer", answer.toString(), "--host", "web-01", "--trust", trust.toString(),
                "--key", key.toString(), "--cert", cert.toString());
        assertThat(replayed.code()).as(replayed.err()).isEqualTo(1);
    }
}

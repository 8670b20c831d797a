package org.imaarchiver.archive.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.imaarchiver.archive.admission.Admission.EkCertificatePolicy;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.sign.SegmentSigner;
import org.imaarchiver.archive.sign.TrustedKeys;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.testsupport.Swtpm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Admission against a real TPM: swtpm manufactured with EK certificates by its own local CA, the
 * host side played by tpm2-tools. Whether our challenge is right is decided by the TPM: it releases
 * the secret only for a credential made exactly as TPM2_MakeCredential makes it, to its EK, for the
 * name of a key loaded in it.
 */
class AdmissionSwtpmTest {
    @TempDir
    static Path dir;
    static ToolsHost host;
    static ToolsHost.Ak ak;
    static Bytes rsaEk;
    static Bytes eccEk;
    static Bytes rsaCert;
    static Bytes eccCert;
    static EkCertificateCheck swtpmCa;
    /** Admission time: an hour into the EK certificate's validity (swtpm_localca makes it valid from its creation). */
    static Instant at;

    @BeforeAll
    static void manufacture() throws Exception {
        host = ToolsHost.manufacture(dir.resolve("tpm1"));
        rsaEk = host.readPublic(ToolsHost.RSA_EK);
        eccEk = host.readPublic(ToolsHost.ECC_EK);
        rsaCert = host.nvRead(ToolsHost.RSA_EK_CERT);
        eccCert = host.nvRead(ToolsHost.ECC_EK_CERT);
        ak = host.createAk(ToolsHost.RSA_EK, "ak", false);
        List<X509Certificate> cas = new ArrayList<>();
        for (Path p : host.caCertificates()) cas.add(x509(Files.readAllBytes(p)));
        swtpmCa = EkCertificateCheck.trusting(cas);
        at = x509(rsaCert.toArray()).getNotBefore().toInstant().plus(Duration.ofHours(1));
    }

    @AfterAll
    static void stop() {
        if (host != null) host.close();
    }

    @Test
    void admitsAnRsaEkTpmWhoseAnswerTheTpmReleased() throws Exception {
        EnrolmentRequest request = new EnrolmentRequest("web-01", rsaEk, List.of(rsaCert), ak.tpmtPublic(), ak.name());
        Admission.Issued issued = challenge(request, EkCertificatePolicy.REQUIRED);
        Bytes answer = activate(host, ak, ToolsHost.RSA_EK, true, issued, "rsa");

        X509Certificate cert = x509(rsaCert.toArray());
        EkEndorsement.Certified e = (EkEndorsement.Certified) issued.pending().endorsement();
        assertThat(e.serial()).isEqualTo(cert.getSerialNumber().toString(16));
        assertThat(e.issuer()).isEqualTo(cert.getIssuerX500Principal().getName());
        assertThat(e.manufacturer()).isEqualTo("id:00001014"); // what swtpm_setup passes to swtpm_localca
        assertThat(e.model()).isEqualTo("swtpm");
        assertThat(issued.pending().toJson()).doesNotContain(answer.hex());

        Path trust = dir.resolve("trust-rsa");
        AdmissionFiles.writePending(trust, issued.pending());
        PendingAdmission pending = AdmissionFiles.readPending(trust, "web-01").orElseThrow();
        assertThat(pending).isEqualTo(issued.pending());
        KeyMaterial admitter = admissionKey();
        AdmissionRecord record = Admission.answer(pending, answer, at.plusSeconds(60), Admission.sha256(admitter.certificate().getPublicKey().getEncoded()));
        assertThat(record.akName()).isEqualTo(ak.name());
        assertThat(record.akAttributes()).contains("fixedtpm", "fixedparent", "sensitivedataorigin", "restricted", "sign").doesNotContain("decrypt");
        assertThat(record.checks()).contains("credential-activation", "ek-certificate-chain");

        assertThat(AdmissionFiles.claimPending(trust, "web-01")).isTrue();
        Path akFile = AdmissionFiles.writeAdmitted(trust, record, new SegmentSigner(admitter, Optional.empty()));
        assertThat(akFile.getFileName().toString()).isEqualTo("ak.pem");
        HostAdmission admitted = HostAdmission.read(trust.resolve("hosts/web-01"), "web-01", TrustedKeys.ofCertificates(List.of(admitter.certificate())));
        assertThat(admitted.status()).isEqualTo(HostAdmission.Status.PROVEN_BY_ACTIVATION);
        assertThat(((HostAdmission.Proven) admitted.aks().get(0)).record()).isEqualTo(record);

        // the same answer again: the pending challenge is gone
        assertThat(AdmissionFiles.readPending(trust, "web-01")).isEmpty();
        assertThat(AdmissionFiles.claimPending(trust, "web-01")).isFalse();
        // and a late answer is refused
        assertThat(refusal(() -> Admission.answer(pending, answer, pending.expiresAt().plusSeconds(1), Bytes.ofHex("00"))))
                .isInstanceOf(AdmissionRefusal.ChallengeExpired.class);
    }

    @Test
    void theTpmActivatesOurChallengeForItsEccP384Ek() throws Exception {
        EnrolmentRequest request = new EnrolmentRequest("web-02", eccEk, List.of(eccCert), ak.tpmtPublic(), ak.name());
        Admission.Issued issued = challenge(request, EkCertificatePolicy.REQUIRED);
        // swtpm's P-384 EK has userWithAuth: its empty password authorizes it
        Bytes answer = activate(host, ak, ToolsHost.ECC_EK, false, issued, "ecc384");
        assertThat(Admission.answer(issued.pending(), answer, at, Bytes.ofHex("00")).ekName())
                .isEqualTo(TpmPublicArea.parse(eccEk).name());
    }

    @Test
    void admitsAnEccP256EkWithoutCertificateOnlyUnderThePolicy() throws Exception {
        Path pub = dir.resolve("ek-p256.pub");
        host.tpm.tpm2("tpm2_createek", "-c", "0x81010002", "-G", "ecc", "-u", pub.toString(), "-f", "tss");
        host.flush();
        Bytes ek = ToolsHost.tpmtOf(pub);
        EnrolmentRequest request = new EnrolmentRequest("web-03", ek, List.of(), ak.tpmtPublic(), ak.name());
        assertThat(refusal(() -> challenge(request, EkCertificatePolicy.REQUIRED))).isEqualTo(new AdmissionRefusal.NoEkCertificate("web-03"));

        Admission.Issued issued = challenge(request, EkCertificatePolicy.OPTIONAL);
        assertThat(issued.pending().endorsement()).isEqualTo(new EkEndorsement.Uncertified());
        Bytes answer = activate(host, ak, "0x81010002", true, issued, "ecc256");
        AdmissionRecord record = Admission.answer(issued.pending(), answer, at, Bytes.ofHex("00"));
        assertThat(record.checks()).contains("credential-activation").noneMatch(c -> c.startsWith("ek-certificate"));
    }

    @Test
    void ourChallengeHasTheLayoutOfTpm2MakeCredentialAndTheTpmTakesBoth() throws Exception {
        Bytes secret = Bytes.ofHex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
        Path ekPub = dir.resolve("rsa-ek.pub");
        host.tpm.tpm2("tpm2_readpublic", "-c", ToolsHost.RSA_EK, "-o", ekPub.toString(), "-f", "tss");
        Path secretFile = dir.resolve("known-secret.bin");
        Files.write(secretFile, secret.toArray());
        Path theirs = dir.resolve("tpm2-makecredential.out");
        host.tpm.tpm2("tpm2_makecredential", "-T", "none", "-u", ekPub.toString(), "-s", secretFile.toString(), "-n", ak.name().hex(),
                "-o", theirs.toString());
        byte[] t = Files.readAllBytes(theirs);
        byte[] ours = MakeCredential.make(TpmPublicArea.parse(rsaEk), ak.name(), secret, new SecureRandom()).toBytes();
        assertThat(ours).hasSameSizeAs(t);
        assertThat(Arrays.copyOfRange(ours, 0, 10)).isEqualTo(Arrays.copyOfRange(t, 0, 10)); // magic, version, TPM2B_ID_OBJECT size
        int secretSizeAt = 10 + ((t[8] & 0xff) << 8 | (t[9] & 0xff));
        assertThat(Arrays.copyOfRange(ours, secretSizeAt, secretSizeAt + 2)).isEqualTo(Arrays.copyOfRange(t, secretSizeAt, secretSizeAt + 2));
        for (Path challenge : List.of(theirs, Files.write(dir.resolve("ours-known.cred"), ours))) {
            Path out = dir.resolve(challenge.getFileName() + ".answer");
            assertThat(host.activate(ak, ToolsHost.RSA_EK, true, challenge, out).exitCode()).isZero();
            assertThat(Bytes.wrap(Files.readAllBytes(out))).isEqualTo(secret);
        }
    }

    @Test
    void refusesASoftwareKeyImportedIntoTheTpm() throws Exception {
        Path key = dir.resolve("software-key.pem");
        Files.writeString(key, pkcs8Pem());
        host.tpm.tpm2("tpm2_createprimary", "-C", "o", "-c", dir.resolve("owner-primary.ctx").toString());
        host.flush();
        Path pub = dir.resolve("imported.pub");
        host.tpm.tpm2("tpm2_import", "-C", dir.resolve("owner-primary.ctx").toString(), "-G", "rsa", "-i", key.toString(),
                "-u", pub.toString(), "-r", dir.resolve("imported.priv").toString());
        host.flush();
        Bytes tpmt = ToolsHost.tpmtOf(pub);
        EnrolmentRequest request = new EnrolmentRequest("web-04", rsaEk, List.of(rsaCert), tpmt, TpmPublicArea.parse(tpmt).name());
        AdmissionRefusal.AkAttributes r = (AdmissionRefusal.AkAttributes) refusal(() -> challenge(request, EkCertificatePolicy.REQUIRED));
        assertThat(r.missing()).contains("fixedtpm", "fixedparent", "sensitivedataorigin", "restricted");
        assertThat(r.forbidden()).containsExactly("decrypt");
    }

    @Test
    void aSoftwareKeyClaimingTheAttributesGetsAChallengeNoTpmAnswers() throws Exception {
        // The real AK's public area with a software key's modulus: every attribute claimed, the name consistent.
        byte[] tpmt = ak.tpmtPublic().toArray();
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        byte[] modulus = unsigned(((RSAPublicKey) g.generateKeyPair().getPublic()).getModulus().toByteArray());
        System.arraycopy(modulus, 0, tpmt, tpmt.length - 256, 256);
        Bytes fake = Bytes.wrap(tpmt);
        EnrolmentRequest request = new EnrolmentRequest("web-05", rsaEk, List.of(rsaCert), fake, TpmPublicArea.parse(fake).name());
        Admission.Issued issued = challenge(request, EkCertificatePolicy.REQUIRED);

        // the host can load the public part, but the TPM activates only for a key it holds the private part of
        Path pub = dir.resolve("claimed.pub");
        byte[] tpm2b = new byte[tpmt.length + 2];
        tpm2b[0] = (byte) (tpmt.length >> 8);
        tpm2b[1] = (byte) tpmt.length;
        System.arraycopy(tpmt, 0, tpm2b, 2, tpmt.length);
        Files.write(pub, tpm2b);
        Path ctx = dir.resolve("claimed.ctx");
        host.tpm.tpm2("tpm2_loadexternal", "-C", "o", "-u", pub.toString(), "-c", ctx.toString());
        Path challenge = Files.write(dir.resolve("claimed.challenge"), issued.challengeFile().toArray());
        Swtpm.Result r = host.activate(new ToolsHost.Ak(ctx, fake, request.akName()), ToolsHost.RSA_EK, true, challenge, dir.resolve("claimed.answer"));
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.stderr()).contains("authValue or authPolicy is not available");
        assertThat(refusal(() -> Admission.answer(issued.pending(), Bytes.wrap(new byte[32]), at, Bytes.ofHex("00"))))
                .isEqualTo(new AdmissionRefusal.AnswerMismatch("web-05"));
    }

    @Test
    void refusesAnAkWithoutRestrictedOrFixedTpm() throws Exception {
        Path primary = dir.resolve("owner-primary-2.ctx");
        host.tpm.tpm2("tpm2_createprimary", "-C", "o", "-c", primary.toString());
        host.flush();
        Path unrestricted = dir.resolve("unrestricted.pub");
        host.tpm.tpm2("tpm2_create", "-C", primary.toString(), "-G", "rsa", "-a", "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign",
                "-u", unrestricted.toString(), "-r", dir.resolve("unrestricted.priv").toString());
        host.flush();
        // fixedParent must follow the parent's fixedTPM, so a key that is not fixedTPM is duplicable too
        Path movable = dir.resolve("movable.pub");
        host.tpm.tpm2("tpm2_create", "-C", primary.toString(), "-G", "rsa:rsassa-sha256:null", "-a", "sensitivedataorigin|userwithauth|sign|restricted",
                "-u", movable.toString(), "-r", dir.resolve("movable.priv").toString());
        host.flush();
        for (Path p : List.of(unrestricted, movable)) {
            Bytes tpmt = ToolsHost.tpmtOf(p);
            EnrolmentRequest request = new EnrolmentRequest("web-06", rsaEk, List.of(rsaCert), tpmt, TpmPublicArea.parse(tpmt).name());
            AdmissionRefusal.AkAttributes r = (AdmissionRefusal.AkAttributes) refusal(() -> challenge(request, EkCertificatePolicy.REQUIRED));
            assertThat(r.missing()).containsExactly(p == unrestricted ? new String[] {"restricted"} : new String[] {"fixedtpm", "fixedparent"});
        }
    }

    @Test
    void refusesEkCertificatesOfAnUnknownCaOutsideTheirValidityOrForAnotherKey() throws Exception {
        EnrolmentRequest request = new EnrolmentRequest("web-07", rsaEk, List.of(rsaCert), ak.tpmtPublic(), ak.name());
        KeyMaterial otherCa = KeyMaterial.generate(KeyMaterial.KeyType.P256, "another TPM vendor", at.minus(Duration.ofDays(1)), at.plus(Duration.ofDays(365)));
        EkCertificateCheck other = EkCertificateCheck.trusting(List.of(otherCa.certificate()));
        assertThat(refusal(() -> Admission.challenge(request, Bytes.ofHex("00"), Optional.of(other), EkCertificatePolicy.REQUIRED, at, new SecureRandom())))
                .isInstanceOf(AdmissionRefusal.EkCertificateUntrusted.class);

        X509Certificate cert = x509(rsaCert.toArray());
        Instant expired = cert.getNotAfter().toInstant().plus(Duration.ofDays(1));
        Instant early = cert.getNotBefore().toInstant().minus(Duration.ofDays(1));
        for (Instant when : List.of(expired, early)) {
            AdmissionRefusal r = refusal(() -> Admission.challenge(request, Bytes.ofHex("00"), Optional.of(swtpmCa), EkCertificatePolicy.REQUIRED, when,
                    new SecureRandom()));
            assertThat(r).isEqualTo(new AdmissionRefusal.EkCertificateOutsideValidity("web-07", cert.getSerialNumber().toString(16),
                    cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant(), when));
        }
        assertThat(r(new EnrolmentRequest("web-07", eccEk, List.of(rsaCert), ak.tpmtPublic(), ak.name())))
                .isEqualTo(new AdmissionRefusal.EkCertificateForAnotherKey("web-07", cert.getSerialNumber().toString(16)));
    }

    @Test
    void refusesARequestWhoseAkNameIsNotItsPublicArea() throws Exception {
        Bytes otherName = TpmPublicArea.parse(eccEk).name();
        assertThat(r(new EnrolmentRequest("web-08", rsaEk, List.of(rsaCert), ak.tpmtPublic(), otherName)))
                .isEqualTo(new AdmissionRefusal.AkNameMismatch("web-08", otherName.hex(), ak.name().hex()));
    }

    @Test
    void refusesAChallengeAnsweredByAnotherTpm() throws Exception {
        try (ToolsHost other = ToolsHost.manufacture(dir.resolve("tpm2"))) {
            ToolsHost.Ak otherAk = other.createAk(ToolsHost.RSA_EK, "other-ak", false);
            Admission.Issued mine = challenge(new EnrolmentRequest("web-09", rsaEk, List.of(rsaCert), ak.tpmtPublic(), ak.name()),
                    EkCertificatePolicy.REQUIRED);
            Path challenge = Files.write(dir.resolve("web-09.challenge"), mine.challengeFile().toArray());
            assertThat(other.activate(otherAk, ToolsHost.RSA_EK, true, challenge, dir.resolve("web-09-other.answer")).exitCode()).isNotZero();

            // what the other TPM can answer is its own challenge's secret, which is not this one
            Admission.Issued theirs = Admission.challenge(new EnrolmentRequest("web-10", other.readPublic(ToolsHost.RSA_EK), List.of(),
                    otherAk.tpmtPublic(), otherAk.name()), Bytes.ofHex("00"), Optional.empty(), EkCertificatePolicy.OPTIONAL, at, new SecureRandom());
            Bytes theirAnswer = activate(other, otherAk, ToolsHost.RSA_EK, true, theirs, "web-10");
            assertThat(Admission.answer(theirs.pending(), theirAnswer, at, Bytes.ofHex("00")).host()).isEqualTo("web-10");
            assertThat(refusal(() -> Admission.answer(mine.pending(), theirAnswer, at, Bytes.ofHex("00"))))
                    .isEqualTo(new AdmissionRefusal.AnswerMismatch("web-09"));
        }
    }

    @Test
    void verifyRefusesARecordThatIsNotTheAksOrNotSignedByATrustedAdmissionKey() throws Exception {
        EnrolmentRequest request = new EnrolmentRequest("web-11", rsaEk, List.of(rsaCert), ak.tpmtPublic(), ak.name());
        Admission.Issued issued = challenge(request, EkCertificatePolicy.REQUIRED);
        Bytes answer = activate(host, ak, ToolsHost.RSA_EK, true, issued, "web-11");
        KeyMaterial admitter = admissionKey();
        TrustedKeys trusted = TrustedKeys.ofCertificates(List.of(admitter.certificate()));
        Path trust = dir.resolve("trust-tamper");
        AdmissionRecord record = Admission.answer(issued.pending(), answer, at, Bytes.ofHex("00"));
        AdmissionFiles.writeAdmitted(trust, record, new SegmentSigner(admitter, Optional.empty()));
        Path hostDir = trust.resolve("hosts/web-11");
        assertThat(HostAdmission.read(hostDir, "web-11", trusted).status()).isEqualTo(HostAdmission.Status.PROVEN_BY_ACTIVATION);

        // signed by a key that is not an admission signer
        assertThat(HostAdmission.read(hostDir, "web-11", TrustedKeys.ofCertificates(List.of(admissionKey().certificate()))).findings())
                .singleElement().isInstanceOf(org.imaarchiver.archive.chain.AdmissionFinding.Unverified.class);
        // the record's bytes changed after signing
        Path json = hostDir.resolve("ak.admission.json");
        byte[] original = Files.readAllBytes(json);
        Files.writeString(json, new String(original, StandardCharsets.UTF_8).replace("\"web-11\"", "\"web-12\""));
        assertThat(HostAdmission.read(hostDir, "web-11", trusted).status()).isEqualTo(HostAdmission.Status.REFUSED);
        Files.write(json, original);
        // ak.pem replaced by another key after admission
        Path akPem = hostDir.resolve("ak.pem");
        byte[] admittedPem = Files.readAllBytes(akPem);
        Files.writeString(akPem, spkiPem(TpmPublicArea.parse(eccEk).publicKey().getEncoded()));
        assertThat(HostAdmission.read(hostDir, "web-11", trusted).findings()).singleElement()
                .isInstanceOf(org.imaarchiver.archive.chain.AdmissionFinding.Mismatch.class);
        Files.write(akPem, admittedPem);
        // an AK file without a record, as every trust directory before admission: asserted by the operator
        Files.writeString(hostDir.resolve("old.pem"), spkiPem(TpmPublicArea.parse(eccEk).publicKey().getEncoded()));
        HostAdmission mixed = HostAdmission.read(hostDir, "web-11", trusted);
        assertThat(mixed.status()).isEqualTo(HostAdmission.Status.ASSERTED_BY_OPERATOR);
        assertThat(mixed.aks()).containsExactly(new HostAdmission.Proven("ak.pem", record), new HostAdmission.Asserted("old.pem"));
    }

    // ---- helpers ----

    private static Admission.Issued challenge(EnrolmentRequest request, EkCertificatePolicy policy) throws AdmissionRefusedException {
        return Admission.challenge(request, Admission.sha256(request.toJson().getBytes(StandardCharsets.UTF_8)), Optional.of(swtpmCa), policy, at,
                new SecureRandom());
    }

    private static AdmissionRefusal r(EnrolmentRequest request) {
        return refusal(() -> challenge(request, EkCertificatePolicy.REQUIRED));
    }

    /** Writes the challenge, has {@code tpm} activate it, and returns the released secret. */
    private static Bytes activate(ToolsHost tpm, ToolsHost.Ak key, String ek, boolean policy, Admission.Issued issued, String label) throws Exception {
        Path challenge = Files.write(dir.resolve(label + ".challenge"), issued.challengeFile().toArray());
        Path answer = dir.resolve(label + ".answer");
        Swtpm.Result r = tpm.activate(key, ek, policy, challenge, answer);
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        return Bytes.wrap(Files.readAllBytes(answer));
    }

    interface Refused {
        Object run() throws Exception;
    }

    private static AdmissionRefusal refusal(Refused call) {
        return assertThrows(AdmissionRefusedException.class, call::run).refusal();
    }

    private static KeyMaterial admissionKey() {
        return KeyMaterial.generate(KeyMaterial.KeyType.P256, "admission key", at.minus(Duration.ofDays(1)), at.plus(Duration.ofDays(30)));
    }

    private static X509Certificate x509(byte[] der) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }

    private static String pkcs8Pem() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return "-----BEGIN PRIVATE KEY-----\n" + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'})
                .encodeToString(g.generateKeyPair().getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n";
    }

    private static String spkiPem(byte[] spki) {
        return "-----BEGIN PUBLIC KEY-----\n" + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(spki) + "\n-----END PUBLIC KEY-----\n";
    }

    private static byte[] unsigned(byte[] b) {
        return b.length == 257 && b[0] == 0 ? Arrays.copyOfRange(b, 1, b.length) : b;
    }
}

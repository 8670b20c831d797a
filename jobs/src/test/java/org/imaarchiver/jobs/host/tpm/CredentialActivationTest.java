package org.imaarchiver.jobs.host.tpm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Optional;
import org.imaarchiver.archive.admission.CredentialChallenge;
import org.imaarchiver.cli.demo.SwtpmProcess;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.testsupport.Tools;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * EKs and credential activation over a swtpm manufactured with EK certificates by swtpm_setup and
 * swtpm_localca; tpm2-tools decide: {@code tpm2_createek} / {@code tpm2_readpublic} give the EK public
 * areas, {@code tpm2_nvread} the certificates, {@code tpm2_makecredential} the challenges.
 */
class CredentialActivationTest {
    private static final byte[] SECRET = "the verifier's secret, 32 bytes".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    @TempDir
    static Path dir;
    static SwtpmProcess swtpm;
    static Tpm2 tpm;

    @BeforeAll
    static void start() throws Exception {
        Tools.require("swtpm_setup", "swtpm-tools");
        Tools.require("tpm2_makecredential", "tpm2-tools");
        swtpm = SwtpmProcess.startWithEkCertificates(dir.resolve("tpm"));
        tpm = new Tpm2(SwtpmSocketTransport.connect("127.0.0.1", swtpm.port(),
                SwtpmSocketTransport.Mode.PER_COMMAND, SwtpmSocketTransport.DEFAULT_TIMEOUT));
    }

    @AfterAll
    static void stop() {
        if (tpm != null) tpm.close();
        if (swtpm != null) swtpm.close();
    }

    /** tpm2_createek's -G for each template. */
    private static String createekAlg(EkTemplate t) {
        return switch (t) {
            case RSA2048_L1 -> "rsa";
            case ECC_P256_L2 -> "ecc";
            case ECC_P384_H3 -> "ecc384";
        };
    }

    /** Where swtpm_setup persisted the EK it certified (none for P-256). */
    private static Optional<String> persistedBySetup(EkTemplate t) {
        return switch (t) {
            case RSA2048_L1 -> Optional.of("0x81010001");
            case ECC_P256_L2 -> Optional.empty();
            case ECC_P384_H3 -> Optional.of("0x81010016");
        };
    }

    @ParameterizedTest
    @EnumSource(EkTemplate.class)
    void ekIsTheKeyTpm2CreateekMakesAndTheCertificateCertifies(EkTemplate t) throws Exception {
        PrimaryKey ek = tpm.createEndorsementKey(t);
        tpm.flushContext(ek.handle());
        Path peer = dir.resolve("createek-" + t + ".pub");
        swtpm.tpm2("tpm2_createek", "-G", createekAlg(t), "-c", dir.resolve("ek.ctx").toString(), "-u", peer.toString());
        swtpm.tpm2("tpm2_flushcontext", "-t");
        assertThat(ek.publicArea().tpm2bPublic()).isEqualTo(Bytes.wrap(Files.readAllBytes(peer)));
        assertThat(ek.publicArea().isRsa()).isEqualTo(t.isRsa());

        Optional<Bytes> ours = tpm.ekCertificate(t);
        Optional<String> persisted = persistedBySetup(t);
        if (persisted.isEmpty()) {
            assertThat(ours).isEmpty(); // swtpm_setup 0.7 certifies no P-256 EK
            return;
        }
        Path setupPub = dir.resolve("setup-" + t + ".pub");
        swtpm.tpm2("tpm2_readpublic", "-c", persisted.get(), "-o", setupPub.toString());
        assertThat(ek.publicArea().tpm2bPublic()).isEqualTo(Bytes.wrap(Files.readAllBytes(setupPub)));

        Path cert = dir.resolve("cert-" + t + ".der");
        swtpm.tpm2("tpm2_nvread", "-C", "o", "-o", cert.toString(), String.format("0x%08x", t.certificateIndex()));
        byte[] der = Files.readAllBytes(cert);
        assertThat(ours).contains(Bytes.wrap(der));
        X509Certificate x509 = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der));
        assertThat(x509.getPublicKey().getEncoded()).isEqualTo(ek.publicArea().subjectPublicKeyInfo().toArray());
    }

    @ParameterizedTest
    @EnumSource(EkTemplate.class)
    void activatesWhatTpm2MakecredentialMadeForThisEkAndAk(EkTemplate t) throws Exception {
        PrimaryKey ek = tpm.createEndorsementKey(t);
        PrimaryKey ak = tpm.createPrimary(Hierarchy.ENDORSEMENT, AkTemplate.RSA2048_RSASSA_SHA256);
        try {
            CredentialChallenge challenge = makecredential(t + "-ok", ek.publicArea(), ak.publicArea().name());
            ActivationResult r = new CredentialActivation(tpm).activate(ak.handle(), ek.handle(), t,
                    challenge.credentialBlob(), challenge.encryptedSecret());
            assertThat(r).isEqualTo(new ActivationResult.Activated(Bytes.wrap(SECRET)));
        } finally {
            tpm.flushContext(ak.handle());
            tpm.flushContext(ek.handle());
        }
        assertThat(loaded("handles-loaded-session")).as("policy session left loaded").isZero();
    }

    @ParameterizedTest
    @EnumSource(EkTemplate.class)
    void refusesAChallengeForAnotherAk(EkTemplate t) throws Exception {
        PrimaryKey ek = tpm.createEndorsementKey(t);
        PrimaryKey ak = tpm.createPrimary(Hierarchy.ENDORSEMENT, AkTemplate.RSA2048_RSASSA_SHA256);
        PrimaryKey other = tpm.createPrimary(Hierarchy.OWNER, AkTemplate.ECC_P256_ECDSA_SHA256);
        try {
            CredentialChallenge challenge = makecredential(t + "-other-ak", ek.publicArea(), other.publicArea().name());
            ActivationResult r = new CredentialActivation(tpm).activate(ak.handle(), ek.handle(), t,
                    challenge.credentialBlob(), challenge.encryptedSecret());
            // the seed decrypts, the integrity HMAC over the other name does not verify
            assertThat(r).isInstanceOfSatisfying(ActivationResult.NotForThisTpm.class,
                    n -> assertThat(n.code().baseCode()).isEqualTo(TpmResponseCode.INTEGRITY));
        } finally {
            tpm.flushContext(other.handle());
            tpm.flushContext(ak.handle());
            tpm.flushContext(ek.handle());
        }
        assertThat(loaded("handles-loaded-session")).as("policy session left loaded").isZero();
    }

    @ParameterizedTest
    @EnumSource(EkTemplate.class)
    void refusesAChallengeForAnotherTpmsEk(EkTemplate t) throws Exception {
        TpmPublic otherEk;
        try (SwtpmProcess other = SwtpmProcess.start(dir.resolve("other-" + t));
             Tpm2 otherTpm = new Tpm2(SwtpmSocketTransport.connect("127.0.0.1", other.port(),
                     SwtpmSocketTransport.Mode.PER_COMMAND, SwtpmSocketTransport.DEFAULT_TIMEOUT))) {
            PrimaryKey k = otherTpm.createEndorsementKey(t);
            otherEk = k.publicArea();
        }
        PrimaryKey ek = tpm.createEndorsementKey(t);
        PrimaryKey ak = tpm.createPrimary(Hierarchy.ENDORSEMENT, AkTemplate.RSA2048_RSASSA_SHA256);
        try {
            assertThat(otherEk.area()).isNotEqualTo(ek.publicArea().area());
            CredentialChallenge challenge = makecredential(t + "-other-ek", otherEk, ak.publicArea().name());
            ActivationResult r = new CredentialActivation(tpm).activate(ak.handle(), ek.handle(), t,
                    challenge.credentialBlob(), challenge.encryptedSecret());
            assertThat(r).isInstanceOf(ActivationResult.NotForThisTpm.class);
        } finally {
            tpm.flushContext(ak.handle());
            tpm.flushContext(ek.handle());
        }
        assertThat(loaded("handles-loaded-session")).as("policy session left loaded").isZero();
    }

    /** {@code tpm2_makecredential -T none}: the verifier's side, offline, from the EK public and the AK name. */
    private static CredentialChallenge makecredential(String label, TpmPublic ek, Bytes akName) throws Exception {
        Path ekPub = Files.write(dir.resolve(label + ".ek.pub"), ek.tpm2bPublic().toArray());
        Path secret = Files.write(dir.resolve(label + ".secret"), SECRET);
        Path out = dir.resolve(label + ".challenge");
        swtpm.tpm2("tpm2_makecredential", "-T", "none", "-u", ekPub.toString(), "-s", secret.toString(),
                "-n", akName.hex(), "-o", out.toString());
        return CredentialChallenge.parse(Files.readAllBytes(out));
    }

    private static long loaded(String capability) throws Exception {
        return Arrays.stream(swtpm.tpm2("tpm2_getcap", capability).split("\n")).filter(l -> l.startsWith("- ")).count();
    }
}

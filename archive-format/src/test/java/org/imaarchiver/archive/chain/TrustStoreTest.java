package org.imaarchiver.archive.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.replay.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrustStoreTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir Path dir;

    @Test
    void loadsAksPerHostAndSignersAsCertificatesOrKeys() throws Exception {
        Path akDir = Files.createDirectories(dir.resolve("hosts").resolve("h1"));
        Files.copy(TestData.ima("derived-swtpm-quotes-over-ibmtss-sha1log/ak.pub.pem"), akDir.resolve("ak.pem"));
        Files.copy(TestData.ima("derived-swtpm-quotes-over-ibmtss-sha1log/ak.pub.tss"), akDir.resolve("ak-old.pub"));
        Files.writeString(akDir.resolve("README"), "ignored: not a key file name");
        KeyMaterial cert = KeyMaterial.generate(KeyMaterial.KeyType.P256, "a", T0, T0.plusSeconds(86400));
        KeyMaterial bare = KeyMaterial.generate(KeyMaterial.KeyType.ED25519, "b", T0, T0.plusSeconds(86400));
        Path signers = Files.createDirectories(dir.resolve("signers"));
        cert.writePem(dir.resolve("k"));
        Files.copy(dir.resolve("k").resolve(KeyMaterial.CERT_FILE), signers.resolve("a.pem"));
        Files.writeString(signers.resolve("b.pem"), "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(bare.certificate().getPublicKey().getEncoded()) + "\n-----END PUBLIC KEY-----\n");

        TrustStore t = TrustStore.load(dir);
        assertThat(t.aksOf("h1")).hasSize(2);
        // Both encodings are the same key; the TPM2B_PUBLIC one also knows its TPM name.
        assertThat(t.aksOf("h1").get(0).publicKey()).isEqualTo(t.aksOf("h1").get(1).publicKey());
        assertThat(t.aksOf("h2")).isEmpty();
        assertThat(t.signers().trusts(cert.certificate().getPublicKey())).isTrue();
        assertThat(t.signers().trusts(bare.certificate().getPublicKey())).isTrue();
    }

    @Test
    void undecodableFilesFailTheLoad() throws Exception {
        Path akDir = Files.createDirectories(dir.resolve("hosts").resolve("h1"));
        Files.writeString(akDir.resolve("ak.pem"), "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
        assertThatThrownBy(() -> TrustStore.load(dir)).isInstanceOf(IOException.class);
        Files.delete(akDir.resolve("ak.pem"));
        Files.createDirectories(dir.resolve("signers"));
        Files.writeString(dir.resolve("signers").resolve("x.pem"), "not pem at all\n");
        assertThatThrownBy(() -> TrustStore.load(dir)).isInstanceOf(IOException.class);
    }

    /**
     * A trust file that cannot be read is an error naming it (§11), never skipped: a skipped AK turns
     * into untrusted-ak findings on every segment of the host, a skipped signer into untrusted-signer.
     */
    @Test
    void anUnreadableTrustFileFailsTheLoadNamingItAndWhy() throws Exception {
        Path akDir = Files.createDirectories(dir.resolve("hosts").resolve("h1"));
        Files.copy(TestData.ima("derived-swtpm-quotes-over-ibmtss-sha1log/ak.pub.pem"), akDir.resolve("ak.pem"));
        Path signers = Files.createDirectories(dir.resolve("signers"));
        Path nowhere = dir.resolve("nowhere.pem");

        Path dangling = Files.createSymbolicLink(akDir.resolve("ak2.pem"), nowhere);
        assertThatThrownBy(() -> TrustStore.load(dir)).isInstanceOf(IOException.class)
                .hasMessage(dangling + ": a dangling symbolic link, not a regular file");
        Files.delete(dangling);

        Path directory = Files.createDirectories(akDir.resolve("ak2.pub"));
        assertThatThrownBy(() -> TrustStore.load(dir)).isInstanceOf(IOException.class)
                .hasMessage(directory + ": a directory, not a regular file");
        Files.delete(directory);

        Path signer = Files.createSymbolicLink(signers.resolve("archiver.pem"), nowhere);
        assertThatThrownBy(() -> TrustStore.load(dir)).isInstanceOf(IOException.class)
                .hasMessage(signer + ": a dangling symbolic link, not a regular file");
        Files.delete(signer);

        Path host = Files.createSymbolicLink(dir.resolve("hosts").resolve("h2"), dir.resolve("no-such-dir"));
        assertThatThrownBy(() -> TrustStore.load(dir)).isInstanceOf(IOException.class)
                .hasMessage(host + ": a dangling symbolic link, not a directory");
        Files.delete(host);

        assertThat(TrustStore.load(dir).aksOf("h1")).hasSize(1);
        // Permissions bind only a non-root user (root reads anything).
        if (!"root".equals(System.getProperty("user.name"))) {
            Path locked = akDir.resolve("ak.pem");
            Files.setPosixFilePermissions(locked, java.util.Set.of());
            assertThatThrownBy(() -> TrustStore.load(dir)).isInstanceOf(IOException.class)
                    .hasMessage(locked + ": cannot read: permission denied");
        }
    }

    /** The enrolled hosts are those with at least one AK file, in the archive's host order. */
    @Test
    void enrolledHostsHaveAnAk() throws Exception {
        for (String h : java.util.List.of("web-2", "web-10", "web-1")) {
            Path d = Files.createDirectories(dir.resolve("hosts").resolve(h));
            Files.copy(TestData.ima("derived-swtpm-quotes-over-ibmtss-sha1log/ak.pub.pem"), d.resolve("ak.pem"));
        }
        Files.writeString(Files.createDirectories(dir.resolve("hosts").resolve("retired")).resolve("NOTES"), "no key");
        Files.writeString(dir.resolve("hosts").resolve("README"), "a file next to the host directories");
        TrustStore t = TrustStore.load(dir);
        // HOST_ORDER compares "<id>/": "web-1/" < "web-10/" < "web-2/" ('/' sorts before '0').
        assertThat(t.enrolledHosts()).containsExactly("web-1", "web-10", "web-2");
        assertThat(t.isEnrolled("retired")).isFalse();
    }

    /**
     * A loaded store does not hold every enrolled host's AKs (memory would grow with the fleet): it
     * reads a host's on use, with a bounded cache, so a key enrolled after the load is seen.
     */
    @Test
    void aksAreReadPerHostOnUseWithABoundedCache() throws Exception {
        Path ak = TestData.ima("derived-swtpm-quotes-over-ibmtss-sha1log/ak.pub.pem");
        int hosts = TrustStore.CACHED_HOSTS + 50;
        for (int i = 0; i < hosts; i++) {
            Files.copy(ak, Files.createDirectories(dir.resolve("hosts").resolve("h" + i)).resolve("ak.pem"));
        }
        TrustStore t = TrustStore.load(dir);
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < hosts; i++) assertThat(t.aksOf("h" + i)).as("h%d", i).hasSize(1);
        }
        assertThat(t.aksOf("late")).isEmpty();
        Files.copy(ak, Files.createDirectories(dir.resolve("hosts").resolve("late")).resolve("ak.pem"));
        assertThat(t.aksOf("late")).hasSize(1);
        assertThat(t.aksOf("../h1")).isEmpty();
    }

    @Test
    void invalidHostDirectoryNameFailsTheLoad() throws Exception {
        Files.createDirectories(dir.resolve("hosts").resolve("-bad"));
        assertThatThrownBy(() -> TrustStore.load(dir)).isInstanceOf(IOException.class);
    }
}

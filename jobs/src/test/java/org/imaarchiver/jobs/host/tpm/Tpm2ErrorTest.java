package org.imaarchiver.jobs.host.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.quote.PcrSelection;
import org.imaarchiver.replay.testsupport.Swtpm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Error mapping: TPM response codes, unreachable TPMs, malformed streams; and the optional NV/EK read. */
class Tpm2ErrorTest {
    @TempDir
    static Path dir;
    static Swtpm swtpm;
    static Tpm2 tpm;

    @BeforeAll
    static void start() throws Exception {
        swtpm = Swtpm.start(dir.resolve("swtpm"));
        tpm = new Tpm2(SwtpmSocketTransport.connect("127.0.0.1", swtpm.port(),
                SwtpmSocketTransport.Mode.PER_COMMAND, SwtpmSocketTransport.DEFAULT_TIMEOUT));
    }

    @AfterAll
    static void stop() {
        if (tpm != null) tpm.close();
        if (swtpm != null) swtpm.close();
    }

    @Test
    void badHandleGivesTypedHandleError() {
        assertThatThrownBy(() -> tpm.readPublic(0x81000123))
                .isInstanceOfSatisfying(TpmException.class, e -> {
                    assertThat(e.command()).isEqualTo(TpmCommandCode.READ_PUBLIC);
                    assertThat(e.responseCode().value()).isEqualTo(0x18B); // TPM_RC_HANDLE | TPM_RC_1
                    assertThat(e.responseCode().baseCode()).isEqualTo(TpmResponseCode.HANDLE);
                    assertThat(e.responseCode().location()).isEqualTo(TpmResponseCode.Location.HANDLE);
                    assertThat(e.responseCode().locationNumber()).isEqualTo(1);
                });
    }

    @Test
    void quoteWithANonKeyHandleIsATpmError() {
        assertThatThrownBy(() -> tpm.quote(0x80FFFFFF, Bytes.EMPTY, Bytes.EMPTY, List.of(PcrSelection.of(HashAlgorithm.SHA256, 10))))
                .isInstanceOfSatisfying(TpmException.class, e -> {
                    assertThat(e.command()).isEqualTo(TpmCommandCode.QUOTE);
                    assertThat(e.responseCode().location()).isEqualTo(TpmResponseCode.Location.HANDLE);
                });
    }

    @Test
    void closedPortIsUnavailable() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        assertThatThrownBy(() -> SwtpmSocketTransport.connect("127.0.0.1", port))
                .isInstanceOfSatisfying(TpmUnavailableException.class,
                        e -> assertThat(e.endpoint()).contains(Integer.toString(port)));
    }

    @Test
    void transportSpecsOpenTheRightTransport() throws Exception {
        try (TpmTransport t = TpmTransports.open(swtpm.tcti())) { // tpm2-tools' own spelling
            assertThat(t).isInstanceOfSatisfying(SwtpmSocketTransport.class,
                    s -> assertThat(s.mode()).isEqualTo(SwtpmSocketTransport.Mode.PER_COMMAND));
            assertThat(new Tpm2(t).pcrBanks()).isNotEmpty();
        }
        assertThatThrownBy(() -> TpmTransports.open("device:" + dir.resolve("nope"))).isInstanceOf(TpmUnavailableException.class);
        assertThatThrownBy(() -> TpmTransports.open("mssim:host=127.0.0.1,port=2321")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void missingDeviceIsUnavailable() {
        assertThatThrownBy(() -> DeviceTransport.open(dir.resolve("no-such-tpmrm0")))
                .isInstanceOf(TpmUnavailableException.class);
    }

    @Test
    void streamThatIsNotATpmIsUnavailable() throws Exception {
        // "HTTP/1.1 ..." read as a header announces ~0x2f312e31 bytes: refused before allocating.
        assertThatThrownBy(() -> againstFakeServer("485454502f312e3120343030"))
                .isInstanceOf(TpmUnavailableException.class);
    }

    @Test
    void truncatedResponseIsUnavailable() throws Exception {
        // header claims 30 bytes, only 12 arrive before the peer closes
        assertThatThrownBy(() -> againstFakeServer("80010000001e000000000000"))
                .isInstanceOf(TpmUnavailableException.class);
    }

    @Test
    void successResponseWithWrongStructureIsAProtocolError() throws Exception {
        // TPM_CAP_PCRS response whose TPML_PCR_SELECTION count (0x40) exceeds the bound
        assertThatThrownBy(() -> againstFakeServer("80010000001900000000" + "00" + "00000005" + "00000040" + "000b03ffffff"))
                .isInstanceOfSatisfying(TpmProtocolException.class,
                        e -> assertThat(e.command()).isEqualTo(TpmCommandCode.GET_CAPABILITY));
    }

    @Test
    void absentEkCertificateIsEmpty() throws Exception {
        assertThat(tpm.nvReadPublic(EkTemplate.RSA2048_L1.certificateIndex())).isEmpty();
        assertThat(tpm.ekCertificate(EkTemplate.RSA2048_L1)).isEmpty();
    }

    @Test
    void ekCertificateIndexIsReadInChunks() throws Exception {
        // swtpm without swtpm_setup has no EK certificate: plant 1500 bytes with the peer tools.
        // NV_BUFFER_MAX on swtpm is 1024 (tpm2_getcap), so our read takes two NV_Read calls.
        byte[] cert = new byte[1500];
        new Random(7).nextBytes(cert);
        Path file = dir.resolve("fake-ek.der");
        Files.write(file, cert);
        String index = "0x01c0000a";
        swtpm.tpm2("tpm2_nvdefine", index, "-C", "o", "-s", "1500", "-a", "ownerread|ownerwrite|no_da");
        assertThat(tpm.ekCertificate(EkTemplate.ECC_P256_L2)).isEmpty(); // defined but never written
        swtpm.tpm2("tpm2_nvwrite", index, "-C", "o", "-i", file.toString());
        assertThat(tpm.ekCertificate(EkTemplate.ECC_P256_L2)).contains(Bytes.wrap(cert));
        swtpm.tpm2("tpm2_nvundefine", index, "-C", "o");
    }

    /** Sends one GetCapability(PCRS) to a server that answers with {@code responseHex} and closes. */
    private static void againstFakeServer(String responseHex) throws Exception {
        byte[] response = HexFormat.of().parseHex(responseHex);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket s = server.accept()) {
                    InputStream in = s.getInputStream();
                    byte[] header = in.readNBytes(10);
                    int size = ((header[2] & 0xff) << 24) | ((header[3] & 0xff) << 16) | ((header[4] & 0xff) << 8) | (header[5] & 0xff);
                    in.readNBytes(size - 10);
                    OutputStream out = s.getOutputStream();
                    out.write(response);
                    out.flush();
                } catch (Exception ignored) {
                    // the client side asserts
                }
            });
            t.start();
            try (Tpm2 fake = new Tpm2(SwtpmSocketTransport.connect("127.0.0.1", server.getLocalPort(),
                    SwtpmSocketTransport.Mode.PERSISTENT, Duration.ofSeconds(5)))) {
                fake.pcrBanks();
            } finally {
                t.join(5000);
            }
        }
    }
}

package org.imaarchiver.jobs.host.tpm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.quote.PcrSelection;
import org.imaarchiver.replay.testsupport.Swtpm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PCR commands against a real swtpm, checked with tpm2_pcrread and an independent extend computation. */
class Tpm2PcrTest {
    @TempDir
    static Path dir;
    static Swtpm swtpm;
    static Tpm2 tpm;

    @BeforeAll
    static void start() throws Exception {
        swtpm = Swtpm.start(dir.resolve("swtpm"));
        // PER_COMMAND: swtpm serves one connection at a time and tpm2_pcrread must get in between.
        tpm = new Tpm2(SwtpmSocketTransport.connect("127.0.0.1", swtpm.port(),
                SwtpmSocketTransport.Mode.PER_COMMAND, SwtpmSocketTransport.DEFAULT_TIMEOUT));
    }

    @AfterAll
    static void stop() {
        if (tpm != null) tpm.close();
        if (swtpm != null) swtpm.close();
    }

    @Test
    void startupAfterToolsStartupReportsAlreadyStarted() throws Exception {
        assertThat(tpm.startup()).isFalse();
    }

    @Test
    void capabilitiesListAllocatedBanksAndManufacturer() throws Exception {
        List<PcrSelection> banks = tpm.pcrBanks();
        assertThat(banks).extracting(PcrSelection::bank).contains(HashAlgorithm.SHA1, HashAlgorithm.SHA256);
        for (PcrSelection b : banks) assertThat(b.pcrs()).hasSize(24);
        assertThat(tpm.manufacturer()).contains("IBM"); // tpm2_getcap properties-fixed: 0x49424D00
    }

    @Test
    void extendBothBanksThenReadEqualsPeerAndIndependentComputation() throws Exception {
        int pcr = 10;
        Map<PcrBank, Digest> before = TpmPeers.pcrread(swtpm, "sha1:10+sha256:10");
        Random rnd = new Random(42);
        byte[] data = new byte[100];
        rnd.nextBytes(data);
        Digest d1 = Digest.wrap(MessageDigest.getInstance("SHA-1").digest(data));
        Digest d256 = Digest.wrap(MessageDigest.getInstance("SHA-256").digest(data));

        tpm.pcrExtend(pcr, Map.of(HashAlgorithm.SHA1, d1, HashAlgorithm.SHA256, d256));

        PcrRead ours = tpm.pcrRead(List.of(PcrSelection.of(HashAlgorithm.SHA1, pcr), PcrSelection.of(HashAlgorithm.SHA256, pcr)));
        Map<PcrBank, Digest> peer = TpmPeers.pcrread(swtpm, "sha1:10+sha256:10");
        assertThat(ours.values()).isEqualTo(peer);
        assertThat(ours.value(PcrBank.of(pcr, HashAlgorithm.SHA1)))
                .contains(extend("SHA-1", before.get(PcrBank.of(pcr, HashAlgorithm.SHA1)), d1));
        assertThat(ours.value(PcrBank.of(pcr, HashAlgorithm.SHA256)))
                .contains(extend("SHA-256", before.get(PcrBank.of(pcr, HashAlgorithm.SHA256)), d256));
    }

    @Test
    void readOfMoreThanEightPcrsIsChunkedAndCompleteAndEqualsPeer() throws Exception {
        tpm.pcrExtend(16, Map.of(HashAlgorithm.SHA256, Digest.filled(32, (byte) 0x5a)));
        int[] all = new int[24];
        for (int i = 0; i < 24; i++) all[i] = i;
        PcrRead ours = tpm.pcrRead(List.of(PcrSelection.of(HashAlgorithm.SHA1, all), PcrSelection.of(HashAlgorithm.SHA256, all)));
        assertThat(ours.values()).hasSize(48);
        assertThat(ours.values()).isEqualTo(TpmPeers.pcrread(swtpm, "sha1:all+sha256:all"));
    }

    @Test
    void persistentConnectionCarriesManyCommands() throws Exception {
        try (Tpm2 own = new Tpm2(SwtpmSocketTransport.connect("127.0.0.1", swtpm.port()))) {
            List<PcrSelection> sel = List.of(PcrSelection.of(HashAlgorithm.SHA256, 12));
            Digest v = own.pcrRead(sel).value(PcrBank.of(12, HashAlgorithm.SHA256)).orElseThrow();
            for (int i = 0; i < 50; i++) {
                Digest e = Digest.filled(32, (byte) i);
                own.pcrExtend(12, Map.of(HashAlgorithm.SHA256, e));
                v = extend("SHA-256", v, e);
            }
            assertThat(own.pcrRead(sel).value(PcrBank.of(12, HashAlgorithm.SHA256))).contains(v);
        }
    }

    @Test
    void swtpmServesOneConnectionAtATime() throws Exception {
        try (Tpm2 own = new Tpm2(SwtpmSocketTransport.connect("127.0.0.1", swtpm.port()));
             Tpm2 second = new Tpm2(SwtpmSocketTransport.connect("127.0.0.1", swtpm.port(),
                     SwtpmSocketTransport.Mode.PERSISTENT, java.time.Duration.ofMillis(700)))) {
            own.pcrBanks();
            // The second connect is accepted by the kernel backlog, but swtpm never reads it.
            org.assertj.core.api.Assertions.assertThatThrownBy(second::pcrBanks)
                    .isInstanceOf(TpmUnavailableException.class)
                    .hasCauseInstanceOf(java.net.SocketTimeoutException.class);
        }
    }

    @Test
    void updateCounterAdvancesWithAnExtend() throws Exception {
        List<PcrSelection> sel = List.of(PcrSelection.of(HashAlgorithm.SHA256, 11));
        long c0 = tpm.pcrRead(sel).updateCounter();
        tpm.pcrExtend(11, Map.of(HashAlgorithm.SHA256, Digest.filled(32, (byte) 1)));
        assertThat(tpm.pcrRead(sel).updateCounter()).isGreaterThan(c0);
    }

    private static Digest extend(String alg, Digest old, Digest value) throws Exception {
        MessageDigest md = MessageDigest.getInstance(alg);
        md.update(old.bytes());
        md.update(value.bytes());
        return Digest.wrap(md.digest());
    }
}

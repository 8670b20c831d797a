package org.imaarchiver.archive.chain;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.imaarchiver.replay.quote.QuoteEvidence;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.LocalDirectoryStore;
import org.imaarchiver.replay.log.BinaryLogReader;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.LogReadOptions;
import org.imaarchiver.replay.quote.AkPublicKey;
import org.imaarchiver.replay.replay.Replayer;
import org.imaarchiver.replay.testsupport.Swtpm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The archiver's own quote flow against a real TPM (swtpm + tpm2-tools, kernel-interface.md T.4): a generated
 * list extended into PCR 10 (sha1 + sha256) with tpm2_pcrextend, counters read with tpm2_readclock,
 * quotes taken with the derived nonce from {@link SegmentPacker#plan}; two segments, verified offline
 * with the AK as TPM2B_PUBLIC.
 */
class ChainSwtpmTest {
    @TempDir Path dir;

    @Test
    void derivedNonceQuotesFromSwtpmPackAndVerify() throws Exception {
        ArchiveFixture fixture = new ArchiveFixture();
        GeneratedList list = new GeneratedList(9, 40);
        try (Swtpm tpm = Swtpm.start(dir.resolve("tpm"));
             ArchiveStore store = LocalDirectoryStore.open(dir.resolve("store"))) {
            tpm.tpm2("tpm2_createek", "-c", "ek.ctx", "-G", "rsa", "-u", "ek.pub");
            tpm.tpm2("tpm2_flushcontext", "-t");
            tpm.tpm2("tpm2_createak", "-C", "ek.ctx", "-c", "ak.ctx", "-G", "rsa", "-g", "sha256", "-s", "rsassa", "-u", "ak.pub",
                    "-n", "ak.name", "-r", "ak.priv");
            tpm.tpm2("tpm2_flushcontext", "-t");
            Path state = tpm.stateDir();
            AkPublicKey ak = AkPublicKey.load(Files.readAllBytes(state.resolve("ak.pub")));
            Bytes akName = Bytes.wrap(Files.readAllBytes(state.resolve("ak.name")));
            SegmentPacker packer = new SegmentPacker(store, fixture.signer, dir.resolve("work"), Replayer.sequential());

            int extended = 0;
            long seq = 0;
            for (int quotePoint : new int[] {15, 40}) {
                List<String> specs = new ArrayList<>(List.of("tpm2_pcrextend"));
                for (; extended < quotePoint; extended++) {
                    byte[] data = list.records.get(extended).templateData().toArray();
                    specs.add("10:sha1=" + HexFormat.of().formatHex(FakeTpm.h("SHA-1", data)) + ",sha256="
                            + HexFormat.of().formatHex(FakeTpm.h("SHA-256", data)));
                }
                tpm.tpm2(specs.toArray(new String[0]));
                String clock = tpm.tpm2("tpm2_readclock");
                PackPlan plan = ((SegmentPacker.Planned) packer.plan("sw-host", Optional.of(list.records.get(0)),
                        counter(clock, "reset_count"), counter(clock, "restart_count"), akName)).plan();
                tpm.tpm2("tpm2_quote", "-c", "ak.ctx", "-l", "sha1:10+sha256:10", "-q", plan.derivedNonce().hex(), "-g", "sha256",
                        "-m", "q.msg", "-s", "q.sig", "-o", "q.pcrs");
                tpm.tpm2("tpm2_flushcontext", "-t");
                QuoteEvidence q = new QuoteEvidence(Bytes.wrap(Files.readAllBytes(state.resolve("q.msg"))),
                        Bytes.wrap(Files.readAllBytes(state.resolve("q.sig"))), akName);
                // The whole list is offered; only the quoted prefix goes into the segment.
                PackResult r = packer.pack(plan, new PackRequest("sw-host", BinaryLogReader.open(new ByteArrayInputStream(list.bytes(40)),
                        LogReadOptions.of("sw")), q, ak, new PackNonce.Derived(), ArchiveFixture.T0.plusSeconds(seq * 60),
                        "ima-archiver/test", Optional.empty()));
                assertThat(r).isInstanceOf(PackResult.Packed.class);
                assertThat(((PackResult.Packed) r).sequence()).isEqualTo(seq++);
                assertThat(((PackResult.Packed) r).quotePoint()).isEqualTo(quotePoint);
                Files.delete(state.resolve("q.msg"));
                Files.delete(state.resolve("q.sig"));
                Files.delete(state.resolve("q.pcrs"));
            }

            Path trust = dir.resolve("trust");
            Files.createDirectories(trust.resolve("hosts").resolve("sw-host"));
            Files.copy(state.resolve("ak.pub"), trust.resolve("hosts").resolve("sw-host").resolve("ak.pub"));
            fixture.trustDir(trust, new String[0], new FakeTpm[0]);
            ArchiveReport report = new ChainVerifier(TrustStore.load(trust), 2, dir.resolve("verify"))
                    .verify(store, ChainVerifier.HostFilter.all());
            ChainReport h = report.hosts().get(0);
            assertThat(h.findings()).isEmpty();
            assertThat(h.segments()).isEqualTo(2);
            assertThat(h.records()).isEqualTo(40);
        }
    }

    private static long counter(String yaml, String name) {
        Matcher m = Pattern.compile(name + ":\\s*(\\d+)").matcher(yaml);
        assertThat(m.find()).as(yaml).isTrue();
        return Long.parseLong(m.group(1));
    }
}

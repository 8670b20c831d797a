package org.imaarchiver.archive.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.Optional;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.LocalDirectoryStore;
import org.imaarchiver.replay.log.BinaryLogReader;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.LogReadOptions;
import org.imaarchiver.replay.replay.Replayer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code SegmentPacker.pack(plan, request)}: packs where {@code plan()} put the segment, and only there. */
class SegmentPackerPlannedPackTest {
    static final String HOST = "planned";
    final ArchiveFixture fixture = new ArchiveFixture();

    @TempDir
    Path dir;

    private PackResult planQuoteAndPack(FakeTpm tpm, GeneratedList planned, GeneratedList packed, String host) throws Exception {
        return planQuoteAndPack(tpm, planned, packed, host, t -> { });
    }

    private PackResult planQuoteAndPack(FakeTpm tpm, GeneratedList planned, GeneratedList packed, String host,
                                        java.util.function.Consumer<FakeTpm> beforeQuote) throws Exception {
        try (ArchiveStore store = LocalDirectoryStore.open(dir.resolve("store"))) {
            SegmentPacker packer = new SegmentPacker(store, fixture.signer, dir.resolve("work"), Replayer.sequential());
            PackPlan plan = ((SegmentPacker.Planned) packer.plan(HOST, Optional.of(planned.records.get(0)), tpm.resetCount,
                    tpm.restartCount, tpm.akName)).plan();
            for (int i = 0; i < 20; i++) tpm.extend(packed.records.get(i));
            beforeQuote.accept(tpm);
            var quote = tpm.quote(Bytes.wrap(plan.derivedNonce().bytes()));
            BinaryLogReader reader = BinaryLogReader.open(new ByteArrayInputStream(packed.bytes(20)), LogReadOptions.of(host));
            return packer.pack(plan, new PackRequest(host, reader, quote, tpm.akPublic(), new PackNonce.Derived(), ArchiveFixture.T0,
                    "ima-archiver/test", Optional.empty()));
        }
    }

    @Test
    void packsTheSegmentWhereThePlanPutIt() throws Exception {
        GeneratedList list = new GeneratedList(1, 20);
        PackResult r = planQuoteAndPack(new FakeTpm(3), list, list, HOST);
        assertThat(r).isInstanceOf(PackResult.Packed.class);
        assertThat(((PackResult.Packed) r).sequence()).isZero();
        assertThat(((PackResult.Packed) r).quotePoint()).isEqualTo(20);
    }

    @Test
    void aQuoteWhoseCountersAreNotThePlansIsRefused() throws Exception {
        GeneratedList list = new GeneratedList(1, 20);
        // a TPM Restart between the plan and the quote
        assertThat(planQuoteAndPack(new FakeTpm(3), list, list, HOST, t -> t.restartCount = 1))
                .isInstanceOf(PackResult.BootUndecidable.class);
    }

    @Test
    void aRecordZeroOfAnotherBootThanThePlansIsRefused() throws Exception {
        assertThat(planQuoteAndPack(new FakeTpm(3), new GeneratedList(1, 20), new GeneratedList(2, 20), HOST))
                .isInstanceOf(PackResult.BootUndecidable.class);
    }

    @Test
    void aPlanForAnotherHostIsAnError() throws Exception {
        GeneratedList list = new GeneratedList(1, 20);
        FakeTpm tpm = new FakeTpm(3);
        assertThatThrownBy(() -> planQuoteAndPack(tpm, list, list, "other-host")).isInstanceOf(IllegalArgumentException.class);
    }
}

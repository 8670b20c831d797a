package org.imaarchiver.archive.chain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteOrder;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.imaarchiver.archive.segment.BootIdentity;
import org.imaarchiver.archive.segment.ManifestCodec;
import org.imaarchiver.archive.segment.NonceDerivation;
import org.imaarchiver.replay.quote.QuoteEvidence;
import org.imaarchiver.archive.segment.QuoteNonce;
import org.imaarchiver.archive.segment.ReplayFacts;
import org.imaarchiver.archive.segment.SegmentManifest;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrState;
import org.junit.jupiter.api.Test;

/** The same-boot / new-boot rule of {@link SegmentPacker} (docs/archive-format.md §10.2). */
class SegmentPackerPlanTest {
    static final Bytes AK = Bytes.ofHex("000b" + "11".repeat(32));
    static final Bytes OTHER_AK = Bytes.ofHex("000b" + "22".repeat(32));

    static MeasurementRecord bootAggregate(long seed) throws Exception {
        byte[] d = new byte[32];
        java.util.Arrays.fill(d, (byte) seed);
        return GeneratedList.record(0, 0, GeneratedList.templateData(d, "boot_aggregate"));
    }

    static ChainHead head(long seq, long reset, long bootCounter, MeasurementRecord r0) throws Exception {
        var ba = SegmentPacker.BootAggregate.of(r0).orElseThrow();
        BootIdentity boot = new BootIdentity(ba.algorithm(), ba.digest(), reset, 0, bootCounter);
        PcrState base = PcrState.initial(EnumSet.of(HashAlgorithm.SHA1));
        PcrState end = new PcrState(5, base.banks(), base.values(), base.extendModes());
        SegmentManifest m = new SegmentManifest(1, "h", boot, seq, 0, 5, base, end,
                new QuoteEvidence(Bytes.ofHex("ff544347"), Bytes.ofHex("0014"), AK), new NonceDerivation.External(Bytes.EMPTY),
                new ReplayFacts(HashAlgorithm.SHA1, ByteOrder.LITTLE_ENDIAN, Optional.empty()), "2026-01-01T00:00:00Z", "t",
                Digest.zeros(32), seq == 0 ? Optional.empty() : Optional.of(Digest.zeros(32)), List.of());
        return new ChainHead("h", ArchiveLayout.manifestKey("h", seq), m, ManifestCodec.digest(m));
    }

    static PackPlan planned(SegmentPacker.PlanResult r) {
        assertThat(r).isInstanceOf(SegmentPacker.Planned.class);
        return ((SegmentPacker.Planned) r).plan();
    }

    @Test
    void firstSegmentOfAHostIsANewBootAtSequenceZero() throws Exception {
        PackPlan p = planned(SegmentPacker.decide("h", Optional.empty(), Optional.of(bootAggregate(1)), 9, 2, AK));
        assertThat(p.sequence()).isZero();
        assertThat(p.newBoot()).isTrue();
        assertThat(p.boot().bootCounter()).isZero();
        assertThat(p.previousManifestDigest()).isEmpty();
        assertThat(p.derivedNonce()).isEqualTo(QuoteNonce.derive("h", p.boot(), 0, Optional.empty()));
        // Without record 0 there is no boot identity.
        assertThat(SegmentPacker.decide("h", Optional.empty(), Optional.empty(), 9, 2, AK)).isInstanceOf(SegmentPacker.Refused.class);
    }

    @Test
    void sameAkSameResetCountContinuesTheBoot() throws Exception {
        ChainHead h = head(4, 9, 2, bootAggregate(1));
        for (Optional<MeasurementRecord> r0 : List.of(Optional.<MeasurementRecord>empty(), Optional.of(bootAggregate(1)))) {
            PackPlan p = planned(SegmentPacker.decide("h", Optional.of(h), r0, 9, 3, AK));
            assertThat(p.newBoot()).isFalse();
            assertThat(p.sequence()).isEqualTo(5);
            assertThat(p.previousManifestDigest()).contains(h.manifestDigest());
            assertThat(p.base()).contains(h.endState());
            assertThat(p.boot().bootCounter()).isEqualTo(2);
            assertThat(p.boot().restartCount()).isEqualTo(3);
        }
    }

    @Test
    void resetCountChangeWithTheSameAkIsANewBoot() throws Exception {
        ChainHead h = head(4, 9, 2, bootAggregate(1));
        PackPlan p = planned(SegmentPacker.decide("h", Optional.of(h), Optional.of(bootAggregate(1)), 10, 0, AK));
        assertThat(p.newBoot()).isTrue();
        assertThat(p.boot().bootCounter()).isEqualTo(3);
        assertThat(p.sequence()).isEqualTo(5);
        assertThat(p.previousManifestDigest()).contains(h.manifestDigest());
        // ... but a new boot needs record 0.
        assertThat(SegmentPacker.decide("h", Optional.of(h), Optional.empty(), 10, 0, AK)).isInstanceOf(SegmentPacker.Refused.class);
    }

    @Test
    void otherAkDecidesByBootAggregateOnly() throws Exception {
        ChainHead h = head(0, 9, 0, bootAggregate(1));
        assertThat(planned(SegmentPacker.decide("h", Optional.of(h), Optional.of(bootAggregate(2)), 9, 0, OTHER_AK)).newBoot()).isTrue();
        assertThat(SegmentPacker.decide("h", Optional.of(h), Optional.of(bootAggregate(1)), 9, 0, OTHER_AK))
                .isInstanceOf(SegmentPacker.Refused.class);
        assertThat(SegmentPacker.decide("h", Optional.of(h), Optional.empty(), 9, 0, OTHER_AK)).isInstanceOf(SegmentPacker.Refused.class);
    }

    @Test
    void sameResetCountButOtherBootAggregateIsRefused() throws Exception {
        ChainHead h = head(0, 9, 0, bootAggregate(1));
        SegmentPacker.PlanResult r = SegmentPacker.decide("h", Optional.of(h), Optional.of(bootAggregate(2)), 9, 0, AK);
        assertThat(r).isInstanceOf(SegmentPacker.Refused.class);
        assertThat(((SegmentPacker.Refused) r).failure()).isInstanceOf(PackResult.BootUndecidable.class);
    }
}

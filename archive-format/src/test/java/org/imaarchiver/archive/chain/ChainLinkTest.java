package org.imaarchiver.archive.chain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteOrder;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.imaarchiver.archive.receipt.VerificationReceipt;
import org.imaarchiver.archive.segment.BootIdentity;
import org.imaarchiver.archive.segment.ManifestCodec;
import org.imaarchiver.replay.quote.QuoteEvidence;
import org.imaarchiver.archive.segment.QuoteNonce;
import org.imaarchiver.archive.segment.ReplayFacts;
import org.imaarchiver.archive.segment.SegmentManifest;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrState;
import org.junit.jupiter.api.Test;

/**
 * The chain rules ({@link ChainLink#check}) with a segment and with a receipt as the predecessor,
 * each rule broken once. The expected values are written out from the fixtures below (hex of the
 * digests they use, the sequences and counters they set), not taken from the code under test; the
 * same successor gives the same findings whether it follows the segment or a receipt for it.
 */
class ChainLinkTest {
    static final String HOST = "h1";
    /** The predecessor: segment 4, boot counter 3, 100 records so far, PCR 10 filled with 0x22. */
    static final BootIdentity BOOT = boot((byte) 0x7b, 3);
    static final PcrState END = state(100, (byte) 0x22);
    static final SegmentManifest PREDECESSOR = manifest(4, BOOT, state(60, (byte) 0x11), END, Optional.of(Digest.filled(32, (byte) 0x03)));
    static final Digest PREDECESSOR_DIGEST = ManifestCodec.digest(PREDECESSOR);
    static final ChainPredecessor SEGMENT = new ChainPredecessor.Segment(4, PREDECESSOR, PREDECESSOR_DIGEST);
    static final ChainPredecessor RECEIPT = new ChainPredecessor.Receipt(new VerificationReceipt(HOST, BOOT, 4, PREDECESSOR_DIGEST, END,
            Instant.parse("2026-11-28T08:00:00Z"), "ima-archiver/test"), false);
    static final String OTHER_HEX = "ab".repeat(32);

    @Test
    void theSegmentsDigestHexIsTheCanonicalManifestsSha256() throws Exception {
        byte[] sha = java.security.MessageDigest.getInstance("SHA-256").digest(ManifestCodec.encode(PREDECESSOR).toArray());
        assertThat(PREDECESSOR_DIGEST.hex()).isEqualTo(java.util.HexFormat.of().formatHex(sha));
    }

    @Test
    void aProperSuccessorHasNoFindingsAfterASegmentOrAReceipt() {
        SegmentManifest next = manifest(5, BOOT, END, state(130, (byte) 0x33), Optional.of(PREDECESSOR_DIGEST));
        assertThat(ChainLink.check(HOST, SEGMENT, 5, Optional.of(next))).isEmpty();
        assertThat(ChainLink.check(HOST, RECEIPT, 5, Optional.of(next))).isEmpty();
        // A new boot: counter + 1, from record 0 and all-zero PCRs.
        SegmentManifest reboot = manifest(5, boot((byte) 0x5c, 4), state(0, (byte) 0), state(40, (byte) 0x44), Optional.of(PREDECESSOR_DIGEST));
        assertThat(ChainLink.check(HOST, SEGMENT, 5, Optional.of(reboot))).isEmpty();
        assertThat(ChainLink.check(HOST, RECEIPT, 5, Optional.of(reboot))).isEmpty();
    }

    @Test
    void aGapIsOneFindingAndNoLinkRule() {
        // Sequence 7 after 4, and its previousManifestDigest names something else: only the gap.
        SegmentManifest late = manifest(7, BOOT, END, state(130, (byte) 0x33), Optional.of(Digest.ofHex(OTHER_HEX)));
        assertThat(ChainLink.check(HOST, SEGMENT, 7, Optional.of(late)))
                .extracting(ChainFinding::kind, ChainFinding::expected, ChainFinding::found, ChainFinding::detail)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(FindingKind.SEQUENCE_GAP, "5", "7", "sequences 5..6 are missing"));
        assertThat(ChainLink.check(HOST, RECEIPT, 7, Optional.of(late)))
                .extracting(ChainFinding::kind, ChainFinding::expected, ChainFinding::found, ChainFinding::detail)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(FindingKind.SEQUENCE_GAP, "5", "7",
                        "sequences 5..6 after the receipt are missing"));
    }

    @Test
    void aBrokenLink() {
        SegmentManifest next = manifest(5, BOOT, END, state(130, (byte) 0x33), Optional.of(Digest.ofHex(OTHER_HEX)));
        for (ChainPredecessor p : List.of(SEGMENT, RECEIPT)) {
            List<ChainFinding> f = ChainLink.check(HOST, p, 5, Optional.of(next));
            assertThat(f).singleElement().satisfies(x -> {
                assertThat(x.kind().id()).isEqualTo("broken-link");
                assertThat(x.segment()).hasValue(5);
                assertThat(x.expected()).isEqualTo(PREDECESSOR_DIGEST.hex());
                assertThat(x.found()).isEqualTo(OTHER_HEX);
            });
        }
        SegmentManifest none = manifest(5, BOOT, END, state(130, (byte) 0x33), Optional.empty());
        assertThat(ChainLink.check(HOST, RECEIPT, 5, Optional.of(none))).singleElement()
                .satisfies(x -> assertThat(x.found()).isEqualTo("none"))
                .satisfies(x -> assertThat(x.detail()).isEqualTo("previousManifestDigest is not the digest of the receipt's manifest (segment 4)"));
    }

    @Test
    void theBootIdentityChangesInsideABoot() {
        BootIdentity spliced = boot((byte) 0x7c, 3);
        SegmentManifest next = manifest(5, spliced, END, state(130, (byte) 0x33), Optional.of(PREDECESSOR_DIGEST));
        for (ChainPredecessor p : List.of(SEGMENT, RECEIPT)) {
            assertThat(ChainLink.check(HOST, p, 5, Optional.of(next))).singleElement().satisfies(x -> {
                assertThat(x.kind()).isEqualTo(FindingKind.BOOT_SPLICE);
                assertThat(x.expected()).isEqualTo("sha256:" + "7b".repeat(32) + " reset 7 boot 3");
                assertThat(x.found()).isEqualTo("sha256:" + "7c".repeat(32) + " reset 7 boot 3");
            });
        }
    }

    @Test
    void theBaseIsNotThePredecessorsEnd() {
        SegmentManifest next = manifest(5, BOOT, state(100, (byte) 0x23), state(130, (byte) 0x33), Optional.of(PREDECESSOR_DIGEST));
        for (ChainPredecessor p : List.of(SEGMENT, RECEIPT)) {
            assertThat(ChainLink.check(HOST, p, 5, Optional.of(next))).singleElement().satisfies(x -> {
                assertThat(x.kind()).isEqualTo(FindingKind.BASE_MISMATCH);
                assertThat(x.expected()).startsWith("nextIndex 100 ").contains("22".repeat(32)).doesNotContain("23".repeat(32));
                assertThat(x.found()).startsWith("nextIndex 100 ").contains("23".repeat(32));
                assertThat(((LinkFinding.BaseMismatch) x).end()).isEqualTo(END);
            });
        }
    }

    @Test
    void aNewBootThatDoesNotStartAtZero() {
        SegmentManifest next = manifest(5, boot((byte) 0x5c, 4), state(100, (byte) 0x22), state(130, (byte) 0x33), Optional.of(PREDECESSOR_DIGEST));
        for (ChainPredecessor p : List.of(SEGMENT, RECEIPT)) {
            assertThat(ChainLink.check(HOST, p, 5, Optional.of(next))).singleElement().satisfies(x -> {
                assertThat(x.kind()).isEqualTo(FindingKind.BOOT_SPLICE);
                assertThat(x.expected()).isEqualTo("base at index 0 with all-zero PCRs");
            });
        }
    }

    @Test
    void theBootCounterJumps() {
        SegmentManifest next = manifest(5, boot((byte) 0x5c, 5), state(0, (byte) 0), state(40, (byte) 0x44), Optional.of(PREDECESSOR_DIGEST));
        for (ChainPredecessor p : List.of(SEGMENT, RECEIPT)) {
            assertThat(ChainLink.check(HOST, p, 5, Optional.of(next))).singleElement().satisfies(x -> {
                assertThat(x.kind()).isEqualTo(FindingKind.BOOT_SPLICE);
                assertThat(x.expected()).isEqualTo("3 or 4");
                assertThat(x.found()).isEqualTo("5");
            });
        }
    }

    @Test
    void theChainStartRules() {
        ChainPredecessor start = new ChainPredecessor.Start(0);
        SegmentManifest first = manifest(0, boot((byte) 0x7b, 0), state(0, (byte) 0), state(50, (byte) 0x11), Optional.empty());
        assertThat(ChainLink.check(HOST, start, 0, Optional.of(first))).isEmpty();
        SegmentManifest namesOne = manifest(0, boot((byte) 0x7b, 0), state(0, (byte) 0), state(50, (byte) 0x11),
                Optional.of(Digest.ofHex(OTHER_HEX)));
        assertThat(ChainLink.check(HOST, start, 0, Optional.of(namesOne))).singleElement()
                .satisfies(x -> assertThat(List.of(x.kind().id(), x.expected(), x.found())).containsExactly("broken-link", "none", OTHER_HEX));
        SegmentManifest wrongCounter = manifest(0, boot((byte) 0x7b, 2), state(0, (byte) 0), state(50, (byte) 0x11), Optional.empty());
        assertThat(ChainLink.check(HOST, start, 0, Optional.of(wrongCounter))).singleElement()
                .satisfies(x -> assertThat(List.of(x.kind().id(), x.expected(), x.found())).containsExactly("boot-splice", "0", "2"));
        assertThat(ChainLink.check(HOST, start, 2, Optional.empty())).singleElement()
                .satisfies(x -> assertThat(List.of(x.kind().id(), x.expected(), x.found())).containsExactly("sequence-gap", "0", "2"));
    }

    @Test
    void afterAnUnreadablePredecessorOnlyTheSequenceRuleApplies() {
        ChainPredecessor unreadable = new ChainPredecessor.Unreadable(4);
        SegmentManifest anything = manifest(5, boot((byte) 0x01, 9), state(7, (byte) 0x09), state(9, (byte) 0x0a),
                Optional.of(Digest.ofHex(OTHER_HEX)));
        assertThat(ChainLink.check(HOST, unreadable, 5, Optional.of(anything))).isEmpty();
        assertThat(ChainLink.check(HOST, unreadable, 6, Optional.of(anything))).extracting(ChainFinding::kind)
                .containsExactly(FindingKind.SEQUENCE_GAP);
    }

    @Test
    void aNewBootAfterAnUnclosedBootIsTheClosingRulesFindingAndAfterAClosedOneNone() {
        SegmentManifest nextBoot = manifest(5, boot((byte) 0x5c, 4), state(0, (byte) 0), state(40, (byte) 0x44), Optional.of(PREDECESSOR_DIGEST));
        // the link rules are unchanged by the closing rule
        assertThat(ChainLink.check(HOST, SEGMENT, 5, Optional.of(nextBoot))).isEmpty();
        for (ChainPredecessor p : List.of(SEGMENT, RECEIPT)) {
            assertThat(ChainLink.unclosedBoot(HOST, p, 5, Optional.of(nextBoot))).hasValueSatisfying(x -> {
                assertThat(x).isInstanceOf(LinkFinding.UnclosedBoot.class);
                assertThat(List.of(x.kind().id(), x.expected(), x.found())).containsExactly("unclosed-boot", "closesBoot", "none");
                assertThat(x.segment()).hasValue(4); // the boot's last segment, after whose quote records were lost
                assertThat(x.detail()).contains("boot 3 ends at segment 4", "segment 5 starts boot 4");
            });
        }
        SegmentManifest closing = closing(PREDECESSOR);
        ChainPredecessor closedSegment = new ChainPredecessor.Segment(4, closing, ManifestCodec.digest(closing));
        ChainPredecessor closedReceipt = new ChainPredecessor.Receipt(((ChainPredecessor.Receipt) RECEIPT).receipt(), true);
        for (ChainPredecessor p : List.of(closedSegment, closedReceipt)) {
            assertThat(ChainLink.unclosedBoot(HOST, p, 5, Optional.of(nextBoot))).isEmpty();
        }
    }

    @Test
    void theClosingRuleAppliesOnlyToTheNextBootDirectlyAfterAKnownPredecessor() {
        SegmentManifest sameBoot = manifest(5, BOOT, END, state(130, (byte) 0x33), Optional.of(PREDECESSOR_DIGEST));
        SegmentManifest nextBoot = manifest(5, boot((byte) 0x5c, 4), state(0, (byte) 0), state(40, (byte) 0x44), Optional.of(PREDECESSOR_DIGEST));
        SegmentManifest jump = manifest(5, boot((byte) 0x5c, 5), state(0, (byte) 0), state(40, (byte) 0x44), Optional.of(PREDECESSOR_DIGEST));
        assertThat(ChainLink.unclosedBoot(HOST, SEGMENT, 5, Optional.of(sameBoot))).isEmpty();
        assertThat(ChainLink.unclosedBoot(HOST, SEGMENT, 5, Optional.of(jump))).isEmpty(); // a splice, found by check
        assertThat(ChainLink.unclosedBoot(HOST, SEGMENT, 6, Optional.of(nextBoot))).isEmpty(); // a gap, found by check
        assertThat(ChainLink.unclosedBoot(HOST, SEGMENT, 5, Optional.empty())).isEmpty();
        assertThat(ChainLink.unclosedBoot(HOST, new ChainPredecessor.Unreadable(4), 5, Optional.of(nextBoot))).isEmpty();
        assertThat(ChainLink.unclosedBoot(HOST, new ChainPredecessor.Start(0), 0, Optional.of(nextBoot))).isEmpty();
    }

    // ---- fixtures ----

    /** {@code m} as written by the run at shutdown. */
    static SegmentManifest closing(SegmentManifest m) {
        return new SegmentManifest(m.formatVersion(), m.hostId(), m.boot(), m.sequence(), m.firstIndex(), m.recordCount(), m.base(), m.end(),
                m.quote(), m.nonceDerivation(), m.replay(), m.createdAt(), m.producer(), m.dataDigest(), m.previousManifestDigest(),
                m.checkpoints(), m.compaction(), true);
    }

    static BootIdentity boot(byte aggregate, long counter) {
        return new BootIdentity(HashAlgorithm.SHA256, Digest.filled(32, aggregate), 7, 0, counter);
    }

    static PcrState state(long nextIndex, byte fill) {
        return org.imaarchiver.archive.segment.TestManifests.state(nextIndex, fill);
    }

    static SegmentManifest manifest(long sequence, BootIdentity boot, PcrState base, PcrState end, Optional<Digest> previous) {
        return new SegmentManifest(1, HOST, boot, sequence, base.nextIndex(), end.nextIndex() - base.nextIndex(), base, end,
                new QuoteEvidence(Bytes.ofHex("ff54434780180022000b"), Bytes.ofHex("0014000b0100"), Bytes.ofHex("000b1234")),
                QuoteNonce.derivation(HOST, boot, sequence, previous),
                new ReplayFacts(HashAlgorithm.SHA1, ByteOrder.LITTLE_ENDIAN, Optional.of("6.8.0-45-generic")),
                "2026-11-27T12:00:00Z", "ima-archiver/test", Digest.filled(32, (byte) 0x0d), previous, List.of());
    }
}

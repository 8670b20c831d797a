package org.imaarchiver.replay.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.pcr.PcrState;
import org.imaarchiver.replay.quote.PcrSelection;
import org.imaarchiver.replay.testsupport.TestData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The derived swtpm quotes over kgoldman's sha1.log (README: taken after records 200 and 362). */
class QuotePointFinderTest {
    static final Set<HashAlgorithm> SHA1_SHA256 = EnumSet.of(HashAlgorithm.SHA1, HashAlgorithm.SHA256);
    static List<MeasurementRecord> log;

    /** Selection and pcrDigest of a TPMS_ATTEST (kernel-interface.md C.1, kernel-interface.md T.4.3); test-only decoding. */
    record Attested(List<PcrSelection> selection, Digest pcrDigest) {
        static Attested parse(byte[] msg) {
            ByteBuffer b = ByteBuffer.wrap(msg); // big-endian
            assertThat(b.getInt()).isEqualTo(0xFF544347);
            assertThat(b.getShort() & 0xFFFF).isEqualTo(0x8018);
            skip(b, b.getShort() & 0xFFFF); // qualifiedSigner
            skip(b, b.getShort() & 0xFFFF); // extraData
            skip(b, 17 + 8);                // clockInfo, firmwareVersion
            int count = b.getInt();
            List<PcrSelection> sel = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                HashAlgorithm alg = HashAlgorithm.byTpmAlgId(b.getShort() & 0xFFFF).orElseThrow();
                int size = b.get() & 0xFF;
                TreeSet<Integer> pcrs = new TreeSet<>();
                for (int j = 0; j < size; j++) {
                    int bits = b.get() & 0xFF;
                    for (int bit = 0; bit < 8; bit++) if ((bits & (1 << bit)) != 0) pcrs.add(j * 8 + bit);
                }
                sel.add(new PcrSelection(alg, pcrs));
            }
            byte[] digest = new byte[b.getShort() & 0xFFFF];
            b.get(digest);
            assertThat(b.hasRemaining()).isFalse();
            return new Attested(sel, Digest.wrap(digest));
        }
    }

    static void skip(ByteBuffer b, int n) {
        b.position(b.position() + n);
    }

    static Attested quote(int n) throws Exception {
        return Attested.parse(Files.readAllBytes(TestData.ima("derived-swtpm-quotes-over-ibmtss-sha1log/quote-" + n + ".msg")));
    }

    @BeforeAll
    static void readLog() throws Exception {
        try (SimpleBinaryLog l = SimpleBinaryLog.open(TestData.ima("kgoldman+ibmtss/sha1.log"), 20)) {
            log = Sources.readAll(l);
        }
    }

    static QuotePointResult find(PcrState base, List<MeasurementRecord> records, Attested q) throws Exception {
        return QuotePointFinder.create().find(base, Sources.of(records), q.selection(), HashAlgorithm.SHA256, q.pcrDigest());
    }

    @Test
    void quoteTakenAfterRecord200CoversExactly200Records() throws Exception {
        Attested q = quote(200);
        assertThat(q.selection()).containsExactly(PcrSelection.of(HashAlgorithm.SHA1, 10), PcrSelection.of(HashAlgorithm.SHA256, 10));

        QuotePointResult r = find(PcrState.initial(SHA1_SHA256), log, q);

        assertThat(r).isInstanceOfSatisfying(QuotePointResult.Found.class, f -> {
            assertThat(f.quotePoint()).isEqualTo(200);
            assertThat(f.state().value(10, HashAlgorithm.SHA1).hex()).isEqualTo("e8c1a2b5ea7424f71404e9295f9616663f56aba2");
            assertThat(f.state().value(10, HashAlgorithm.SHA256).hex())
                    .isEqualTo("e8d3f4485df1ab1fe30bccb943b65e4530a80c1683ef21192404c79f728fe39e");
            assertThat(f.replay().failures()).isEmpty();
            assertThat(f.replay().recordsReplayed()).isEqualTo(200);
        });
    }

    @Test
    void quoteTakenAfterRecord362CoversTheWholeList() throws Exception {
        QuotePointResult r = find(PcrState.initial(SHA1_SHA256), log, quote(362));
        assertThat(r).isInstanceOfSatisfying(QuotePointResult.Found.class, f -> assertThat(f.quotePoint()).isEqualTo(362));
    }

    @Test
    void secondQuoteFromTheStateAtTheFirstQuotePoint() throws Exception {
        var first = (QuotePointResult.Found) find(PcrState.initial(SHA1_SHA256), log, quote(200));
        PcrState base = PcrStateJson.parse(PcrStateJson.write(first.state()));

        QuotePointResult r = find(base, log.subList(200, 362), quote(362));

        assertThat(r).isInstanceOfSatisfying(QuotePointResult.Found.class, f -> {
            assertThat(f.quotePoint()).isEqualTo(362);
            assertThat(f.replay().recordsReplayed()).isEqualTo(162);
            assertThat(f.state().value(10, HashAlgorithm.SHA1).hex()).isEqualTo("9be6bac02bf18d09d17e726c2df00bca4e8831ea");
        });
    }

    @Test
    void aQuoteMatchingTheBaseStateCoversNoNewRecord() throws Exception {
        var first = (QuotePointResult.Found) find(PcrState.initial(SHA1_SHA256), log, quote(200));

        QuotePointResult r = find(first.state(), log.subList(200, 362), quote(200));

        assertThat(r).isInstanceOfSatisfying(QuotePointResult.Found.class, f -> {
            assertThat(f.quotePoint()).isEqualTo(200);
            assertThat(f.replay().recordsReplayed()).isZero();
        });
    }

    @Test
    void aWrongDigestGivesNoQuotePointWithTheEndValues() throws Exception {
        Attested q = quote(362);
        byte[] d = q.pcrDigest().bytes();
        d[0] ^= 1;
        QuotePointResult r = find(PcrState.initial(SHA1_SHA256), log, new Attested(q.selection(), Digest.wrap(d)));

        assertThat(r).isInstanceOfSatisfying(QuotePointResult.NotFound.class, nf -> {
            assertThat(nf.replay().reachedEnd()).isTrue();
            assertThat(nf.failure()).isInstanceOfSatisfying(ReplayFailure.NoQuotePoint.class, f -> {
                assertThat(f.endIndex()).isEqualTo(362);
                assertThat(f.expectedPcrDigest().bytes()).isEqualTo(d);
                assertThat(f.endPcrDigest()).isEqualTo(q.pcrDigest());
                assertThat(f.endValues()).containsOnlyKeys(PcrBank.of(10, HashAlgorithm.SHA1), PcrBank.of(10, HashAlgorithm.SHA256));
                assertThat(f.endValues().get(PcrBank.of(10, HashAlgorithm.SHA256)).hex())
                        .isEqualTo("7fac48c81837d6d29046008aef0cdad8c2745cc98c3340cbba9bfdf39b4124b8");
            });
        });
    }

    @Test
    void aMissingRecordGivesNoQuotePoint() throws Exception {
        List<MeasurementRecord> withoutOne = new ArrayList<>();
        for (MeasurementRecord r : log) {
            if (r.index() == 150) continue;
            withoutOne.add(SyntheticLog.reindex(r, withoutOne.size(), r.offset()));
        }
        QuotePointResult r = find(PcrState.initial(SHA1_SHA256), withoutOne, quote(362));
        assertThat(r).isInstanceOfSatisfying(QuotePointResult.NotFound.class,
                nf -> assertThat(nf.failure()).isInstanceOf(ReplayFailure.NoQuotePoint.class));
    }

    @Test
    void aSelectedBankThatIsNotReplayedIsReported() throws Exception {
        QuotePointResult r = find(PcrState.initial(EnumSet.of(HashAlgorithm.SHA1)), log, quote(200));
        assertThat(r).isInstanceOfSatisfying(QuotePointResult.NotFound.class,
                nf -> assertThat(nf.failure()).isEqualTo(new ReplayFailure.BankNotReplayed(HashAlgorithm.SHA256)));
    }

    @Test
    void anEmptySelectionIsRefused() {
        assertThatThrownBy(() -> QuotePointFinder.create().find(PcrState.initial(SHA1_SHA256), Sources.of(log), List.of(),
                HashAlgorithm.SHA256, Digest.zeros(32))).isInstanceOf(IllegalArgumentException.class);
    }
}

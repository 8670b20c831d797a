package org.imaarchiver.archive.segment;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.ExtendMode;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.pcr.PcrState;
import org.imaarchiver.replay.quote.QuoteEvidence;
import org.imaarchiver.replay.testsupport.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two-segment chain of the shared test data: kgoldman+ibmtss/sha1.log split at record 200, with
 * the swtpm quotes taken after records 200 and 362 (imported evidence: external nonces). PCR values
 * are the README's (given / computed by replay), not values this code computes.
 */
class SegmentRealDataTest {
    private static final String DIR = "derived-swtpm-quotes-over-ibmtss-sha1log/";
    @TempDir Path dir;

    @Test
    void twoSegmentChainOverRealRecordsAndQuotes() throws Exception {
        List<MeasurementRecord> records = BinaryLists.read(TestData.ima("kgoldman+ibmtss/sha1.log"));
        assertThat(records).hasSize(362);
        var ba = QueryColumns.of(records.get(0));

        PcrState zero = state(0, Optional.empty(), Optional.empty());
        PcrState at200 = state(200, Optional.of("e8c1a2b5ea7424f71404e9295f9616663f56aba2"),
                Optional.of("e8d3f4485df1ab1fe30bccb943b65e4530a80c1683ef21192404c79f728fe39e"));
        PcrState at362 = state(362, Optional.of("9be6bac02bf18d09d17e726c2df00bca4e8831ea"),
                Optional.of("7fac48c81837d6d29046008aef0cdad8c2745cc98c3340cbba9bfdf39b4124b8"));

        QuoteEvidence q200 = quote(200);
        QuoteEvidence q362 = quote(362);
        Attest a200 = Attest.parse(q200.attest());
        Attest a362 = Attest.parse(q362.attest());
        BootIdentity boot0 = new BootIdentity(HashAlgorithm.byKernelName(ba.fileDigestAlgorithm().orElseThrow()).orElseThrow(),
                ba.fileDigest().orElseThrow(), a200.resetCount, a200.restartCount, 0);
        // The quotes were taken with the record count as nonce (README): imported evidence.
        assertThat(a200.extraData).isEqualTo(Bytes.ofHex("00000000000000000000000000000000000000c8"));

        WrittenSegment s0 = write(dir.resolve("seg-0.parquet"), records.subList(0, 200), boot0, 0, zero, at200, q200,
                a200.extraData, Optional.empty());
        BootIdentity boot1 = new BootIdentity(boot0.bootAggregateAlgorithm(), boot0.bootAggregate(), a362.resetCount,
                a362.restartCount, 0);
        WrittenSegment s1 = write(dir.resolve("seg-1.parquet"), records.subList(200, 362), boot1, 1, at200, at362, q362,
                a362.extraData, Optional.of(s0.manifestDigest()));

        for (WrittenSegment s : List.of(s0, s1)) {
            SegmentReader r = SegmentReader.open(s.file());
            assertThat(SegmentVerifier.verifyData(r)).isEmpty();
            assertThat(SegmentVerifier.compareSidecar(r, s.manifestBytes())).isEmpty();
            assertThat(SegmentVerifier.verifyNonce(r.manifest())).isEmpty();
            // The quote carries the nonce the manifest records.
            assertThat(Attest.parse(r.manifest().quote().attest()).extraData).isEqualTo(r.manifest().nonceDerivation().nonce());
        }
        // Chain links: digest of the previous sidecar bytes, and base = previous end.
        SegmentManifest m1 = SegmentReader.open(s1.file()).manifest();
        assertThat(m1.previousManifestDigest()).contains(ManifestCodec.digestOf(Bytes.wrap(s0.manifestBytes().toArray())));
        assertThat(m1.base()).isEqualTo(SegmentReader.open(s0.file()).manifest().end());
        assertThat(a362.resetCount).isEqualTo(a200.resetCount);
    }

    private static WrittenSegment write(Path file, List<MeasurementRecord> records, BootIdentity boot, long seq, PcrState base,
                                        PcrState end, QuoteEvidence quote, Bytes nonce, Optional<Digest> prev) throws Exception {
        try (SegmentWriter w = SegmentWriter.create(file, records.get(0).index(), QueryColumns::of)) {
            for (MeasurementRecord r : records) w.write(r);
            SegmentSummary s = w.summary();
            SegmentManifest m = new SegmentManifest(1, "ibmtss-host", boot, seq, s.firstIndex(), s.recordCount(), base, end, quote,
                    new NonceDerivation.External(nonce), new ReplayFacts(HashAlgorithm.SHA1, ByteOrder.LITTLE_ENDIAN, Optional.empty()),
                    "2026-11-27T00:00:0" + seq + "Z", "ima-archiver/test", s.dataDigest(), prev, List.of());
            return w.finish(m, Optional.empty());
        }
    }

    private static PcrState state(long next, Optional<String> sha1, Optional<String> sha256) {
        var v = new TreeMap<PcrBank, Digest>();
        sha1.ifPresent(h -> v.put(PcrBank.of(10, HashAlgorithm.SHA1), Digest.ofHex(h)));
        sha256.ifPresent(h -> v.put(PcrBank.of(10, HashAlgorithm.SHA256), Digest.ofHex(h)));
        return new PcrState(next, EnumSet.of(HashAlgorithm.SHA1, HashAlgorithm.SHA256), v,
                Map.of(HashAlgorithm.SHA1, ExtendMode.PER_BANK_HASH, HashAlgorithm.SHA256, ExtendMode.PER_BANK_HASH));
    }

    private static QuoteEvidence quote(int n) throws Exception {
        return new QuoteEvidence(Bytes.wrap(Files.readAllBytes(TestData.ima(DIR + "quote-" + n + ".msg"))),
                Bytes.wrap(Files.readAllBytes(TestData.ima(DIR + "quote-" + n + ".sig"))),
                Bytes.wrap(Files.readAllBytes(TestData.ima(DIR + "ak.name"))));
    }

    /** Just enough of TPMS_ATTEST (kernel-interface.md C.1) for the test: extraData and clockInfo counters. */
    private record Attest(Bytes extraData, long resetCount, long restartCount) {
        static Attest parse(Bytes attest) {
            ByteBuffer b = attest.asReadOnlyBuffer(); // big-endian TPM marshalling
            assertThat(b.getInt()).isEqualTo(0xFF544347);
            assertThat(b.getShort() & 0xffff).isEqualTo(0x8018);
            int signerSize = b.getShort() & 0xffff;
            b.position(b.position() + signerSize); // qualifiedSigner
            byte[] extra = new byte[b.getShort() & 0xffff];
            b.get(extra);
            b.getLong(); // clock
            long reset = b.getInt() & 0xffffffffL;
            long restart = b.getInt() & 0xffffffffL;
            return new Attest(Bytes.wrap(extra), reset, restart);
        }
    }
}

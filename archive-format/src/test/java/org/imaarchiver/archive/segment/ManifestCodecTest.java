package org.imaarchiver.archive.segment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.ExtendMode;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.pcr.PcrState;
import org.imaarchiver.replay.quote.QuoteEvidence;
import org.junit.jupiter.api.Test;

class ManifestCodecTest {

    /** The worked example of docs/archive-format.md (Appendix A): small, fixed values. */
    static SegmentManifest example() {
        BootIdentity boot = new BootIdentity(HashAlgorithm.SHA1, Digest.filled(20, (byte) 0xaa), 7, 1, 0);
        Map<PcrBank, Digest> end = new TreeMap<>();
        end.put(PcrBank.of(10, HashAlgorithm.SHA1), Digest.filled(20, (byte) 0x10));
        PcrState base = new PcrState(0, EnumSet.of(HashAlgorithm.SHA1), new TreeMap<>(), Map.of());
        PcrState endState = new PcrState(2, EnumSet.of(HashAlgorithm.SHA1), new TreeMap<>(end),
                Map.of(HashAlgorithm.SHA1, ExtendMode.PER_BANK_HASH));
        return new SegmentManifest(1, "host-1", boot, 0, 0, 2, base, endState,
                new QuoteEvidence(Bytes.ofHex("ff544347"), Bytes.ofHex("0018"), Bytes.ofHex("000b")),
                QuoteNonce.derivation("host-1", boot, 0, Optional.empty()),
                new ReplayFacts(HashAlgorithm.SHA1, ByteOrder.LITTLE_ENDIAN, Optional.empty()),
                "2026-01-01T00:00:00Z", "ima-archiver/1", Digest.filled(32, (byte) 0xdd), Optional.empty(), List.of());
    }

    /** The canonical bytes of {@link #example()}, reviewed by hand and copied into the spec. */
    static final String EXAMPLE_CANONICAL = "{\"base\":{\"banks\":[\"sha1\"],\"extendModes\":{\"sha1\":\"per-bank-hash\"},\"nextIndex\":0,\"pcrs\":{}},"
            + "\"boot\":{\"bootAggregate\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"bootAggregateAlgorithm\":\"sha1\",\"bootCounter\":0,"
            + "\"resetCount\":7,\"restartCount\":1},\"checkpoints\":[],\"createdAt\":\"2026-01-01T00:00:00Z\","
            + "\"dataDigest\":\"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd\","
            + "\"end\":{\"banks\":[\"sha1\"],\"extendModes\":{\"sha1\":\"per-bank-hash\"},\"nextIndex\":2,"
            + "\"pcrs\":{\"10\":{\"sha1\":\"1010101010101010101010101010101010101010\"}}},\"firstIndex\":0,\"formatVersion\":1,"
            + "\"hostId\":\"host-1\",\"nonceDerivation\":{\"kind\":\"derived-v1\",\"nonce\":\"8b6fbc03acfec417c56dcd917593009d71c985c70eea70ce02c2b06fcfdaf190\"},"
            + "\"producer\":\"ima-archiver/1\",\"quote\":{\"akName\":\"000b\",\"attest\":\"ff544347\",\"signature\":\"0018\"},"
            + "\"recordCount\":2,\"replay\":{\"byteOrder\":\"little-endian\",\"templateDigestAlgorithm\":\"sha1\"},\"sequence\":0}";

    static final String EXAMPLE_DIGEST = "c9d9596c455c0ea5b5f01989596d3751bbb4b1906ac90d396c4902a792d1cd83";

    @Test
    void exampleEncodesToTheGoldenBytesAndDigest() throws Exception {
        SegmentManifest m = example();
        Bytes bytes = ManifestCodec.encode(m);
        String text = new String(bytes.toArray(), StandardCharsets.US_ASCII);
        assertThat(text).isEqualTo(EXAMPLE_CANONICAL);
        byte[] independent = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.US_ASCII));
        // Test vectors of the spec: the nonce was also computed with Python hashlib.
        assertThat(m.nonceDerivation().nonce().hex()).isEqualTo("8b6fbc03acfec417c56dcd917593009d71c985c70eea70ce02c2b06fcfdaf190");
        assertThat(Digest.wrap(independent).hex()).isEqualTo(EXAMPLE_DIGEST);
        assertThat(ManifestCodec.digest(m)).isEqualTo(Digest.wrap(independent));
        assertThat(ManifestCodec.decode(bytes)).isEqualTo(m);
    }

    @Test
    void roundTripOfAFullManifest() throws Exception {
        SegmentManifest m = TestManifests.forSummary("host-\u00e9", 3, new SegmentSummary(100, 50, Digest.filled(32, (byte) 1), 0),
                Optional.of(Digest.filled(32, (byte) 2)));
        m = new SegmentManifest(m.formatVersion(), m.hostId(), m.boot(), m.sequence(), m.firstIndex(), m.recordCount(), m.base(),
                m.end(), m.quote(), new NonceDerivation.External(Bytes.ofHex("00c8")), m.replay(), m.createdAt(), m.producer(),
                m.dataDigest(), m.previousManifestDigest(), List.of());
        // A compacted manifest: two checkpoints (sequences 3 and 4), the last being the segment's own quote.
        PcrState mid = new PcrState(120, m.end().banks(), m.end().values(), m.end().extendModes());
        Digest d3 = Digest.filled(32, (byte) 3);
        Digest d4 = Digest.filled(32, (byte) 4);
        List<Checkpoint> cps = List.of(
                new Checkpoint(3, d3, m.previousManifestDigest(), 0, mid, TestManifests.QUOTE, new NonceDerivation.External(Bytes.ofHex("01"))),
                new Checkpoint(4, d4, Optional.of(d3), m.boot().restartCount(), m.end(), m.quote(), m.nonceDerivation()));
        m = new SegmentManifest(m.formatVersion(), m.hostId(), m.boot(), m.sequence(), m.firstIndex(), m.recordCount(), m.base(),
                m.end(), m.quote(), m.nonceDerivation(), m.replay(), m.createdAt(), m.producer(), m.dataDigest(),
                m.previousManifestDigest(), cps, Optional.of(new Compaction(4, List.of(d3, d4), d4)));
        assertThat(m.lastSequence()).isEqualTo(4);
        Bytes bytes = ManifestCodec.encode(m);
        assertThat(ManifestCodec.decode(bytes)).isEqualTo(m);
        // ASCII only: non-ASCII is escaped, so the bytes are the same in any ASCII-compatible charset.
        for (int i = 0; i < bytes.length(); i++) assertThat(bytes.byteAt(i) & 0xff).isLessThan(0x80);
        assertKeysSorted(Json.parse(new String(bytes.toArray(), StandardCharsets.US_ASCII)));
    }

    private static void assertKeysSorted(Object json) {
        if (json instanceof Map<?, ?> m) {
            List<String> keys = m.keySet().stream().map(Object::toString).toList();
            assertThat(keys).isSorted();
            m.values().forEach(ManifestCodecTest::assertKeysSorted);
        } else if (json instanceof List<?> l) {
            l.forEach(ManifestCodecTest::assertKeysSorted);
        }
    }

    private static MalformedManifestException.Kind reject(String text) {
        return assertThrows(MalformedManifestException.class,
                () -> ManifestCodec.decode(text.getBytes(StandardCharsets.UTF_8))).kind();
    }

    private static String canonical() {
        return new String(ManifestCodec.encode(example()).toArray(), StandardCharsets.US_ASCII);
    }

    @Test
    void nonCanonicalInputIsRejected() throws Exception {
        String pretty = Json.pretty(Json.parse(canonical()));
        assertThat(reject(pretty)).isEqualTo(MalformedManifestException.Kind.NOT_CANONICAL);
        assertThat(reject(canonical().replace("\"hostId\":\"host-1\"", "\"hostId\":\"host\\u002d1\"")))
                .isEqualTo(MalformedManifestException.Kind.NOT_CANONICAL);
    }

    @Test
    void structuralErrorsAreTypedAndNameTheField() throws Exception {
        assertThat(reject("{")).isEqualTo(MalformedManifestException.Kind.NOT_JSON);
        assertThat(reject(canonical().replace("\"formatVersion\":1", "\"formatVersion\":2")))
                .isEqualTo(MalformedManifestException.Kind.UNSUPPORTED_VERSION);
        assertThat(reject(canonical().replace("\"sequence\":0}", "\"sequence\":0,\"zzz\":1}")))
                .isEqualTo(MalformedManifestException.Kind.UNKNOWN_FIELD);
        MalformedManifestException missing = assertThrows(MalformedManifestException.class, () -> ManifestCodec.decode(
                canonical().replace("\"producer\":\"ima-archiver/1\",", "").getBytes(StandardCharsets.US_ASCII)));
        assertThat(missing.kind()).isEqualTo(MalformedManifestException.Kind.MISSING_FIELD);
        assertThat(missing.field()).isEqualTo("$.producer");
        MalformedManifestException badHex = assertThrows(MalformedManifestException.class, () -> ManifestCodec.decode(
                canonical().replace("1010101010101010101010101010101010101010", "10101010").getBytes(StandardCharsets.US_ASCII)));
        assertThat(badHex.kind()).isEqualTo(MalformedManifestException.Kind.BAD_FIELD);
        assertThat(badHex.field()).isEqualTo("$.end.pcrs.10.sha1");
        // Record count and end state disagree: the value's invariant fails, reported as BAD_FIELD.
        assertThat(reject(canonical().replace("\"recordCount\":2", "\"recordCount\":3")))
                .isEqualTo(MalformedManifestException.Kind.BAD_FIELD);
        assertThat(reject(canonical().replace("\"kind\":\"derived-v1\"", "\"kind\":\"other\"")))
                .isEqualTo(MalformedManifestException.Kind.BAD_FIELD);
    }

    @Test
    void nonceDerivationMatchesAnIndependentComputation() throws Exception {
        BootIdentity boot = TestManifests.BOOT;
        Digest prev = Digest.filled(32, (byte) 0x5a);
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (byte[] f : new byte[][] {
                "ima-archiver/quote-nonce/v1".getBytes(StandardCharsets.US_ASCII),
                "host-a".getBytes(StandardCharsets.UTF_8),
                "sha256".getBytes(StandardCharsets.US_ASCII),
                boot.bootAggregate().bytes(),
                java.nio.ByteBuffer.allocate(8).putLong(boot.resetCount()).array(),
                java.nio.ByteBuffer.allocate(8).putLong(boot.restartCount()).array(),
                java.nio.ByteBuffer.allocate(8).putLong(boot.bootCounter()).array(),
                java.nio.ByteBuffer.allocate(8).putLong(5).array(),
                prev.bytes()}) {
            md.update(java.nio.ByteBuffer.allocate(4).putInt(f.length).array());
            md.update(f);
        }
        assertThat(QuoteNonce.derive("host-a", boot, 5, Optional.of(prev))).isEqualTo(Digest.wrap(md.digest()));
        // Any other position, host or chain link gives another nonce.
        Digest n = QuoteNonce.derive("host-a", boot, 5, Optional.of(prev));
        assertThat(QuoteNonce.derive("host-a", boot, 6, Optional.of(prev))).isNotEqualTo(n);
        assertThat(QuoteNonce.derive("host-b", boot, 5, Optional.of(prev))).isNotEqualTo(n);
        assertThat(QuoteNonce.derive("host-a", boot, 5, Optional.empty())).isNotEqualTo(n);
        assertThat(QuoteNonce.derive("host-a", new BootIdentity(boot.bootAggregateAlgorithm(), boot.bootAggregate(),
                boot.resetCount() + 1, 0, boot.bootCounter()), 5, Optional.of(prev))).isNotEqualTo(n);
    }

    @Test
    void nonceThatDoesNotMatchTheManifestIsAFinding() {
        SegmentManifest m = example();
        SegmentManifest moved = new SegmentManifest(1, m.hostId(), m.boot(), 1, m.firstIndex(), m.recordCount(), m.base(), m.end(),
                m.quote(), m.nonceDerivation(), m.replay(), m.createdAt(), m.producer(), m.dataDigest(),
                Optional.of(Digest.zeros(32)), m.checkpoints());
        assertThat(SegmentVerifier.verifyNonce(m)).isEmpty();
        assertThat(SegmentVerifier.verifyNonce(moved)).singleElement().isInstanceOf(SegmentFinding.NonceMismatch.class);
    }
}

package org.imaarchiver.archive.segment;

import java.nio.ByteOrder;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.ExtendMode;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.pcr.PcrState;
import org.imaarchiver.replay.quote.QuoteEvidence;

/** Test-only manifests with fixed, recognisable values. */
public final class TestManifests {
    private TestManifests() {}

    static final BootIdentity BOOT = new BootIdentity(HashAlgorithm.SHA256,
            Digest.ofHex("7b6436b0c98f62380866d9432c2af0ee08ce16a171bda6951aecd44b8b3ef7a8"), 7, 0, 3);
    static final QuoteEvidence QUOTE = new QuoteEvidence(Bytes.ofHex("ff54434780180022000b"), Bytes.ofHex("0014000b0100"),
            Bytes.ofHex("000b1234"));

    /** PCR 10 of SHA-1 and SHA-256 filled with {@code fill} (none at index 0). */
    public static PcrState state(long nextIndex, byte fill) {
        var values = new TreeMap<PcrBank, Digest>();
        if (nextIndex > 0) {
            values.put(PcrBank.of(10, HashAlgorithm.SHA1), Digest.filled(20, fill));
            values.put(PcrBank.of(10, HashAlgorithm.SHA256), Digest.filled(32, fill));
        }
        return new PcrState(nextIndex, EnumSet.of(HashAlgorithm.SHA1, HashAlgorithm.SHA256), values,
                Map.of(HashAlgorithm.SHA1, ExtendMode.PER_BANK_HASH, HashAlgorithm.SHA256, ExtendMode.PER_BANK_HASH));
    }

    static SegmentManifest forSummary(String host, long sequence, SegmentSummary s, Optional<Digest> previous) {
        return new SegmentManifest(1, host, BOOT, sequence, s.firstIndex(), s.recordCount(), state(s.firstIndex(), (byte) 0x11),
                state(s.nextIndex(), (byte) 0x22), QUOTE, QuoteNonce.derivation(host, BOOT, sequence, previous),
                new ReplayFacts(HashAlgorithm.SHA1, ByteOrder.LITTLE_ENDIAN, Optional.of("6.8.0-45-generic")),
                "2026-11-27T12:00:00Z", "ima-archiver/0.1.0-SNAPSHOT", s.dataDigest(), previous, List.of());
    }
}

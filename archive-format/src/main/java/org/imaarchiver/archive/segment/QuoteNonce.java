package org.imaarchiver.archive.segment;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * The TPM2_Quote extraData the archiver uses for quotes it takes itself (docs/archive-format.md
 * "Nonce derivation"). It binds the quote to one position of one host's chain, so a quote cannot be
 * replayed into another segment, boot or host:
 *
 * <pre>
 * nonce = SHA-256( field(DOMAIN) || field(hostId UTF-8) || field(bootAggregateAlgorithm kernel name)
 *                  || field(bootAggregate) || field(u64be resetCount) || field(u64be restartCount)
 *                  || field(u64be bootCounter) || field(u64be sequence) || field(previousManifestDigest or empty) )
 * field(x) = u32be(len(x)) || x
 * DOMAIN = "ima-archiver/quote-nonce/v1"
 * </pre>
 */
public final class QuoteNonce {
    private QuoteNonce() {}

    /** Domain separation tag, the first field. */
    public static final String DOMAIN = "ima-archiver/quote-nonce/v1";

    public static Digest derive(String hostId, BootIdentity boot, long sequence, Optional<Digest> previousManifestDigest) {
        MessageDigest md = HashAlgorithm.SHA256.newDigest();
        field(md, DOMAIN.getBytes(StandardCharsets.US_ASCII));
        field(md, hostId.getBytes(StandardCharsets.UTF_8));
        field(md, boot.bootAggregateAlgorithm().kernelName().getBytes(StandardCharsets.US_ASCII));
        field(md, boot.bootAggregate().bytes());
        field(md, u64(boot.resetCount()));
        field(md, u64(boot.restartCount()));
        field(md, u64(boot.bootCounter()));
        field(md, u64(sequence));
        field(md, previousManifestDigest.map(Digest::bytes).orElse(new byte[0]));
        return Digest.wrap(md.digest());
    }

    /** The derivation a manifest records for a nonce from {@link #derive}. */
    public static NonceDerivation.Derived derivation(String hostId, BootIdentity boot, long sequence,
                                                     Optional<Digest> previousManifestDigest) {
        return new NonceDerivation.Derived(derive(hostId, boot, sequence, previousManifestDigest));
    }

    private static void field(MessageDigest md, byte[] value) {
        int n = value.length;
        md.update(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
        md.update(value);
    }

    private static byte[] u64(long v) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) b[i] = (byte) (v >>> (56 - 8 * i));
        return b;
    }
}

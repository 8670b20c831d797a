package org.imaarchiver.archive.segment;

import java.util.Objects;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * Which boot of a host a segment belongs to.
 *
 * @param bootAggregateAlgorithm the algorithm of the boot_aggregate's file digest (kernel-interface.md B.9)
 * @param bootAggregate          the boot_aggregate record's file digest (record 0 of the boot)
 * @param resetCount             TPM resetCount from the quotes of this boot (C.4); as the AK reports it
 * @param restartCount           TPM restartCount of the segment's end quote (C.4)
 * @param bootCounter            the archiver's own per-host count of boots seen, starting at 0
 */
public record BootIdentity(HashAlgorithm bootAggregateAlgorithm, Digest bootAggregate, long resetCount,
                           long restartCount, long bootCounter) {
    public BootIdentity {
        Objects.requireNonNull(bootAggregateAlgorithm, "bootAggregateAlgorithm");
        Objects.requireNonNull(bootAggregate, "bootAggregate");
        if (bootAggregate.length() != bootAggregateAlgorithm.digestLength()) {
            throw new IllegalArgumentException("bootAggregate has " + bootAggregate.length() + " bytes, "
                    + bootAggregateAlgorithm + " needs " + bootAggregateAlgorithm.digestLength());
        }
        checkU32(resetCount, "resetCount");
        checkU32(restartCount, "restartCount");
        if (bootCounter < 0) throw new IllegalArgumentException("bootCounter < 0: " + bootCounter);
    }

    private static void checkU32(long v, String what) {
        if (v < 0 || v > 0xFFFF_FFFFL) throw new IllegalArgumentException(what + " outside u32: " + v);
    }
}

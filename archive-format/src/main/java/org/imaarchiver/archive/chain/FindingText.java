package org.imaarchiver.archive.chain;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.imaarchiver.archive.segment.BootIdentity;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.pcr.PcrState;

/** How findings render their values as report text (the JSON report's {@code expected}/{@code found}). */
final class FindingText {
    private FindingText() {}

    /** {@code nextIndex N} and every PCR value that is not all zero ({@code sha256:10=…}). */
    static String state(PcrState s) {
        StringBuilder sb = new StringBuilder("nextIndex ").append(s.nextIndex());
        nonZero(s).forEach((k, v) -> sb.append(' ').append(k).append('=').append(v.hex()));
        return sb.toString();
    }

    static String boot(BootIdentity b) {
        return b.bootAggregateAlgorithm() + ":" + b.bootAggregate().hex() + " reset " + b.resetCount() + " boot " + b.bootCounter();
    }

    static String digestOrNone(Optional<Digest> d) { return d.map(Digest::hex).orElse("none"); }

    /** The PCR values that are not all zero (absent and explicit zero values are alike, docs/archive-format.md §6.3). */
    static Map<PcrBank, Digest> nonZero(PcrState s) {
        Map<PcrBank, Digest> m = new TreeMap<>();
        s.values().forEach((k, v) -> {
            if (!v.isAllZero()) m.put(k, v);
        });
        return m;
    }
}

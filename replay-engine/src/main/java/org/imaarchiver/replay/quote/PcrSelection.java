package org.imaarchiver.replay.quote;

import java.util.Collections;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;

/**
 * One TPMS_PCR_SELECTION entry: a bank and the PCRs selected in it (kernel-interface.md C.1). The quote's
 * pcrDigest walks entries in list order and, inside an entry, PCR indices ascending (C.2).
 */
public record PcrSelection(HashAlgorithm bank, SortedSet<Integer> pcrs) {
    public PcrSelection {
        Objects.requireNonNull(bank, "bank");
        var copy = new TreeSet<Integer>();
        for (int p : pcrs) {
            if (p < 0 || p > PcrBank.MAX_PCR) throw new IllegalArgumentException("PCR out of range: " + p);
            copy.add(p);
        }
        pcrs = Collections.unmodifiableSortedSet(copy);
    }

    public static PcrSelection of(HashAlgorithm bank, int... pcrs) {
        var s = new TreeSet<Integer>();
        for (int p : pcrs) s.add(p);
        return new PcrSelection(bank, s);
    }

    /**
     * The PCRs a TPMS_PCR_SELECTION bitmap selects: PCR i is bit (i mod 8) of byte (i div 8)
     * (kernel-interface.md C.1). A set bit beyond {@link PcrBank#MAX_PCR} is an IllegalArgumentException.
     */
    static SortedSet<Integer> pcrsOfBitmap(byte[] bitmap) {
        TreeSet<Integer> pcrs = new TreeSet<>();
        for (int i = 0; i < bitmap.length * 8; i++) {
            if ((bitmap[i / 8] & (1 << (i % 8))) != 0) {
                if (i > PcrBank.MAX_PCR) throw new IllegalArgumentException("PCR " + i + " beyond " + PcrBank.MAX_PCR);
                pcrs.add(i);
            }
        }
        return pcrs;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(bank.kernelName()).append(':');
        boolean first = true;
        for (int p : pcrs) {
            if (!first) sb.append(',');
            sb.append(p);
            first = false;
        }
        return sb.toString();
    }
}

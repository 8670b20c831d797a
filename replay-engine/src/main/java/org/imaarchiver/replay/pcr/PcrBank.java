package org.imaarchiver.replay.pcr;

import java.util.Comparator;

/**
 * One PCR register in one bank: PCR {@code index} of the {@code algorithm} bank. Orders by index,
 * then by algorithm (the order used in reports and JSON).
 */
public record PcrBank(int index, HashAlgorithm algorithm) implements Comparable<PcrBank> {
    /** TPM 2.0 PC-client platforms implement PCRs 0..23. */
    public static final int MAX_PCR = 23;

    private static final Comparator<PcrBank> ORDER =
            Comparator.comparingInt(PcrBank::index).thenComparing(PcrBank::algorithm);

    public PcrBank {
        if (index < 0 || index > MAX_PCR) {
            throw new IllegalArgumentException("PCR index out of range 0.." + MAX_PCR + ": " + index);
        }
        if (algorithm == null) throw new NullPointerException("algorithm");
    }

    public static PcrBank of(int index, HashAlgorithm algorithm) {
        return new PcrBank(index, algorithm);
    }

    @Override
    public int compareTo(PcrBank o) { return ORDER.compare(this, o); }

    @Override
    public String toString() { return algorithm.kernelName() + ":" + index; }
}

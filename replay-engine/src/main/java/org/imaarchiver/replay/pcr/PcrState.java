package org.imaarchiver.replay.pcr;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Replay state at a point of one boot's list: the value of every (PCR, bank) touched so far, the
 * absolute index of the next record, and the extend mode chosen for each bank. A (PCR, bank) that is
 * absent has its reset value (all zeros). This is what evmctl cannot start from and what trimming
 * needs: the archive's chain head is a {@code PcrState}.
 */
public record PcrState(long nextIndex, Set<HashAlgorithm> banks, SortedMap<PcrBank, Digest> values,
                       Map<HashAlgorithm, ExtendMode> extendModes) {

    public PcrState {
        if (nextIndex < 0) throw new IllegalArgumentException("nextIndex < 0: " + nextIndex);
        if (banks.isEmpty()) throw new IllegalArgumentException("no banks");
        var b = Collections.unmodifiableSet(java.util.EnumSet.copyOf(banks));
        var v = new TreeMap<PcrBank, Digest>();
        for (var e : values.entrySet()) {
            PcrBank k = e.getKey();
            if (!b.contains(k.algorithm())) {
                throw new IllegalArgumentException("value for " + k + " outside banks " + b);
            }
            if (e.getValue().length() != k.algorithm().digestLength()) {
                throw new IllegalArgumentException("value for " + k + " has " + e.getValue().length() + " bytes");
            }
            v.put(k, e.getValue());
        }
        var m = new EnumMap<HashAlgorithm, ExtendMode>(HashAlgorithm.class);
        for (HashAlgorithm a : b) m.put(a, extendModes.getOrDefault(a, ExtendMode.PER_BANK_HASH));
        banks = b;
        values = Collections.unmodifiableSortedMap(v);
        extendModes = Collections.unmodifiableMap(m);
    }

    /** All PCRs at their reset value, before record 0 of a boot. */
    public static PcrState initial(Set<HashAlgorithm> banks) {
        return new PcrState(0, banks, new TreeMap<>(), Map.of());
    }

    /** The value of {@code pcr} in {@code bank}; zeros if never extended. */
    public Digest value(int pcr, HashAlgorithm bank) {
        if (!banks.contains(bank)) throw new IllegalArgumentException("bank " + bank + " not replayed");
        Digest d = values.get(PcrBank.of(pcr, bank));
        return d != null ? d : bank.zero();
    }

    public ExtendMode extendMode(HashAlgorithm bank) {
        ExtendMode m = extendModes.get(bank);
        if (m == null) throw new IllegalArgumentException("bank " + bank + " not replayed");
        return m;
    }

    /** The PCR indices that have been extended at least once, ascending. */
    public java.util.SortedSet<Integer> pcrIndices() {
        var s = new java.util.TreeSet<Integer>();
        for (PcrBank k : values.keySet()) s.add(k.index());
        return s;
    }
}

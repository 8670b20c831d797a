package org.imaarchiver.replay.replay;

import java.security.MessageDigest;
import java.util.Set;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrState;

/**
 * A read-only view of the replay's live PCR registers, valid only during the observer call that
 * received it. The allocation-free methods are for per-record use; {@link #snapshot()} copies.
 */
public interface PcrView {
    /** Absolute index of the next record (the record just replayed plus one). */
    long nextIndex();

    Set<HashAlgorithm> banks();

    /** The value of {@code pcr} in {@code bank} (a copy). */
    Digest value(int pcr, HashAlgorithm bank);

    /** Feeds the value of {@code pcr} in {@code bank} to {@code md} without copying it. */
    void updateDigest(MessageDigest md, int pcr, HashAlgorithm bank);

    /** Whether {@code pcr} in {@code bank} currently equals {@code expected}, without copying. */
    boolean valueEquals(int pcr, HashAlgorithm bank, Digest expected);

    /** An immutable copy of the state. */
    PcrState snapshot();
}

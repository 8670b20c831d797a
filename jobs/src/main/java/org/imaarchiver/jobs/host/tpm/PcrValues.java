package org.imaarchiver.jobs.host.tpm;

import java.util.Collections;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.PcrBank;

/**
 * PCR values read with TPM2_PCR_Read, all under one pcrUpdateCounter. Only the (PCR, bank) pairs
 * the TPM returned are present: an unallocated bank is absent, not zero. Not atomic with any quote
 * (ima-kernel.md C.3): use for display and peer checks, never to decide what a quote covers.
 */
public record PcrValues(long updateCounter, SortedMap<PcrBank, Digest> values) {
    public PcrValues {
        values = Collections.unmodifiableSortedMap(new TreeMap<>(values));
    }

    public Optional<Digest> value(PcrBank pcr) { return Optional.ofNullable(values.get(pcr)); }
}

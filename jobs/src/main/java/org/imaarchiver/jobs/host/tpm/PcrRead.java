package org.imaarchiver.jobs.host.tpm;

import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.quote.PcrValues;

/**
 * What TPM2_PCR_Read returned: PCR values all under one pcrUpdateCounter. Only the (PCR, bank)
 * pairs the TPM returned are present: an unallocated bank is absent, not zero. Not atomic with any
 * quote (kernel-interface.md C.3): use for display and peer checks, never to decide what a quote covers.
 *
 * @param updateCounter the TPM's pcrUpdateCounter every chunk of the read carried
 * @param pcrs          the values
 */
public record PcrRead(long updateCounter, PcrValues pcrs) {
    public PcrRead {
        Objects.requireNonNull(pcrs, "pcrs");
    }

    public SortedMap<PcrBank, Digest> values() { return pcrs.values(); }

    public Optional<Digest> value(PcrBank pcr) { return pcrs.find(pcr); }
}

package org.imaarchiver.replay.quote;

/**
 * TPMS_CLOCK_INFO from a quote (kernel-interface.md C.1, C.4). For an AK outside the endorsement and
 * platform hierarchies the TPM obfuscates resetCount and restartCount with a per-key constant, so
 * values are comparable only between quotes by the same AK.
 *
 * @param clock        milliseconds the TPM has been powered since its last TPM2_Clear (u64)
 * @param resetCount   TPM Resets (boots) since the last TPM2_Clear (u32)
 * @param restartCount TPM Restarts (resume, hibernate) since the last Reset (u32)
 * @param safe         whether {@code clock} was not lost since it was last reported
 */
public record ClockInfo(long clock, long resetCount, long restartCount, boolean safe) {
    public ClockInfo {
        if (resetCount < 0 || resetCount > 0xFFFF_FFFFL) throw new IllegalArgumentException("resetCount not u32: " + resetCount);
        if (restartCount < 0 || restartCount > 0xFFFF_FFFFL) throw new IllegalArgumentException("restartCount not u32: " + restartCount);
    }
}

package org.imaarchiver.jobs.host.tpm;

import java.util.Objects;
import org.imaarchiver.replay.bytes.Bytes;

/** TPMS_NV_PUBLIC of an NV index (Part 2 §13.5) and the index's name. */
public record NvPublic(int index, int nameAlg, int attributes, int dataSize, Bytes name) {
    /** TPMA_NV bits used to pick the read authorization (Part 2 §13.4). */
    public static final int PPREAD = 1 << 16;
    public static final int OWNERREAD = 1 << 17;
    public static final int AUTHREAD = 1 << 18;
    public static final int WRITTEN = 1 << 29;

    public NvPublic {
        Objects.requireNonNull(name, "name");
    }

    public boolean isWritten() { return (attributes & WRITTEN) != 0; }
}

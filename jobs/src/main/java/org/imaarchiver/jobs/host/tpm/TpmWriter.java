package org.imaarchiver.jobs.host.tpm;

import java.io.ByteArrayOutputStream;
import java.util.List;
import org.imaarchiver.replay.quote.PcrSelection;

/** Big-endian TPM marshalling (TCG TPM 2.0 Part 2 §5: all integers are big-endian, no padding). */
final class TpmWriter {
    /** TPMS_PCR_SELECTION bitmap size for the 24 PCRs of a PC-client TPM (what tpm2-tools sends). */
    static final int PCR_SELECT_SIZE = 3;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream(256);

    TpmWriter u8(int v) {
        out.write(v);
        return this;
    }

    TpmWriter u16(int v) {
        out.write(v >>> 8);
        out.write(v);
        return this;
    }

    TpmWriter u32(int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
        return this;
    }

    TpmWriter bytes(byte[] b) {
        out.write(b, 0, b.length);
        return this;
    }

    /** TPM2B_*: u16 size, then the bytes. */
    TpmWriter tpm2b(byte[] b) {
        if (b.length > 0xFFFF) throw new IllegalArgumentException("TPM2B too long: " + b.length);
        return u16(b.length).bytes(b);
    }

    /** TPML_PCR_SELECTION (kernel-interface.md C.1): u32 count, then {hash u16, sizeofSelect u8, bitmap}. */
    TpmWriter pcrSelection(List<PcrSelection> selection) {
        u32(selection.size());
        for (PcrSelection s : selection) {
            u16(s.bank().tpmAlgId()).u8(PCR_SELECT_SIZE);
            byte[] bitmap = new byte[PCR_SELECT_SIZE];
            for (int pcr : s.pcrs()) bitmap[pcr / 8] |= (byte) (1 << (pcr % 8));
            bytes(bitmap);
        }
        return this;
    }

    int size() { return out.size(); }

    byte[] toByteArray() { return out.toByteArray(); }
}

package org.imaarchiver.jobs.host.tpm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.quote.PcrSelection;
import org.imaarchiver.replay.testsupport.Swtpm;

/** Peer-tool helpers: tpm2_pcrread output parsing and the tpm2-tools "serialized" PCR file. */
final class TpmPeers {
    private static final Pattern BANK = Pattern.compile("^\\s*(sha\\d+):\\s*$");
    private static final Pattern VALUE = Pattern.compile("^\\s*(\\d+)\\s*:\\s*0x([0-9A-Fa-f]+)\\s*$");

    private TpmPeers() {}

    /** {@code tpm2_pcrread SPEC} parsed into (PCR, bank) -> value. */
    static Map<PcrBank, Digest> pcrread(Swtpm tpm, String spec) throws IOException, InterruptedException {
        Map<PcrBank, Digest> out = new TreeMap<>();
        HashAlgorithm bank = null;
        for (String line : tpm.tpm2("tpm2_pcrread", spec).split("\n")) {
            Matcher b = BANK.matcher(line);
            Matcher v = VALUE.matcher(line);
            if (b.matches()) {
                bank = HashAlgorithm.byKernelName(b.group(1)).orElseThrow();
            } else if (v.matches() && bank != null) {
                out.put(PcrBank.of(Integer.parseInt(v.group(1)), bank), Digest.ofHex(v.group(2)));
            }
        }
        return out;
    }

    /**
     * tpm2-tools 5.4 {@code -F serialized} PCR file (kernel-interface.md T.4.3): a little-endian dump of
     * TPML_PCR_SELECTION (u32 count, 16 x {u16 hash, u8 size, u8[4] select, pad}), u32 block count,
     * then TPML_DIGEST blocks of u32 count + 8 x {u16 size, u8[64]}, values in selection order.
     */
    static void writeSerializedPcrs(Path file, List<PcrSelection> selection, Map<PcrBank, Digest> values) throws IOException {
        List<Digest> ordered = new java.util.ArrayList<>();
        for (PcrSelection s : selection) for (int pcr : s.pcrs()) ordered.add(values.get(PcrBank.of(pcr, s.bank())));
        int blocks = (ordered.size() + 7) / 8;
        ByteBuffer b = ByteBuffer.allocate(132 + 4 + blocks * 532).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(selection.size());
        for (int i = 0; i < 16; i++) {
            if (i < selection.size()) {
                PcrSelection s = selection.get(i);
                b.putShort((short) s.bank().tpmAlgId()).put((byte) 3);
                byte[] bitmap = new byte[4];
                for (int pcr : s.pcrs()) bitmap[pcr / 8] |= (byte) (1 << (pcr % 8));
                b.put(bitmap).put((byte) 0);
            } else {
                b.put(new byte[8]);
            }
        }
        b.putInt(blocks);
        for (int blk = 0; blk < blocks; blk++) {
            int n = Math.min(8, ordered.size() - blk * 8);
            b.putInt(n);
            for (int i = 0; i < 8; i++) {
                byte[] d = new byte[64];
                int len = 0;
                if (i < n) {
                    Digest v = ordered.get(blk * 8 + i);
                    v.copyTo(d, 0);
                    len = v.length();
                }
                b.putShort((short) len).put(d);
            }
        }
        Files.write(file, b.array());
    }
}

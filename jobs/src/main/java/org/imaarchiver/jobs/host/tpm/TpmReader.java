package org.imaarchiver.jobs.host.tpm;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.quote.PcrSelection;

/**
 * Bounded big-endian reader over one response. Every read checks the bytes left first, so a
 * hostile or truncated size field yields a {@link TpmProtocolException} naming the offset.
 */
final class TpmReader {
    private final TpmCommandCode command;
    private final byte[] buf;
    private int pos;
    private final int end;

    TpmReader(TpmCommandCode command, byte[] buf, int offset, int end) {
        this.command = command;
        this.buf = buf;
        this.pos = offset;
        this.end = end;
    }

    int position() { return pos; }

    int remaining() { return end - pos; }

    TpmProtocolException error(String reason) {
        return new TpmProtocolException(command, pos, reason);
    }

    private void need(int n, String what) throws TpmProtocolException {
        if (n < 0 || n > end - pos) throw error(what + " needs " + n + " bytes, " + (end - pos) + " left");
    }

    int u8() throws TpmProtocolException {
        need(1, "u8");
        return buf[pos++] & 0xff;
    }

    int u16() throws TpmProtocolException {
        need(2, "u16");
        int v = ((buf[pos] & 0xff) << 8) | (buf[pos + 1] & 0xff);
        pos += 2;
        return v;
    }

    int u32() throws TpmProtocolException {
        need(4, "u32");
        int v = ((buf[pos] & 0xff) << 24) | ((buf[pos + 1] & 0xff) << 16) | ((buf[pos + 2] & 0xff) << 8) | (buf[pos + 3] & 0xff);
        pos += 4;
        return v;
    }

    long u64() throws TpmProtocolException {
        long hi = u32() & 0xffffffffL;
        return (hi << 32) | (u32() & 0xffffffffL);
    }

    byte[] bytes(int n) throws TpmProtocolException {
        need(n, "field");
        byte[] b = new byte[n];
        System.arraycopy(buf, pos, b, 0, n);
        pos += n;
        return b;
    }

    /** TPM2B_*: u16 size then that many bytes. */
    byte[] tpm2b() throws TpmProtocolException {
        return bytes(u16());
    }

    /** The bytes between two absolute positions already read past. */
    org.imaarchiver.replay.log.Bytes slice(int from, int to) {
        return org.imaarchiver.replay.log.Bytes.of(buf, from, to - from);
    }

    void skip(int n) throws TpmProtocolException {
        need(n, "skipped field");
        pos += n;
    }

    /** A sub-reader over the next {@code n} bytes, advancing this reader past them. */
    TpmReader sub(int n) throws TpmProtocolException {
        need(n, "sized structure");
        TpmReader r = new TpmReader(command, buf, pos, pos + n);
        pos += n;
        return r;
    }

    void expectEnd(String structure) throws TpmProtocolException {
        if (pos != end) throw error((end - pos) + " trailing bytes after " + structure);
    }

    /**
     * TPML_PCR_SELECTION. Banks whose algorithm the replay engine does not know (SM3, SHA3) are
     * reported through {@code unknownBanks} instead of failing: a capability list may name them.
     */
    List<PcrSelection> pcrSelection(List<Integer> unknownBanks) throws TpmProtocolException {
        int count = u32();
        if (count > 16) throw error("TPML_PCR_SELECTION count " + Integer.toUnsignedString(count) + " > HASH_COUNT bound 16");
        List<PcrSelection> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int alg = u16();
            int sizeofSelect = u8();
            byte[] bitmap = bytes(sizeofSelect);
            var pcrs = new TreeSet<Integer>();
            for (int bit = 0; bit < sizeofSelect * 8; bit++) {
                if ((bitmap[bit / 8] & (1 << (bit % 8))) != 0) {
                    if (bit > PcrBank.MAX_PCR) throw error("PCR " + bit + " selected beyond PCR " + PcrBank.MAX_PCR);
                    pcrs.add(bit);
                }
            }
            Optional<HashAlgorithm> h = HashAlgorithm.byTpmAlgId(alg);
            if (h.isPresent()) {
                out.add(new PcrSelection(h.get(), pcrs));
            } else {
                unknownBanks.add(alg);
            }
        }
        return out;
    }
}

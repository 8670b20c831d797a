package org.imaarchiver.replay.quote;

import org.imaarchiver.replay.log.Bytes;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * Bounded big-endian reader for TPM 2.0 marshalled structures (ima-kernel.md C.1). Every length is
 * checked against the bytes left and against the field's TPM bound before anything is copied.
 */
final class TpmReader {
    private final byte[] buf;
    private final int end;
    private int pos;

    TpmReader(byte[] buf) { this(buf, 0, buf.length); }

    TpmReader(byte[] buf, int offset, int end) {
        this.buf = buf;
        this.pos = offset;
        this.end = end;
    }

    int position() { return pos; }

    int remaining() { return end - pos; }

    private void need(int n, String field) throws MalformedQuoteException {
        if (end - pos < n) {
            throw new MalformedQuoteException(MalformedQuoteException.Kind.TRUNCATED, field, pos,
                    "needs " + n + " bytes, " + (end - pos) + " left");
        }
    }

    int u8(String field) throws MalformedQuoteException {
        need(1, field);
        return buf[pos++] & 0xff;
    }

    int u16(String field) throws MalformedQuoteException {
        need(2, field);
        int v = ((buf[pos] & 0xff) << 8) | (buf[pos + 1] & 0xff);
        pos += 2;
        return v;
    }

    long u32(String field) throws MalformedQuoteException {
        need(4, field);
        long v = ((long) (buf[pos] & 0xff) << 24) | ((buf[pos + 1] & 0xff) << 16)
                | ((buf[pos + 2] & 0xff) << 8) | (buf[pos + 3] & 0xff);
        pos += 4;
        return v;
    }

    long u64(String field) throws MalformedQuoteException {
        long hi = u32(field);
        long lo = u32(field);
        return (hi << 32) | lo;
    }

    byte[] bytes(int n, String field) throws MalformedQuoteException {
        need(n, field);
        byte[] b = java.util.Arrays.copyOfRange(buf, pos, pos + n);
        pos += n;
        return b;
    }

    /** A TPM2B: u16 size then that many bytes; the size is checked against {@code maxSize} first. */
    byte[] tpm2b(String field, int maxSize) throws MalformedQuoteException {
        int at = pos;
        int size = u16(field + ".size");
        if (size > maxSize) {
            throw new MalformedQuoteException(MalformedQuoteException.Kind.BAD_VALUE, field, at,
                    "size " + size + " exceeds bound " + maxSize);
        }
        return bytes(size, field);
    }

    Bytes tpm2bBytes(String field, int maxSize) throws MalformedQuoteException {
        return Bytes.wrap(tpm2b(field, maxSize));
    }

    /** A TPM_ALG_ID naming a hash; outside {@link HashAlgorithm} fails closed. */
    HashAlgorithm hashAlg(String field) throws MalformedQuoteException {
        int at = pos;
        int id = u16(field);
        return HashAlgorithm.byTpmAlgId(id).orElseThrow(() -> new MalformedQuoteException(
                MalformedQuoteException.Kind.UNSUPPORTED_ALGORITHM, field, at,
                String.format("hash algorithm 0x%04x", id)));
    }

    void expectEnd(String structure) throws MalformedQuoteException {
        if (pos != end) {
            throw new MalformedQuoteException(MalformedQuoteException.Kind.TRAILING_BYTES, structure, pos,
                    (end - pos) + " bytes after the structure");
        }
    }
}

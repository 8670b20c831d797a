package org.imaarchiver.replay.quote;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;

/**
 * The one bounded big-endian reader for TPM 2.0 marshalled structures (kernel-interface.md C.1), used for
 * files (tpm2-tools output, manifests) and for TPM responses alike. Every length is checked against
 * the bytes left and against the field's TPM bound before anything is copied.
 *
 * <p>Who reads decides what a malformed field is: {@link #of(byte[])} reports a
 * {@link MalformedQuoteException} (a file), the TPM client supplies {@link Errors} that make its
 * protocol exception naming the command. Offsets are positions in the whole buffer, so a structure
 * read through {@link #sub} is reported where it stands in the response or file.
 *
 * @param <E> the exception a malformed field becomes
 */
public final class TpmReader<E extends Exception> {
    /** HASH_COUNT bound: no TPM has more banks than hash algorithms; 16 is generous. */
    public static final int MAX_SELECTIONS = 16;
    /** PCR_SELECT_MAX for 24 PCRs is 3; allow up to 32 PCRs' worth so larger bitmaps with high bits clear pass. */
    public static final int MAX_SIZEOF_SELECT = 4;

    /** Makes the reader's exception for a field that cannot be read at {@code offset}. */
    @FunctionalInterface
    public interface Errors<E extends Exception> {
        E malformed(MalformedQuoteException.Kind kind, String field, int offset, String detail);
    }

    /** What {@link #pcrSelection} does with a bank whose algorithm {@link HashAlgorithm} does not know. */
    public enum UnknownBank {
        /** Fail closed with {@link MalformedQuoteException.Kind#UNSUPPORTED_ALGORITHM}: a quote or a PCR read. */
        REJECT,
        /** Leave the entry out: a capability list may name banks (SM3, SHA3) nothing here uses. */
        SKIP
    }

    private final byte[] buf;
    private final int end;
    private final Errors<E> errors;
    private int pos;

    private TpmReader(byte[] buf, int offset, int end, Errors<E> errors) {
        if (offset < 0 || offset > end || end > buf.length) {
            throw new IndexOutOfBoundsException("range " + offset + ".." + end + " of " + buf.length + " bytes");
        }
        this.buf = buf;
        this.pos = offset;
        this.end = end;
        this.errors = errors;
    }

    /** A reader over a whole file: malformed fields are {@link MalformedQuoteException}s. */
    public static TpmReader<MalformedQuoteException> of(byte[] buf) {
        return new TpmReader<>(buf, 0, buf.length, MalformedQuoteException::new);
    }

    /** A reader over {@code buf[offset, end)} whose malformed fields become {@code errors}' exceptions. */
    public static <E extends Exception> TpmReader<E> over(byte[] buf, int offset, int end, Errors<E> errors) {
        return new TpmReader<>(buf, offset, end, errors);
    }

    public int position() { return pos; }

    public int remaining() { return end - pos; }

    /** A {@link MalformedQuoteException.Kind#BAD_VALUE} error about {@code field} at the current position. */
    public E error(String field, String detail) {
        return errors.malformed(MalformedQuoteException.Kind.BAD_VALUE, field, pos, detail);
    }

    /** An error of {@code kind} about {@code field} at {@code offset}. */
    public E error(MalformedQuoteException.Kind kind, String field, int offset, String detail) {
        return errors.malformed(kind, field, offset, detail);
    }

    private void need(long n, String field) throws E {
        if (n < 0 || n > end - pos) {
            throw errors.malformed(MalformedQuoteException.Kind.TRUNCATED, field, pos,
                    "needs " + n + " bytes, " + (end - pos) + " left");
        }
    }

    public int u8(String field) throws E {
        need(1, field);
        return buf[pos++] & 0xff;
    }

    public int u16(String field) throws E {
        need(2, field);
        int v = ((buf[pos] & 0xff) << 8) | (buf[pos + 1] & 0xff);
        pos += 2;
        return v;
    }

    /** An unsigned 32-bit value (counts, sizes, counters). */
    public long u32(String field) throws E {
        need(4, field);
        long v = ((long) (buf[pos] & 0xff) << 24) | ((buf[pos + 1] & 0xff) << 16)
                | ((buf[pos + 2] & 0xff) << 8) | (buf[pos + 3] & 0xff);
        pos += 4;
        return v;
    }

    /** 32 bits as a Java int: handles, response codes, attribute masks, where only the bits matter. */
    public int u32Bits(String field) throws E {
        return (int) u32(field);
    }

    public long u64(String field) throws E {
        long hi = u32(field);
        long lo = u32(field);
        return (hi << 32) | lo;
    }

    public byte[] bytes(int n, String field) throws E {
        need(n, field);
        byte[] b = java.util.Arrays.copyOfRange(buf, pos, pos + n);
        pos += n;
        return b;
    }

    public void skip(int n, String field) throws E {
        need(n, field);
        pos += n;
    }

    /** A TPM2B: u16 size then that many bytes; the size is checked against {@code maxSize} first. */
    public byte[] tpm2b(String field, int maxSize) throws E {
        int at = pos;
        int size = u16(field + ".size");
        if (size > maxSize) {
            throw errors.malformed(MalformedQuoteException.Kind.BAD_VALUE, field, at,
                    "size " + size + " exceeds bound " + maxSize);
        }
        return bytes(size, field);
    }

    public Bytes tpm2bBytes(String field, int maxSize) throws E {
        return Bytes.wrap(tpm2b(field, maxSize));
    }

    /**
     * A reader over the next {@code n} bytes (a sized structure: a TPM2B's content, a parameter
     * area), advancing this reader past them. Offsets stay positions in the whole buffer.
     */
    public TpmReader<E> sub(long n, String field) throws E {
        need(n, field);
        TpmReader<E> r = new TpmReader<>(buf, pos, pos + (int) n, errors);
        pos += (int) n;
        return r;
    }

    /** The bytes between two absolute positions already read past: a structure exactly as marshalled. */
    public Bytes slice(int from, int to) {
        if (from < 0 || from > to || to > pos) throw new IndexOutOfBoundsException(from + ".." + to + " not read yet");
        return Bytes.of(buf, from, to - from);
    }

    /** A TPM_ALG_ID naming a hash; outside {@link HashAlgorithm} fails closed. */
    public HashAlgorithm hashAlg(String field) throws E {
        int at = pos;
        int id = u16(field);
        Optional<HashAlgorithm> h = HashAlgorithm.byTpmAlgId(id);
        if (h.isEmpty()) {
            throw errors.malformed(MalformedQuoteException.Kind.UNSUPPORTED_ALGORITHM, field, at,
                    String.format("hash algorithm 0x%04x", id));
        }
        return h.get();
    }

    public void expectEnd(String structure) throws E {
        if (pos != end) {
            throw errors.malformed(MalformedQuoteException.Kind.TRAILING_BYTES, structure, pos,
                    (end - pos) + " bytes after the structure");
        }
    }

    /**
     * TPML_PCR_SELECTION (kernel-interface.md C.1): u32 count (at most {@link #MAX_SELECTIONS}), then per
     * entry a hash, sizeofSelect (at most {@link #MAX_SIZEOF_SELECT}) and a bitmap where PCR i is bit
     * (i mod 8) of byte (i div 8). A PCR beyond {@link PcrBank#MAX_PCR} is rejected.
     */
    public List<PcrSelection> pcrSelection(String field, UnknownBank unknownBank) throws E {
        int countAt = pos;
        long count = u32(field + ".count");
        if (count > MAX_SELECTIONS) {
            throw errors.malformed(MalformedQuoteException.Kind.BAD_VALUE, field + ".count", countAt,
                    count + " selections exceeds bound " + MAX_SELECTIONS);
        }
        List<PcrSelection> out = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            String f = field + "[" + i + "]";
            int hashAt = pos;
            int alg = u16(f + ".hash");
            Optional<HashAlgorithm> bank = HashAlgorithm.byTpmAlgId(alg);
            if (bank.isEmpty() && unknownBank == UnknownBank.REJECT) {
                throw errors.malformed(MalformedQuoteException.Kind.UNSUPPORTED_ALGORITHM, f + ".hash", hashAt,
                        String.format("hash algorithm 0x%04x", alg));
            }
            int sizeAt = pos;
            int sizeofSelect = u8(f + ".sizeofSelect");
            if (sizeofSelect > MAX_SIZEOF_SELECT) {
                throw errors.malformed(MalformedQuoteException.Kind.BAD_VALUE, f + ".sizeofSelect", sizeAt,
                        sizeofSelect + " exceeds bound " + MAX_SIZEOF_SELECT);
            }
            int bitmapAt = pos;
            byte[] bitmap = bytes(sizeofSelect, f + ".pcrSelect");
            SortedSet<Integer> pcrs;
            try {
                pcrs = PcrSelection.pcrsOfBitmap(bitmap);
            } catch (IllegalArgumentException e) {
                throw errors.malformed(MalformedQuoteException.Kind.BAD_VALUE, f + ".pcrSelect", bitmapAt, e.getMessage());
            }
            bank.ifPresent(b -> out.add(new PcrSelection(b, pcrs)));
        }
        return Collections.unmodifiableList(out);
    }
}

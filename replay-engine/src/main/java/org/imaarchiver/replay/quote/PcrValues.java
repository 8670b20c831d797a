package org.imaarchiver.replay.quote;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;

/**
 * PCR values as tpm2-tools writes them next to a quote: the "serialized" {@code tpm2_quote -o} file
 * and {@code tpm2_pcrread} YAML (kernel-interface.md T.4.3). These are <b>claims</b>, read outside the quote;
 * they mean something only when their digest equals a verified quote's pcrDigest
 * ({@link QuoteVerifier#checkPcrDigest}).
 */
public record PcrValues(SortedMap<PcrBank, Digest> values) {
    /** The serialized file: TPML_PCR_SELECTION dump (132 B) + u32 block count + blocks of 532 B. */
    static final int SELECTION_DUMP = 4 + 16 * 8;
    /** One TPML_DIGEST dump: u32 count + 8 x (u16 size + 64 B). */
    static final int DIGEST_BLOCK = 4 + 8 * 66;
    /** At most 16 banks x 24 PCRs, 8 per block: 48 blocks. */
    static final int MAX_BLOCKS = 48;
    /** A pcrread YAML for every PCR of four banks is about 10 KiB. */
    static final int MAX_YAML = 256 * 1024;

    public PcrValues {
        TreeMap<PcrBank, Digest> copy = new TreeMap<>();
        for (var e : values.entrySet()) {
            if (e.getValue().length() != e.getKey().algorithm().digestLength()) {
                throw new IllegalArgumentException("value for " + e.getKey() + " has " + e.getValue().length() + " bytes");
            }
            copy.put(e.getKey(), e.getValue());
        }
        values = Collections.unmodifiableSortedMap(copy);
    }

    public Optional<Digest> find(PcrBank pcr) { return Optional.ofNullable(values.get(pcr)); }

    /**
     * Reads tpm2-tools 5.4 {@code -F serialized} output. Despite the name it is a host-endian dump of
     * C structs (kernel-interface.md T.4.3); the byte order is detected from the selection count (at most 16).
     * Digests are listed flat in selection order, PCRs ascending within a bank.
     */
    public static PcrValues parseSerialized(byte[] in) throws MalformedQuoteException {
        if (in.length < SELECTION_DUMP + 4) {
            throw new MalformedQuoteException(MalformedQuoteException.Kind.TRUNCATED, "serialized PCRs", in.length,
                    in.length + " bytes, a serialized PCR file has at least " + (SELECTION_DUMP + 4));
        }
        boolean little = u32(in, 0, true) <= TpmReader.MAX_SELECTIONS;
        if (!little && u32(in, 0, false) > TpmReader.MAX_SELECTIONS) {
            throw new MalformedQuoteException(MalformedQuoteException.Kind.BAD_VALUE, "TPML_PCR_SELECTION.count", 0,
                    "count exceeds " + TpmReader.MAX_SELECTIONS + " in either byte order");
        }
        long count = u32(in, 0, little);
        List<PcrSelection> selection = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int at = 4 + i * 8;
            String f = "TPML_PCR_SELECTION.pcrSelections[" + i + "]";
            int alg = u16(in, at, little);
            HashAlgorithm bank = HashAlgorithm.byTpmAlgId(alg).orElseThrow(() -> new MalformedQuoteException(
                    MalformedQuoteException.Kind.UNSUPPORTED_ALGORITHM, f + ".hash", at, String.format("hash algorithm 0x%04x", alg)));
            int sizeofSelect = in[at + 2] & 0xff;
            if (sizeofSelect > TpmReader.MAX_SIZEOF_SELECT) {
                throw new MalformedQuoteException(MalformedQuoteException.Kind.BAD_VALUE, f + ".sizeofSelect", at + 2,
                        sizeofSelect + " exceeds " + TpmReader.MAX_SIZEOF_SELECT);
            }
            byte[] bitmap = java.util.Arrays.copyOfRange(in, at + 3, at + 3 + sizeofSelect);
            try {
                selection.add(new PcrSelection(bank, PcrSelection.pcrsOfBitmap(bitmap)));
            } catch (IllegalArgumentException e) {
                throw new MalformedQuoteException(MalformedQuoteException.Kind.BAD_VALUE, f + ".pcrSelect", at + 3, e.getMessage());
            }
        }
        long blocks = u32(in, SELECTION_DUMP, little);
        if (blocks > MAX_BLOCKS || in.length != SELECTION_DUMP + 4 + blocks * DIGEST_BLOCK) {
            throw new MalformedQuoteException(MalformedQuoteException.Kind.BAD_VALUE, "tpm2_pcrs.count", SELECTION_DUMP,
                    blocks + " digest blocks do not fit a file of " + in.length + " bytes");
        }
        List<Digest> flat = new ArrayList<>();
        for (int b = 0; b < blocks; b++) {
            int blockAt = SELECTION_DUMP + 4 + b * DIGEST_BLOCK;
            long n = u32(in, blockAt, little);
            if (n > 8) {
                throw new MalformedQuoteException(MalformedQuoteException.Kind.BAD_VALUE, "TPML_DIGEST.count", blockAt,
                        n + " digests exceeds 8");
            }
            for (int d = 0; d < n; d++) {
                int at = blockAt + 4 + d * 66;
                int size = u16(in, at, little);
                if (size > Quote.MAX_DIGEST) {
                    throw new MalformedQuoteException(MalformedQuoteException.Kind.BAD_VALUE, "TPM2B_DIGEST.size", at,
                            "size " + size + " exceeds " + Quote.MAX_DIGEST);
                }
                flat.add(Digest.of(in, at + 2, size));
            }
        }
        TreeMap<PcrBank, Digest> values = new TreeMap<>();
        int next = 0;
        for (PcrSelection s : selection) {
            for (int pcr : s.pcrs()) {
                PcrBank key = PcrBank.of(pcr, s.bank());
                if (next >= flat.size()) {
                    throw new MalformedQuoteException(MalformedQuoteException.Kind.BAD_VALUE, "TPML_DIGEST", SELECTION_DUMP,
                            "no value for " + key + ": only " + flat.size() + " digests");
                }
                Digest v = flat.get(next++);
                if (v.length() != s.bank().digestLength()) {
                    throw new MalformedQuoteException(MalformedQuoteException.Kind.BAD_VALUE, "TPM2B_DIGEST", SELECTION_DUMP,
                            "value for " + key + " has " + v.length() + " bytes");
                }
                values.put(key, v);
            }
        }
        if (next != flat.size()) {
            throw new MalformedQuoteException(MalformedQuoteException.Kind.BAD_VALUE, "TPML_DIGEST", SELECTION_DUMP,
                    flat.size() + " digests for " + next + " selected PCRs");
        }
        return new PcrValues(values);
    }

    /**
     * Reads {@code tpm2_pcrread} YAML: bank lines {@code "  sha256:"} followed by
     * {@code "    10: 0x<hex>"} lines. A bank outside {@link HashAlgorithm} fails closed. The offset of
     * an error is the 1-based line number.
     */
    public static PcrValues parsePcrreadYaml(String yaml) throws MalformedQuoteException {
        if (yaml.length() > MAX_YAML) {
            throw new MalformedQuoteException(MalformedQuoteException.Kind.BAD_VALUE, "pcrread YAML", 0,
                    yaml.length() + " chars exceeds " + MAX_YAML);
        }
        TreeMap<PcrBank, Digest> values = new TreeMap<>();
        HashAlgorithm bank = null;
        String[] lines = yaml.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            int lineNo = i + 1;
            if (line.isEmpty() || line.startsWith("#") || line.equals("pcrs:")) continue;
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new MalformedQuoteException(MalformedQuoteException.Kind.BAD_VALUE, "pcrread YAML", lineNo, "no key");
            }
            String key = line.substring(0, colon).strip();
            String value = line.substring(colon + 1).strip();
            if (value.isEmpty()) {
                bank = HashAlgorithm.byKernelName(key).orElseThrow(() -> new MalformedQuoteException(
                        MalformedQuoteException.Kind.UNSUPPORTED_ALGORITHM, "pcrread YAML bank", lineNo, "bank " + key));
                continue;
            }
            if (bank == null) {
                throw new MalformedQuoteException(MalformedQuoteException.Kind.BAD_VALUE, "pcrread YAML", lineNo,
                        "PCR value before any bank");
            }
            int pcr;
            Digest d;
            try {
                pcr = Integer.parseInt(key);
                String hex = value.startsWith("0x") || value.startsWith("0X") ? value.substring(2) : value;
                d = Digest.ofHex(hex);
            } catch (IllegalArgumentException e) {
                throw new MalformedQuoteException(MalformedQuoteException.Kind.BAD_VALUE, "pcrread YAML value", lineNo,
                        "not 'index: 0xhex'");
            }
            if (pcr < 0 || pcr > PcrBank.MAX_PCR || d.length() != bank.digestLength()) {
                throw new MalformedQuoteException(MalformedQuoteException.Kind.BAD_VALUE, "pcrread YAML value", lineNo,
                        "PCR " + pcr + " with " + d.length() + " bytes in bank " + bank);
            }
            if (values.put(PcrBank.of(pcr, bank), d) != null) {
                throw new MalformedQuoteException(MalformedQuoteException.Kind.BAD_VALUE, "pcrread YAML value", lineNo,
                        "duplicate " + PcrBank.of(pcr, bank));
            }
        }
        return new PcrValues(values);
    }

    private static long u32(byte[] b, int at, boolean little) {
        long b0 = b[at] & 0xff, b1 = b[at + 1] & 0xff, b2 = b[at + 2] & 0xff, b3 = b[at + 3] & 0xff;
        return little ? b0 | b1 << 8 | b2 << 16 | b3 << 24 : b3 | b2 << 8 | b1 << 16 | b0 << 24;
    }

    private static int u16(byte[] b, int at, boolean little) {
        int b0 = b[at] & 0xff, b1 = b[at + 1] & 0xff;
        return little ? b0 | b1 << 8 : b1 | b0 << 8;
    }
}

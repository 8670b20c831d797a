package org.imaarchiver.replay.replay;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.ExtendMode;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;

/**
 * A deliberately plain, single-threaded replay written straight from kernel-interface.md B.7, B.8, B.10,
 * sharing no code with {@link Replayer}: the independent computation the tests compare against.
 */
final class ReferenceReplay {
    private ReferenceReplay() {}

    /** The bytes the kernel hashes for the template digest (B.7). */
    static byte[] hashInput(MeasurementRecord r) {
        byte[] data = r.templateData().toArray();
        if (!r.isImaTemplate()) return data;
        int nlen = ByteBuffer.wrap(data, 20, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        byte[] in = new byte[20 + 256];
        System.arraycopy(data, 0, in, 0, 20);
        System.arraycopy(data, 24, in, 20, nlen);
        return in;
    }

    static byte[] hash(HashAlgorithm a, byte[]... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance(a.jcaName());
            for (byte[] p : parts) md.update(p);
            return md.digest();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Replays from zero PCRs. */
    static SortedMap<PcrBank, Digest> replay(Iterable<MeasurementRecord> records, Map<HashAlgorithm, ExtendMode> modes) {
        return replay(records, modes, new TreeMap<>());
    }

    static SortedMap<PcrBank, Digest> replay(Iterable<MeasurementRecord> records, Map<HashAlgorithm, ExtendMode> modes,
                                             SortedMap<PcrBank, Digest> start) {
        SortedMap<PcrBank, Digest> pcrs = new TreeMap<>(start);
        for (MeasurementRecord r : records) {
            boolean violation = Arrays.equals(r.templateDigest().bytes(), new byte[r.templateDigest().length()]);
            for (var e : modes.entrySet()) {
                HashAlgorithm bank = e.getKey();
                int len = bank.digestLength();
                boolean padded = e.getValue() == ExtendMode.SHA1_ZERO_PADDED;
                byte[] value = new byte[len];
                if (violation) {
                    Arrays.fill(value, 0, padded ? Math.min(20, len) : len, (byte) 0xFF);
                } else if (padded) {
                    byte[] sha1 = hash(HashAlgorithm.SHA1, hashInput(r));
                    value = Arrays.copyOf(sha1, len);
                } else {
                    value = hash(bank, hashInput(r));
                }
                PcrBank k = PcrBank.of(r.pcr(), bank);
                byte[] old = pcrs.containsKey(k) ? pcrs.get(k).bytes() : new byte[len];
                pcrs.put(k, Digest.wrap(hash(bank, old, value)));
            }
        }
        return pcrs;
    }
}

package org.imaarchiver.replay.replay;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/** Generated records (ima, ima-ng, ima-sig, violations, several PCRs) with correct stored digests. */
final class SyntheticLog {
    private SyntheticLog() {}

    /** Shape of the generated log. */
    record Shape(HashAlgorithm fileBank, double violationRate, int[] pcrs, boolean mixTemplates) {
        static Shape mixed(HashAlgorithm fileBank) {
            return new Shape(fileBank, 0.03, new int[] {10, 10, 10, 11, 4, 23, 0}, true);
        }

        /** Typical production: ima-ng on PCR 10, no violations. */
        static Shape imaNg() {
            return new Shape(HashAlgorithm.SHA1, 0, new int[] {10}, false);
        }
    }

    static List<MeasurementRecord> generate(long seed, int count, Shape shape) {
        Random rnd = new Random(seed);
        List<MeasurementRecord> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(record(rnd, i, shape));
        return out;
    }

    static MeasurementRecord record(Random rnd, long index, Shape shape) {
        int pcr = shape.pcrs()[rnd.nextInt(shape.pcrs().length)];
        boolean violation = rnd.nextDouble() < shape.violationRate();
        int kind = shape.mixTemplates() ? rnd.nextInt(3) : 1;
        String name = "/usr/lib/x86_64-linux-gnu/lib" + Long.toHexString(rnd.nextLong()) + ".so." + rnd.nextInt(10);
        byte[] fileDigest = new byte[kind == 0 ? 20 : 32];
        rnd.nextBytes(fileDigest);
        String templateName;
        byte[] data;
        if (kind == 0) {
            templateName = "ima";
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            data = cat(fileDigest, le(n.length), n);
        } else {
            byte[] dng = cat("sha256:".getBytes(StandardCharsets.US_ASCII), new byte[1], fileDigest);
            byte[] nng = cat(name.getBytes(StandardCharsets.UTF_8), new byte[1]);
            if (kind == 1) {
                templateName = "ima-ng";
                data = cat(le(dng.length), dng, le(nng.length), nng);
            } else {
                templateName = "ima-sig";
                byte[] sig = new byte[rnd.nextBoolean() ? 0 : 9 + rnd.nextInt(300)];
                rnd.nextBytes(sig);
                data = cat(le(dng.length), dng, le(nng.length), nng, le(sig.length), sig);
            }
        }
        return build(index, pcr, templateName, data, shape.fileBank(), violation);
    }

    /** A record with the stored digest computed by the reference rule (zeros for a violation). */
    static MeasurementRecord build(long index, int pcr, String templateName, byte[] data, HashAlgorithm fileBank,
                                   boolean violation) {
        MeasurementRecord draft = new MeasurementRecord(index, 0, pcr, Digest.zeros(fileBank.digestLength()), templateName,
                Bytes.wrap(data), ByteOrder.LITTLE_ENDIAN, Bytes.EMPTY);
        byte[] stored = violation ? new byte[fileBank.digestLength()] : ReferenceReplay.hash(fileBank, ReferenceReplay.hashInput(draft));
        byte[] nameBytes = templateName.getBytes(StandardCharsets.UTF_8);
        byte[] raw = "ima".equals(templateName)
                ? cat(le(pcr), stored, le(nameBytes.length), nameBytes, data)
                : cat(le(pcr), stored, le(nameBytes.length), nameBytes, le(data.length), data);
        return new MeasurementRecord(index, 0, pcr, Digest.wrap(stored), templateName, Bytes.wrap(data),
                ByteOrder.LITTLE_ENDIAN, Bytes.wrap(raw));
    }

    /** The same record at another index and offset. */
    static MeasurementRecord reindex(MeasurementRecord r, long index, long offset) {
        return new MeasurementRecord(index, offset, r.pcr(), r.templateDigest(), r.templateName(), r.templateData(),
                r.byteOrder(), r.raw());
    }

    /** {@code count} records cycling through a pre-generated pool, re-indexed (cheap, for throughput runs). */
    static RecordSource cycling(List<MeasurementRecord> pool, long count) {
        long[] next = {0};
        long[] offset = {0};
        return () -> {
            if (next[0] >= count) return Optional.empty();
            MeasurementRecord r = pool.get((int) (next[0] % pool.size()));
            MeasurementRecord out = reindex(r, next[0]++, offset[0]);
            offset[0] += r.raw().length();
            return Optional.of(out);
        };
    }

    static byte[] le(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }
}

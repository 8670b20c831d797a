package org.imaarchiver.archive.chain;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;

/**
 * A generated ima-ng list of one boot (kernel-interface.md B.3/B.5): record 0 is the boot_aggregate
 * (sha256 d-ng), then file records on PCR 10; template digests are SHA-1 over the template data
 * (B.7), little-endian, as in the legacy binary_runtime_measurements.
 */
public final class GeneratedList {
    public final List<MeasurementRecord> records = new ArrayList<>();

    public GeneratedList(long seed, int count) throws Exception {
        Random rnd = new Random(seed);
        byte[] ba = new byte[32];
        rnd.nextBytes(ba);
        long offset = 0;
        for (int i = 0; i < count; i++) {
            byte[] digest = new byte[32];
            rnd.nextBytes(digest);
            byte[] data = templateData(i == 0 ? ba : digest, i == 0 ? "boot_aggregate" : "/usr/bin/tool-" + seed + "-" + i);
            MeasurementRecord r = record(i, offset, data);
            records.add(r);
            offset += r.raw().length();
        }
    }

    public byte[] bytes(int upTo) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (int i = 0; i < upTo; i++) o.writeBytes(records.get(i).raw().toArray());
        return o.toByteArray();
    }

    public static byte[] templateData(byte[] fileDigest, String name) {
        byte[] dng = FakeTpm.concat("sha256:\0".getBytes(StandardCharsets.US_ASCII), fileDigest);
        byte[] nng = (name + "\0").getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + dng.length + nng.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(dng.length).put(dng).putInt(nng.length).put(nng);
        return b.array();
    }

    public static MeasurementRecord record(long index, long offset, byte[] data) throws Exception {
        byte[] td = FakeTpm.h("SHA-1", data);
        byte[] name = "ima-ng".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(4 + 20 + 4 + name.length + 4 + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(10).put(td).putInt(name.length).put(name).putInt(data.length).put(data);
        return new MeasurementRecord(index, offset, 10, Digest.of(td), "ima-ng", Bytes.wrap(data), ByteOrder.LITTLE_ENDIAN,
                Bytes.wrap(b.array()));
    }
}

package org.imaarchiver.archive.segment;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;

/** Test-only splitter of little-endian binary lists with 20-byte template digests (kernel-interface.md B.3). */
final class BinaryLists {
    private BinaryLists() {}

    static List<MeasurementRecord> read(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        List<MeasurementRecord> out = new ArrayList<>();
        while (b.hasRemaining()) {
            int start = b.position();
            int pcr = b.getInt();
            Digest d = Digest.of(all, b.position(), 20);
            b.position(b.position() + 20);
            int nlen = b.getInt();
            String name = new String(all, b.position(), nlen, StandardCharsets.US_ASCII);
            b.position(b.position() + nlen);
            int dataStart;
            int dataLen;
            if (name.equals("ima")) {
                dataStart = b.position();
                b.position(dataStart + 20);
                int fn = b.getInt();
                b.position(b.position() + fn);
                dataLen = b.position() - dataStart;
            } else {
                dataLen = b.getInt();
                dataStart = b.position();
                b.position(dataStart + dataLen);
            }
            out.add(new MeasurementRecord(out.size(), start, pcr, d, name, Bytes.of(all, dataStart, dataLen), ByteOrder.LITTLE_ENDIAN,
                    Bytes.of(all, start, b.position() - start)));
        }
        return out;
    }
}

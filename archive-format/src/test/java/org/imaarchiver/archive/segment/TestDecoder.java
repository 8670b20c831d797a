package org.imaarchiver.archive.segment;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.imaarchiver.replay.log.Bytes;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.template.DecodedRecord;

/**
 * Test-only stand-in for the replay engine's RecordDecoder: ima-ng, ima-sig (and d-ng|n-ng[|sig]
 * layouts generally), fields as u32 length + bytes (ima-kernel.md B.5). Other templates get a view
 * without file fields.
 */
final class TestDecoder {
    private TestDecoder() {}

    static DecodedRecord decode(MeasurementRecord r) {
        if (!r.templateName().equals("ima-ng") && !r.templateName().equals("ima-sig")) {
            return new DecodedRecord(r.index(), r.pcr(), r.templateName(), r.isViolation(), Optional.empty(), Optional.empty(),
                    Optional.empty(), Optional.empty(), false, Optional.empty(), Optional.empty());
        }
        ByteBuffer b = r.templateData().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        List<byte[]> fields = new ArrayList<>();
        while (b.hasRemaining()) {
            byte[] f = new byte[b.getInt()];
            b.get(f);
            fields.add(f);
        }
        byte[] dng = fields.get(0);
        int colon = 0;
        while (dng[colon] != ':') colon++;
        String alg = new String(dng, 0, colon, StandardCharsets.US_ASCII);
        Digest fileDigest = Digest.of(dng, colon + 2, dng.length - colon - 2);
        byte[] n = fields.get(1);
        String name = new String(n, 0, n.length - 1, StandardCharsets.UTF_8);
        Optional<Bytes> sig = fields.size() > 2 && fields.get(2).length > 0 ? Optional.of(Bytes.wrap(fields.get(2))) : Optional.empty();
        return new DecodedRecord(r.index(), r.pcr(), r.templateName(), r.isViolation(), Optional.of(alg), Optional.empty(),
                Optional.of(fileDigest), Optional.of(name), sig.isPresent(), sig, Optional.empty());
    }
}

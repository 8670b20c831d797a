package org.imaarchiver.replay.log;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.imaarchiver.replay.testsupport.TestData;

/** Test helpers: read whole lists, and an independent little- to big-endian converter. */
public final class LogFiles {
    private LogFiles() {}

    public static Path ima(String relative) { return TestData.ima(relative); }

    public static List<MeasurementRecord> readAll(LogReader reader) throws IOException, MalformedLogException {
        List<MeasurementRecord> out = new ArrayList<>();
        for (Optional<MeasurementRecord> r = reader.next(); r.isPresent(); r = reader.next()) out.add(r.get());
        return out;
    }

    public static List<MeasurementRecord> readBinary(byte[] bytes, LogReadOptions options)
            throws IOException, MalformedLogException {
        return readAll(BinaryLogReader.open(new ByteArrayInputStream(bytes), options));
    }

    public static List<MeasurementRecord> readFile(Path p) throws IOException, MalformedLogException {
        try (InputStream in = Files.newInputStream(p)) {
            return readAll(LogFormat.open(in, LogReadOptions.of(p.getFileName().toString())));
        }
    }

    /**
     * Rewrites a little-endian binary list with SHA-1-sized (or {@code digestSize}) template digests
     * as a big-endian producer would write it (kernel-interface.md B.2, B.3): the PCR, name length, data
     * length, every field length, the ima name length, and the integer contents of xattrlengths,
     * iuid, igid and imode. Written from the spec, independently of the reader.
     */
    public static byte[] toBigEndian(byte[] le, int digestSize) {
        ByteBuffer in = ByteBuffer.wrap(le).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocate(le.length).order(ByteOrder.BIG_ENDIAN);
        while (in.hasRemaining()) {
            out.putInt(in.getInt());
            byte[] digest = new byte[digestSize];
            in.get(digest);
            out.put(digest);
            int nameLength = in.getInt();
            byte[] name = new byte[nameLength];
            in.get(name);
            out.putInt(nameLength).put(name);
            String template = new String(name, java.nio.charset.StandardCharsets.US_ASCII);
            if (template.equals("ima")) {
                byte[] d = new byte[20];
                in.get(d);
                int nlen = in.getInt();
                byte[] n = new byte[nlen];
                in.get(n);
                out.put(d).putInt(nlen).put(n);
                continue;
            }
            String[] fields = switch (template) {
                case "ima-ng" -> new String[] {"d-ng", "n-ng"};
                case "ima-sig" -> new String[] {"d-ng", "n-ng", "sig"};
                case "ima-ngv2" -> new String[] {"d-ngv2", "n-ng"};
                case "ima-sigv2" -> new String[] {"d-ngv2", "n-ng", "sig"};
                case "ima-buf" -> new String[] {"d-ng", "n-ng", "buf"};
                case "ima-modsig" -> new String[] {"d-ng", "n-ng", "sig", "d-modsig", "modsig"};
                case "evm-sig" -> new String[] {"d-ng", "n-ng", "evmsig", "xattrnames", "xattrlengths",
                        "xattrvalues", "iuid", "igid", "imode"};
                default -> template.split("\\|");
            };
            out.putInt(in.getInt());
            for (String f : fields) {
                int len = in.getInt();
                byte[] v = new byte[len];
                in.get(v);
                if (f.equals("xattrlengths")) {
                    ByteBuffer src = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
                    ByteBuffer dst = ByteBuffer.allocate(len).order(ByteOrder.BIG_ENDIAN);
                    while (src.hasRemaining()) dst.putInt(src.getInt());
                    v = dst.array();
                } else if (f.equals("iuid") || f.equals("igid") || f.equals("imode")) {
                    for (int i = 0; i < len / 2; i++) {
                        byte t = v[i];
                        v[i] = v[len - 1 - i];
                        v[len - 1 - i] = t;
                    }
                }
                out.putInt(len).put(v);
            }
        }
        return out.array();
    }
}

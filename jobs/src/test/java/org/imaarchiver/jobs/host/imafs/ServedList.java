package org.imaarchiver.jobs.host.imafs;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Test-side reading of what the emulator serves: read to EOF through real read(2) calls, and an
 * independent parse of the binary list (kernel-interface.md B.3) and template digest (B.7). Kept apart
 * from production parsing on purpose, so the emulator and the archiver's parser check each other.
 */
final class ServedList {
    private ServedList() {}

    /** One binary record. */
    record Rec(int pcr, byte[] digest, String template, byte[] data) {}

    static byte[] readAll(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readToEof(ch);
        }
    }

    static byte[] readToEof(FileChannel ch) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(8192);
        while (ch.read(buf) >= 0) {
            out.write(buf.array(), 0, buf.position());
            buf.clear();
        }
        return out.toByteArray();
    }

    static List<Rec> parse(byte[] list, int digestSize) {
        ByteBuffer b = ByteBuffer.wrap(list).order(ByteOrder.LITTLE_ENDIAN);
        List<Rec> recs = new ArrayList<>();
        while (b.hasRemaining()) {
            int pcr = b.getInt();
            byte[] digest = new byte[digestSize];
            b.get(digest);
            byte[] name = new byte[b.getInt()];
            b.get(name);
            String template = new String(name, StandardCharsets.US_ASCII);
            byte[] data;
            if (template.equals("ima")) {
                // B.3: no data length; d(20) | nlen | name
                ByteBuffer head = b.slice().order(ByteOrder.LITTLE_ENDIAN);
                int nlen = head.getInt(20);
                data = new byte[24 + nlen];
            } else {
                data = new byte[b.getInt()];
            }
            b.get(data);
            recs.add(new Rec(pcr, digest, template, data));
        }
        return recs;
    }

    static String javaName(String bank) {
        return switch (bank) {
            case "sha1" -> "SHA-1";
            case "sha256" -> "SHA-256";
            case "sha384" -> "SHA-384";
            case "sha512" -> "SHA-512";
            default -> throw new IllegalArgumentException(bank);
        };
    }

    /** B.7: H(template data), or for `ima` H(d || name zero-padded to 256 bytes). */
    static byte[] templateDigest(String bank, String template, byte[] data) {
        try {
            MessageDigest md = MessageDigest.getInstance(javaName(bank));
            if (template.equals("ima")) {
                md.update(data, 0, 20);
                md.update(Arrays.copyOf(Arrays.copyOfRange(data, 24, data.length), 256));
            } else {
                md.update(data);
            }
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Replays one PCR of one bank from a parsed list: zeros stored mean 0xFF extended (B.8). */
    static byte[] replay(List<Rec> recs, int pcr, String bank) throws NoSuchAlgorithmException {
        MessageDigest md = MessageDigest.getInstance(javaName(bank));
        byte[] value = new byte[md.getDigestLength()];
        for (Rec r : recs) {
            if (r.pcr() != pcr) continue;
            byte[] extend = Arrays.equals(r.digest(), new byte[r.digest().length])
                    ? filled(value.length, (byte) 0xff)
                    : templateDigest(bank, r.template(), r.data());
            md.update(value);
            md.update(extend);
            value = md.digest();
        }
        return value;
    }

    private static byte[] filled(int n, byte v) {
        byte[] b = new byte[n];
        Arrays.fill(b, v);
        return b;
    }
}

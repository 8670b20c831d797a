package org.imaarchiver.archive.segment;

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
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * Test-only generator of binary ima-ng / ima-sig records (kernel-interface.md B.3, B.5) with realistic,
 * repetitive paths, unique sha256 file digests and SHA-1 template digests over the template data
 * (the legacy {@code binary_runtime_measurements} layout). Offsets are cumulative from 0.
 */
final class ImaRecordGenerator {
    private static final String[] DIRS = {
        "/usr/bin/", "/usr/sbin/", "/usr/lib/x86_64-linux-gnu/", "/usr/lib/systemd/", "/usr/lib/systemd/system-generators/",
        "/usr/lib/python3.12/", "/usr/lib/python3.12/encodings/", "/usr/lib/python3/dist-packages/apt/",
        "/usr/lib/modules/6.8.0-45-generic/kernel/drivers/net/", "/usr/lib/modules/6.8.0-45-generic/kernel/fs/",
        "/etc/", "/etc/systemd/system/", "/etc/ld.so.cache.d/", "/usr/libexec/", "/usr/share/perl/5.38/",
        "/var/lib/dpkg/info/", "/opt/app/lib/", "/usr/lib/jvm/java-17-openjdk-amd64/lib/"};
    private static final String[] STEMS = {
        "libc", "libssl", "libcrypto", "libsystemd", "libz", "libpthread", "libselinux", "libpcre2-8", "libgcc_s",
        "bash", "python3.12", "sshd", "systemctl", "journalctl", "udevadm", "ip", "mount", "kmod", "apt", "dpkg",
        "codecs", "utf_8", "__init__", "functools", "collections", "ext4", "e1000e", "libjvm", "libnss_files"};
    private static final String[] SUFFIXES = {".so.6", ".so.3", ".so", ".py", ".pyc", ".ko.zst", "", ".conf", ".service", ".list"};

    private final Random random;
    private final boolean signatures;
    private long index;
    private long offset;

    ImaRecordGenerator(long seed, long firstIndex, boolean signatures) {
        this.random = new Random(seed);
        this.signatures = signatures;
        this.index = firstIndex;
    }

    static List<MeasurementRecord> generate(long seed, long firstIndex, int count, boolean signatures) {
        ImaRecordGenerator g = new ImaRecordGenerator(seed, firstIndex, signatures);
        List<MeasurementRecord> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(g.next());
        return out;
    }

    MeasurementRecord next() {
        String path;
        if (index == 0) {
            path = "boot_aggregate";
        } else {
            path = DIRS[random.nextInt(DIRS.length)] + STEMS[random.nextInt(STEMS.length)]
                    + (random.nextInt(3) == 0 ? "-" + random.nextInt(40) : "") + SUFFIXES[random.nextInt(SUFFIXES.length)];
        }
        byte[] fileDigest = new byte[32];
        random.nextBytes(fileDigest);
        byte[] sig = new byte[0];
        if (signatures && index > 0 && random.nextInt(4) != 0) {
            // ima_digsig header (B.5): type 3, version 2, hash algo 4 (sha256), key id, BE size, RSA-2048 signature.
            ByteBuffer s = ByteBuffer.allocate(9 + 256);
            s.put((byte) 3).put((byte) 2).put((byte) 4).putInt(0x8d1a2f3c).putShort((short) 256);
            byte[] rsa = new byte[256];
            random.nextBytes(rsa);
            s.put(rsa);
            sig = s.array();
        }
        String template = signatures ? "ima-sig" : "ima-ng";
        MeasurementRecord r = build(index, offset, 10, template, fileDigest, path, signatures ? sig : null,
                index > 0 && index % 997 == 0);
        index++;
        offset += r.raw().length();
        return r;
    }

    /** One record; {@code sig} null means the template has no sig field. */
    static MeasurementRecord build(long index, long offset, int pcr, String template, byte[] fileDigest, String path,
                                   byte[] sig, boolean violation) {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        byte[] prefix = "sha256:\0".getBytes(StandardCharsets.US_ASCII);
        u32(data, prefix.length + fileDigest.length);
        data.writeBytes(prefix);
        data.writeBytes(fileDigest);
        byte[] name = (path + "\0").getBytes(StandardCharsets.UTF_8);
        u32(data, name.length);
        data.writeBytes(name);
        if (sig != null) {
            u32(data, sig.length);
            data.writeBytes(sig);
        }
        byte[] td = data.toByteArray();
        Digest templateDigest = violation ? Digest.zeros(20) : Digest.wrap(HashAlgorithm.SHA1.newDigest().digest(td));
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        u32(raw, pcr);
        raw.writeBytes(templateDigest.bytes());
        byte[] tn = template.getBytes(StandardCharsets.US_ASCII);
        u32(raw, tn.length);
        raw.writeBytes(tn);
        u32(raw, td.length);
        raw.writeBytes(td);
        return new MeasurementRecord(index, offset, pcr, templateDigest, template, Bytes.wrap(td), ByteOrder.LITTLE_ENDIAN,
                Bytes.wrap(raw.toByteArray()));
    }

    private static void u32(ByteArrayOutputStream out, int v) {
        out.write(v);
        out.write(v >>> 8);
        out.write(v >>> 16);
        out.write(v >>> 24);
    }
}

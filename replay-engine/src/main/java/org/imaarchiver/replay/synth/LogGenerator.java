package org.imaarchiver.replay.synth;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;

/**
 * Writes realistic synthetic binary IMA measurement lists (kernel-interface.md B.3–B.5), deterministic by
 * seed, streaming (memory does not grow with the record count).
 *
 * <p>The list starts with an {@code ima-ng} {@code boot_aggregate} on PCR 10 (B.9), then mixes
 * {@code ima-ng}, {@code ima-sig} (with and without a signature), {@code ima-buf} (kexec-cmdline,
 * critical data, keys), the legacy {@code ima} template and the custom format {@code d-ng|n-ng}.
 * Violations store an all-zero template digest (B.8). The stored template digest is SHA-1
 * (20 bytes, the legacy file) or the bank's own size (a per-bank file, B.1). Integers are
 * little-endian (B.2).
 *
 * <p>It computes template digests and the expected PCR values itself (B.7, B.8, B.10 type 2), with
 * code independent of the replay engine, so its {@link Summary#expectedPcrs()} is an oracle for tests.
 */
public final class LogGenerator {
    /** The kernel's HASH_ALGO_* numbers, used in the signature header (kernel-interface.md B.5 sig). */
    private static final int HASH_ALGO_SHA1 = 2;
    private static final int HASH_ALGO_SHA256 = 4;
    private static final int HASH_ALGO_SHA512 = 6;
    /** IMA_EVENT_NAME_LEN_MAX + 1: the {@code ima} template hashes the name in this many bytes (B.7). */
    private static final int IMA_NAME_FIELD = 256;
    private static final byte[] BOOT_AGGREGATE = "boot_aggregate".getBytes(StandardCharsets.US_ASCII);

    /**
     * What to generate.
     *
     * @param seed           makes the output reproducible
     * @param storedDigest   algorithm of the template digest stored in each record: SHA1 for the legacy
     *                       {@code binary_runtime_measurements}, else a per-bank file
     * @param violationRate  fraction of records (after boot_aggregate) that are violations
     * @param signatureRate  fraction of {@code ima-sig} records that carry a signature
     * @param otherPcrRate   fraction of records on PCR 11 or 12 instead of 10 (policy {@code pcr=})
     * @param imaTemplateRate fraction of file records in the legacy {@code ima} template. Default 0:
     *                       a kernel uses one template per boot for files, and evmctl refuses lists
     *                       mixing {@code ima} with other templates. 1 makes a pure {@code ima} list
     *                       (boot_aggregate included).
     * @param expectedBanks  banks whose PCR values the generator tracks (empty = none, fastest)
     */
    public record Options(long seed, HashAlgorithm storedDigest, double violationRate, double signatureRate,
                          double otherPcrRate, double imaTemplateRate, Set<HashAlgorithm> expectedBanks) {
        public Options {
            Objects.requireNonNull(storedDigest, "storedDigest");
            expectedBanks = expectedBanks.isEmpty() ? Set.of()
                    : Collections.unmodifiableSet(EnumSet.copyOf(expectedBanks));
            checkRate("violationRate", violationRate);
            checkRate("signatureRate", signatureRate);
            checkRate("otherPcrRate", otherPcrRate);
            checkRate("imaTemplateRate", imaTemplateRate);
        }

        private static void checkRate(String name, double r) {
            if (!(r >= 0 && r <= 1)) throw new IllegalArgumentException(name + " must be in [0,1]: " + r);
        }

        /** Realistic defaults: legacy SHA-1 digests, 0.2% violations, half the ima-sig records signed. */
        public static Options defaults(long seed) {
            return new Options(seed, HashAlgorithm.SHA1, 0.002, 0.5, 0.05, 0,
                    EnumSet.of(HashAlgorithm.SHA1, HashAlgorithm.SHA256));
        }

        public Options withStoredDigest(HashAlgorithm a) {
            return new Options(seed, a, violationRate, signatureRate, otherPcrRate, imaTemplateRate, expectedBanks);
        }

        public Options withViolationRate(double r) {
            return new Options(seed, storedDigest, r, signatureRate, otherPcrRate, imaTemplateRate, expectedBanks);
        }

        public Options withSignatureRate(double r) {
            return new Options(seed, storedDigest, violationRate, r, otherPcrRate, imaTemplateRate, expectedBanks);
        }

        public Options withOtherPcrRate(double r) {
            return new Options(seed, storedDigest, violationRate, signatureRate, r, imaTemplateRate, expectedBanks);
        }

        public Options withImaTemplateRate(double r) {
            return new Options(seed, storedDigest, violationRate, signatureRate, otherPcrRate, r, expectedBanks);
        }

        public Options withExpectedBanks(Set<HashAlgorithm> banks) {
            return new Options(seed, storedDigest, violationRate, signatureRate, otherPcrRate, imaTemplateRate, banks);
        }
    }

    /** One generated record as the TPM sees it: what to extend into which PCR per tracked bank. */
    public record GeneratedRecord(long index, int pcr, String templateName, boolean violation,
                                  Map<HashAlgorithm, Digest> extendValues) {}

    /** Receives every generated record (e.g. to extend a TPM); only called when registered. */
    @FunctionalInterface
    public interface RecordSink {
        void accept(GeneratedRecord record) throws IOException;
    }

    /**
     * What was written.
     *
     * @param firstIndex    absolute index of the first record written by this call
     * @param records       records written by this call
     * @param violations    violations among them
     * @param bytes         bytes written by this call
     * @param expectedPcrs  PCR values after the last record for the tracked banks, computed
     *                      independently (all PCRs the generated list touched, from the start of
     *                      the list when the state was carried, see {@link #state()})
     */
    public record Summary(long firstIndex, long records, long violations, long bytes,
                          SortedMap<PcrBank, Digest> expectedPcrs) {}

    private final Options options;
    private final SplittableRandom random;
    private final EnumMap<HashAlgorithm, MessageDigest> bankDigests = new EnumMap<>(HashAlgorithm.class);
    private final EnumMap<HashAlgorithm, byte[]> ffValues = new EnumMap<>(HashAlgorithm.class);
    private final MessageDigest storedMd;
    private final TreeMap<PcrBank, byte[]> pcrs = new TreeMap<>();
    private long nextIndex;

    // Reused buffers: one record is built in place, never more than a few KB.
    private final byte[] rec = new byte[64 * 1024];
    private final byte[] imaHashInput = new byte[20 + IMA_NAME_FIELD];
    private final byte[] scratch = new byte[8192];
    private final byte[] name = new byte[4096];

    private LogGenerator(Options options, long nextIndex, SortedMap<PcrBank, Digest> startPcrs) {
        this.options = options;
        this.nextIndex = nextIndex;
        // Continuations draw from a stream derived from (seed, start index): append is deterministic too.
        this.random = new SplittableRandom(options.seed() * 0x9E3779B97F4A7C15L + nextIndex);
        this.storedMd = options.storedDigest().newDigest();
        for (HashAlgorithm a : options.expectedBanks()) {
            bankDigests.put(a, a.newDigest());
            byte[] ff = new byte[a.digestLength()];
            Arrays.fill(ff, (byte) 0xff);
            ffValues.put(a, ff);
        }
        for (var e : startPcrs.entrySet()) {
            if (options.expectedBanks().contains(e.getKey().algorithm())) pcrs.put(e.getKey(), e.getValue().bytes());
        }
    }

    /** A generator for a new list (starts with boot_aggregate at index 0). */
    public static LogGenerator newList(Options options) {
        return new LogGenerator(options, 0, new TreeMap<>());
    }

    /**
     * A generator continuing a list that already holds {@code nextIndex} records whose tracked PCR
     * values are {@code pcrsSoFar} (pass an empty map when not tracking).
     */
    public static LogGenerator continuing(Options options, long nextIndex, SortedMap<PcrBank, Digest> pcrsSoFar) {
        return new LogGenerator(options, nextIndex, pcrsSoFar);
    }

    /** Writes a fresh list of {@code records} records to {@code file} (replacing it). */
    public static Summary writeFile(Path file, long records, Options options) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            return newList(options).write(out, records, null);
        }
    }

    /**
     * Appends {@code records} records to an existing list written with the same stored-digest size
     * (multi-night demos). The existing records are counted (not verified); the expected PCRs in the
     * summary cover only the appended part unless the caller uses {@link #continuing} with its state.
     */
    public static Summary appendFile(Path file, long records, Options options) throws IOException {
        long existing = countRecords(file, options.storedDigest().digestLength());
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file,
                StandardOpenOption.WRITE, StandardOpenOption.APPEND), 1 << 20)) {
            return continuing(options, existing, new TreeMap<>()).write(out, records, null);
        }
    }

    /** The absolute index of the next record this generator writes. */
    public long nextIndex() { return nextIndex; }

    /** The tracked PCR values after the records generated so far. */
    public SortedMap<PcrBank, Digest> state() {
        TreeMap<PcrBank, Digest> m = new TreeMap<>();
        for (var e : pcrs.entrySet()) m.put(e.getKey(), Digest.of(e.getValue()));
        return Collections.unmodifiableSortedMap(m);
    }

    /**
     * Writes {@code count} records to {@code out} (the caller closes it). A list begins with
     * boot_aggregate when this generator is at index 0.
     */
    public Summary write(OutputStream out, long count, RecordSink sink) throws IOException {
        long first = nextIndex;
        long violations = 0;
        long bytes = 0;
        for (long i = 0; i < count; i++) {
            Built b = nextIndex == 0 ? bootAggregate() : randomRecord();
            out.write(rec, 0, b.length);
            bytes += b.length;
            if (b.violation) violations++;
            Map<HashAlgorithm, Digest> extended = extend(b);
            if (sink != null) {
                sink.accept(new GeneratedRecord(nextIndex, b.pcr, b.templateName, b.violation, extended));
            }
            nextIndex++;
        }
        out.flush();
        return new Summary(first, count, violations, bytes, state());
    }

    // ---------------------------------------------------------------- record building

    /** Where the last built record lies in {@link #rec} and what the hash input is. */
    private static final class Built {
        int length;
        int pcr;
        String templateName;
        boolean violation;
        int digestPos;          // offset of the stored template digest in rec
        boolean imaTemplate;    // hash imaHashInput instead of rec[dataPos, dataPos+dataLen)
        int dataPos;
        int dataLen;
    }

    private final Built built = new Built();

    private static final String[] TEMPLATES = {"ima-ng", "ima-sig", "ima-buf", "d-ng|n-ng"};
    /** Cumulative weights in per-mille, in TEMPLATES order: ima-ng is the kernel default. */
    private static final int[] TEMPLATE_WEIGHTS = {500, 880, 920, 1000};

    private Built bootAggregate() {
        if (options.imaTemplateRate() >= 1) {
            Built b = begin(10, "ima", false);
            System.arraycopy(BOOT_AGGREGATE, 0, name, 0, BOOT_AGGREGATE.length);
            return legacyIma(b, BOOT_AGGREGATE.length);
        }
        Built b = begin(10, "ima-ng", false);
        int p = b.dataPos;
        byte[] digest = randomBytes(32);  // a hash over PCRs 0..9 of a TPM we do not have (B.9)
        p = dngField(p, "sha256", digest, 0, 32);
        p = nngField(p, BOOT_AGGREGATE, BOOT_AGGREGATE.length);
        return finish(b, p);
    }

    private Built randomRecord() {
        String template;
        if (options.imaTemplateRate() > 0 && random.nextDouble() < options.imaTemplateRate()) {
            template = "ima";
        } else {
            int w = random.nextInt(1000);
            int t = 0;
            while (w >= TEMPLATE_WEIGHTS[t]) t++;
            template = TEMPLATES[t];
        }
        int pcr = 10;
        if (random.nextDouble() < options.otherPcrRate()) pcr = random.nextBoolean() ? 11 : 12;
        boolean violation = random.nextDouble() < options.violationRate();
        if (template.equals("ima-buf")) violation = false;  // buffers are never open-for-write
        Built b = begin(pcr, template, violation);
        if (template.equals("ima")) return legacyIma(b, Math.min(randomPath(), IMA_NAME_FIELD - 1));
        int p = b.dataPos;
        if (template.equals("ima-buf")) {
            p = bufferRecord(p);
            return finish(b, p);
        }
        String algo;
        int len;
        int r = random.nextInt(100);
        if (r < 85) { algo = "sha256"; len = 32; }
        else if (r < 93) { algo = "sha512"; len = 64; }
        else { algo = "sha1"; len = 20; }
        int nameLen = randomPath();
        if (violation) {
            // kernel-interface.md B.8: the d-ng prefix is ima_hash's name and the digest is zeros.
            p = dngField(p, "sha256", new byte[32], 0, 32);
        } else {
            byte[] fd = randomBytes(len);
            p = dngField(p, algo, fd, 0, len);
        }
        p = nngField(p, name, nameLen);
        if (template.equals("ima-sig")) {
            if (!violation && random.nextDouble() < options.signatureRate()) p = signatureField(p, algo);
            else p = putField(p, scratch, 0, 0);
        }
        return finish(b, p);
    }

    /** ima template: d(20) | nlen(4) | name, no data length field (kernel-interface.md B.3). */
    private Built legacyIma(Built b, int nameLen) {
        int p = b.dataPos - 4;  // the ima template has no template data length field
        b.dataPos = p;
        byte[] d = b.violation ? new byte[20] : randomBytes(20);
        System.arraycopy(d, 0, rec, p, 20);
        p += 20;
        putInt(p, nameLen);
        p += 4;
        System.arraycopy(name, 0, rec, p, nameLen);
        p += nameLen;
        // B.7: hash d || name NUL-padded to 256 bytes.
        System.arraycopy(d, 0, imaHashInput, 0, 20);
        Arrays.fill(imaHashInput, 20, imaHashInput.length, (byte) 0);
        System.arraycopy(name, 0, imaHashInput, 20, nameLen);
        b.imaTemplate = true;
        b.length = p;
        b.dataLen = p - b.dataPos;
        storeTemplateDigest(b);
        return b;
    }

    private static final String[] KERNELS = {"6.1.0-13-amd64", "6.1.0-18-amd64", "6.12.9-amd64", "7.2.0-1-amd64"};

    private int bufferRecord(int p) {
        int kind = random.nextInt(4);
        String label;
        byte[] buf;
        switch (kind) {
            case 0 -> {
                label = "kexec-cmdline";
                buf = ("BOOT_IMAGE=/boot/vmlinuz-" + KERNELS[random.nextInt(KERNELS.length)]
                        + " root=UUID=" + uuid() + " ro quiet ima_policy=tcb ima_hash=sha256")
                        .getBytes(StandardCharsets.US_ASCII);
            }
            case 1 -> {
                label = "kernel_version";
                buf = KERNELS[random.nextInt(KERNELS.length)].getBytes(StandardCharsets.US_ASCII);
            }
            case 2 -> {
                label = "ima_kexec";
                buf = ("kexec_segment_size=" + (4096 * (1 + random.nextInt(4096)))
                        + ";ima_binary_runtime_size=" + random.nextInt(1 << 26)
                        + ";ima_runtime_measurements_count=" + nextIndex + ";")
                        .getBytes(StandardCharsets.US_ASCII);
            }
            default -> {
                label = random.nextBoolean() ? ".builtin_trusted_keys" : ".ima";
                buf = randomBytes(270 + random.nextInt(300));  // a DER certificate's worth
                buf[0] = 0x30;
                buf[1] = (byte) 0x82;
            }
        }
        byte[] d = HashAlgorithm.SHA256.newDigest().digest(buf);  // ima_hash over the buffer itself
        p = dngField(p, "sha256", d, 0, 32);
        byte[] l = label.getBytes(StandardCharsets.US_ASCII);
        p = nngField(p, l, l.length);
        return putField(p, buf, 0, buf.length);
    }

    /** An IMA digital signature v2 xattr (kernel-interface.md B.5 sig): type, version, algo, keyid, size BE, sig. */
    private int signatureField(int p, String algo) {
        boolean rsa = random.nextInt(4) != 0;
        int sigLen = rsa ? 256 : 70 + random.nextInt(3);
        int total = 9 + sigLen;
        putInt(p, total);
        p += 4;
        rec[p++] = 0x03;
        rec[p++] = 0x02;
        rec[p++] = (byte) (algo.equals("sha256") ? HASH_ALGO_SHA256 : algo.equals("sha512") ? HASH_ALGO_SHA512 : HASH_ALGO_SHA1);
        int keyId = 0x5e3a0000 | random.nextInt(4);  // a handful of signing keys
        rec[p++] = (byte) (keyId >>> 24);
        rec[p++] = (byte) (keyId >>> 16);
        rec[p++] = (byte) (keyId >>> 8);
        rec[p++] = (byte) keyId;
        rec[p++] = (byte) (sigLen >>> 8);
        rec[p++] = (byte) sigLen;
        fillRandom(rec, p, sigLen);
        return p + sigLen;
    }

    private Built begin(int pcr, String templateName, boolean violation) {
        Built b = built;
        b.pcr = pcr;
        b.templateName = templateName;
        b.violation = violation;
        b.imaTemplate = false;
        int p = 0;
        putInt(p, pcr);
        p += 4;
        b.digestPos = p;
        p += options.storedDigest().digestLength();
        byte[] tn = templateName.getBytes(StandardCharsets.US_ASCII);
        putInt(p, tn.length);
        p += 4;
        System.arraycopy(tn, 0, rec, p, tn.length);
        p += tn.length;
        p += 4;  // template data length, filled in by finish()
        b.dataPos = p;
        return b;
    }

    private Built finish(Built b, int end) {
        b.length = end;
        b.dataLen = end - b.dataPos;
        putInt(b.dataPos - 4, b.dataLen);
        storeTemplateDigest(b);
        return b;
    }

    private void storeTemplateDigest(Built b) {
        int n = options.storedDigest().digestLength();
        if (b.violation) {
            Arrays.fill(rec, b.digestPos, b.digestPos + n, (byte) 0);  // B.8
            return;
        }
        hashInput(storedMd, b);
        try {
            storedMd.digest(rec, b.digestPos, n);
        } catch (java.security.DigestException e) {
            throw new IllegalStateException(e);
        }
    }

    private void hashInput(MessageDigest md, Built b) {
        if (b.imaTemplate) md.update(imaHashInput);
        else md.update(rec, b.dataPos, b.dataLen);  // B.7: exactly the template data bytes
    }

    /** PCR_new = H(PCR_old || value); violations extend all 0xFF (B.8, B.10 type 2). */
    private Map<HashAlgorithm, Digest> extend(Built b) {
        if (bankDigests.isEmpty()) return Map.of();
        EnumMap<HashAlgorithm, Digest> values = new EnumMap<>(HashAlgorithm.class);
        for (var e : bankDigests.entrySet()) {
            HashAlgorithm a = e.getKey();
            MessageDigest md = e.getValue();
            byte[] value;
            if (b.violation) {
                value = ffValues.get(a);
            } else {
                hashInput(md, b);
                value = md.digest();
            }
            PcrBank key = PcrBank.of(b.pcr, a);
            byte[] old = pcrs.get(key);
            md.update(old != null ? old : new byte[a.digestLength()]);
            md.update(value);
            pcrs.put(key, md.digest());
            values.put(a, Digest.of(value));
        }
        return values;
    }

    // ---------------------------------------------------------------- fields

    private int dngField(int p, String algo, byte[] digest, int off, int len) {
        byte[] prefix = algo.getBytes(StandardCharsets.US_ASCII);
        putInt(p, prefix.length + 2 + len);  // "algo" ':' NUL digest (B.5 d-ng)
        p += 4;
        System.arraycopy(prefix, 0, rec, p, prefix.length);
        p += prefix.length;
        rec[p++] = ':';
        rec[p++] = 0;
        System.arraycopy(digest, off, rec, p, len);
        return p + len;
    }

    private int nngField(int p, byte[] n, int len) {
        putInt(p, len + 1);  // the NUL is part of n-ng (B.5)
        p += 4;
        System.arraycopy(n, 0, rec, p, len);
        p += len;
        rec[p++] = 0;
        return p;
    }

    private int putField(int p, byte[] data, int off, int len) {
        putInt(p, len);
        p += 4;
        System.arraycopy(data, off, rec, p, len);
        return p + len;
    }

    private void putInt(int p, int v) {
        rec[p] = (byte) v;
        rec[p + 1] = (byte) (v >>> 8);
        rec[p + 2] = (byte) (v >>> 16);
        rec[p + 3] = (byte) (v >>> 24);
    }

    // ---------------------------------------------------------------- realistic names

    private static final String[] DIRS = {
        "/usr/bin/", "/usr/bin/", "/usr/sbin/", "/usr/lib/x86_64-linux-gnu/", "/usr/lib/x86_64-linux-gnu/",
        "/usr/lib/x86_64-linux-gnu/", "/usr/lib/systemd/", "/usr/lib/systemd/system-generators/",
        "/usr/lib/python3/dist-packages/", "/usr/lib/python3.11/", "/usr/libexec/", "/etc/",
        "/usr/lib/modules/6.1.0-13-amd64/kernel/drivers/net/", "/usr/share/perl/5.36/", "/opt/app/bin/",
        "/usr/lib/x86_64-linux-gnu/gconv/", "/usr/lib/jvm/java-17-openjdk-amd64/lib/",
    };
    private static final String[] SYLLABLES = {
        "sys", "ctl", "net", "lib", "gnu", "ssl", "crypt", "z", "xml", "dbus", "gio", "glib", "pam",
        "udev", "mount", "core", "util", "pcre", "ffi", "tinfo", "selinux", "blk", "id", "uuid", "kmod",
        "audit", "cap", "acl", "attr", "lz", "ma", "bz", "std", "c++", "gcc", "s", "apt", "pkg", "dpkg",
        "python", "perl", "java", "ld", "linux", "x86", "64", "resolve", "journal", "login", "time",
    };
    private static final String[] SUFFIXES = {"", "", "", ".so.1", ".so.6", ".so.3", ".so.0.8.0", ".py", ".pyc",
        ".conf", ".ko", ".pm", ".service", ".so"};

    /** Builds a path into {@link #name}, returns its length. No spaces (the kernel replaces them, B.5). */
    private int randomPath() {
        String dir = DIRS[random.nextInt(DIRS.length)];
        int p = ascii(dir, 0);
        if (dir.endsWith("dist-packages/") || dir.endsWith("python3.11/")) {
            p = ascii(SYLLABLES[random.nextInt(SYLLABLES.length)], p);
            p = ascii("/", p);
        }
        String suffix = SUFFIXES[random.nextInt(SUFFIXES.length)];
        if (suffix.startsWith(".so")) p = ascii("lib", p);
        int parts = 1 + random.nextInt(3);
        for (int i = 0; i < parts; i++) {
            if (i > 0) p = ascii(random.nextInt(3) == 0 ? "-" : "", p);
            p = ascii(SYLLABLES[random.nextInt(SYLLABLES.length)], p);
        }
        return ascii(suffix, p);
    }

    private int ascii(String s, int p) {
        for (int i = 0; i < s.length(); i++) name[p++] = (byte) s.charAt(i);
        return p;
    }

    private String uuid() {
        return String.format("%08x-%04x-%04x-%04x-%012x", random.nextInt(), random.nextInt(1 << 16),
                random.nextInt(1 << 16), random.nextInt(1 << 16), random.nextLong() & 0xffffffffffffL);
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        fillRandom(b, 0, n);
        return b;
    }

    private void fillRandom(byte[] b, int off, int n) {
        int i = 0;
        while (i + 8 <= n) {
            long v = random.nextLong();
            for (int k = 0; k < 8; k++) b[off + i + k] = (byte) (v >>> (8 * k));
            i += 8;
        }
        if (i < n) {
            long v = random.nextLong();
            for (; i < n; i++, v >>>= 8) b[off + i] = (byte) v;
        }
    }

    // ---------------------------------------------------------------- counting for append

    /**
     * Counts the records of a little-endian binary list by walking its length fields (no digest
     * checks). Fails on a torn or foreign file so an append never continues garbage.
     */
    public static long countRecords(Path file, int storedDigestLength) throws IOException {
        long count = 0;
        long offset = 0;
        byte[] head = new byte[4];
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
            while (true) {
                int r = in.readNBytes(head, 0, 4);
                if (r == 0) return count;
                if (r < 4) throw new IOException(file + ": torn record " + count + " at byte offset " + offset);
                skip(in, storedDigestLength, file, count, offset);
                int nameLen = readInt(in, file, count, offset);
                if (nameLen <= 0 || nameLen > 255) {
                    throw new IOException(file + ": implausible template name length " + nameLen
                            + " at record " + count + " (byte offset " + offset + ")");
                }
                byte[] tn = in.readNBytes(nameLen);
                if (tn.length < nameLen) throw new IOException(file + ": torn record " + count);
                long len = 4 + storedDigestLength + 4 + nameLen;
                if (new String(tn, StandardCharsets.US_ASCII).equals("ima")) {
                    skip(in, 20, file, count, offset);
                    int nl = readInt(in, file, count, offset);
                    skip(in, nl, file, count, offset);
                    len += 24 + nl;
                } else {
                    int dl = readInt(in, file, count, offset);
                    if (dl < 0 || dl > (1 << 24)) throw new IOException(file + ": implausible data length at record " + count);
                    skip(in, dl, file, count, offset);
                    len += 4 + dl;
                }
                offset += len;
                count++;
            }
        }
    }

    private static int readInt(InputStream in, Path file, long rec, long off) throws IOException {
        byte[] b = in.readNBytes(4);
        if (b.length < 4) throw new IOException(file + ": torn record " + rec + " (byte offset " + off + ")");
        return (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
    }

    private static void skip(InputStream in, int n, Path file, long rec, long off) throws IOException {
        if (n < 0) throw new IOException(file + ": negative length at record " + rec + " (byte offset " + off + ")");
        try {
            in.skipNBytes(n);
        } catch (java.io.EOFException e) {
            throw new IOException(file + ": torn record " + rec + " (byte offset " + off + ")", e);
        }
    }

    /** Expected PCR value for one register, if tracked. */
    public Optional<Digest> expected(int pcr, HashAlgorithm bank) {
        byte[] v = pcrs.get(PcrBank.of(pcr, bank));
        return v == null ? Optional.empty() : Optional.of(Digest.of(v));
    }
}

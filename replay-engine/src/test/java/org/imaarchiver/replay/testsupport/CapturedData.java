package org.imaarchiver.replay.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real IMA data the project captured itself in its QEMU test bed, committed under
 * {@code testdata/} (testdata/README.md says how each file was made). It is part of the repository,
 * so a test using it never skips: a missing file fails.
 */
public final class CapturedData {
    private CapturedData() {}

    /** Debian 12's linux-image 6.1.192-3 under QEMU, swtpm as the VM's TPM, {@code ima_policy=tcb}. */
    public static final String DEBIAN_6_1 = "qemu-debian-6.1";
    /** Debian 12's linux-image 6.12.118-1~deb12u1 (bookworm-security), the same way; with per-bank lists. */
    public static final String DEBIAN_6_12 = "qemu-debian-6.12";

    /**
     * The expected values of {@link #DEBIAN_6_1} as testdata/README.md lists them, all read from the
     * peers' outputs in that folder (tpm2_pcrread, tpm2_quote, the kernel's record counts);
     * {@code ReplayerCapturedDataTest} checks they are what those files say.
     */
    public static final class Debian61 {
        private Debian61() {}

        /** {@code runtime_measurements_count} when the lists were read. */
        public static final long RECORDS = 115;
        /** PCR 10 after the whole list, from {@code pcrread.yaml}. */
        public static final String PCR10_SHA1 = "7ca6c604908ebf15c85757146e579409f4a9719e";
        public static final String PCR10_SHA256 = "b34d9fe394c1b8d0f653c8fc25c43738f98acb0a43b88162d3b1c81bb7db996a";
        public static final String PCR10_SHA384 =
                "a9a71d49cfba52ba02e878e0ca2785d8bec136b0d638a9377b94cd34321dcf4b22e89a6aaa26fad701a4e4dc2e80d264";
        public static final String PCR10_SHA512 = "8f8e8900bd14a9c60450b3f4ae5e0725ec5b8da71f7b14f086a9389e4f3fbc1c"
                + "c2ce8d9213ffb764e2e0a73f387ab7e560b94af68c877b24fe475eec611e96ab";

        /** Quote 1, RSA AK: {@code quote-rsa.*}; its point is {@code quote-rsa.count}. */
        public static final Quote RSA = new Quote(DEBIAN_6_1, "rsa", 100, "1d6e71bc8f41976b07d4bcfa925c6c1ea7c45941",
                "e6764d029c25bd5229fdd0ece7b2c9528b4896a7",
                "8c597bbdee350e65abb78a653d4fada569fd3a3c430f668a2206862d6cd39483");
        /** Quote 2, ECC AK, after more programs ran: {@code quote-ecc.*}, at the end of the list. */
        public static final Quote ECC = new Quote(DEBIAN_6_1, "ecc", 115, "5d3ac44b2fca51a924e1d4482f6d00ddbd3d7228",
                PCR10_SHA1, PCR10_SHA256);
    }

    /**
     * The expected values of {@link #DEBIAN_6_12} as testdata/README.md lists them, read from the peers'
     * outputs in that folder. This kernel has the per-bank lists {@code binary_runtime_measurements_<bank>}
     * and hashes every bank itself; quote 2 is one record before the end of the list.
     */
    public static final class Debian612 {
        private Debian612() {}

        /** {@code runtime_measurements_count} when the lists were read. */
        public static final long RECORDS = 115;
        /** PCR 10 after the whole list, from {@code pcrread.yaml}. */
        public static final String PCR10_SHA1 = "168d23fa983b13b41261d19b2a6f19fdbf84ab58";
        public static final String PCR10_SHA256 = "ab3982aa6c6ef2e70e6606b69323d155552f22b09ebd9786c9ab65ea3cd7eb4d";
        public static final String PCR10_SHA384 =
                "29be6b3eee4ad23d6c361e64d01057c88dc35fd5b507720d3764e7d6d1e93ca8b13394bb6e0abe4cbaadd9e728a879f9";
        public static final String PCR10_SHA512 = "a38bab5fc0a8e95074fc8b06ccc6ebba849e3e421df463fb162e0dd19918dae9"
                + "3c1c6969c3fd486ff39812d44236967b6c808e8ddcbc557ae9c34cde23269b1d";

        /** Quote 1, RSA AK: {@code quote-rsa.*}. */
        public static final Quote RSA = new Quote(DEBIAN_6_12, "rsa", 99, "c5f25678ad1be49e85c68e995762a17d0091ac8b",
                "ba3b800da4a6a0785c26e8524bc9e662d70318b0",
                "cb3ee84ac2d7e7a7728caf30ad91938a15dadf0c1979c5d76b6911d09746b557");
        /** Quote 2, ECC AK: {@code quote-ecc.*}; the snapshot after it holds one more record. */
        public static final Quote ECC = new Quote(DEBIAN_6_12, "ecc", 114, "d39f6771694a0a3979d9e800190f5a9758c4193c",
                "bcd1df3896a68dd46331345d11e9ac7870e511bd",
                "6dfea14e5392e78c497e6d89b6f7c1062d26f7811ca763b189b62a8282db2cff");
    }

    /** Every captured quote, for tests that hold for each. */
    public static final List<Quote> QUOTES = List.of(Debian61.RSA, Debian61.ECC, Debian612.RSA, Debian612.ECC);

    /** One captured quote in capture SET: file prefix {@code quote-KEY}, AK {@code ak-KEY.pub.pem}. */
    public record Quote(String set, String key, long point, String nonceHex, String pcr10Sha1, String pcr10Sha256) {
        public Path msg() { return file(set, "quote-" + key + ".msg"); }

        public Path sig() { return file(set, "quote-" + key + ".sig"); }

        public Path pcrs() { return file(set, "quote-" + key + ".pcrs"); }

        public Path yaml() { return file(set, "quote-" + key + ".yaml"); }

        public Path ak() { return file(set, "ak-" + key + ".pub.pem"); }

        /** The binary list (legacy name, the SHA-1 view) of the same capture. */
        public Path list() { return file(set, "binary_runtime_measurements"); }

        @Override
        public String toString() { return set + "/" + key; }
    }

    /** {@code testdata/SET/NAME} in this repository; fails (never skips) when it is absent. */
    public static Path file(String set, String name) {
        Path p = TestData.projectRoot().resolve("testdata").resolve(set).resolve(name);
        if (!Files.isRegularFile(p)) {
            throw new AssertionError("captured test data missing: " + p + " (it is committed under testdata/; "
                    + "imaarchiver.projectRoot must point at the repository root)");
        }
        return p;
    }

    /** A small text file's content without surrounding white space (counts, nonces). */
    public static String text(String set, String name) {
        try {
            return Files.readString(file(set, name), StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final Pattern BANK = Pattern.compile("^\\s*(sha\\d+)\\s*:\\s*$");
    private static final Pattern VALUE = Pattern.compile("^\\s*(\\d+)\\s*:\\s*0x([0-9A-Fa-f]+)\\s*$");

    /**
     * The PCR value tpm2-tools printed for {@code pcr} in {@code bank} ("sha1", "sha256", ...), in
     * lower-case hex: tpm2_pcrread's output, or the {@code pcrs:} part of tpm2_quote's. Read as
     * text, independently of the project's parsers.
     */
    public static Optional<String> tpm2YamlPcr(Path yaml, String bank, int pcr) {
        Map<String, Map<Integer, String>> values = new TreeMap<>();
        String current = null;
        try {
            for (String line : Files.readAllLines(yaml, StandardCharsets.UTF_8)) {
                Matcher b = BANK.matcher(line);
                Matcher v = VALUE.matcher(line);
                if (b.matches()) {
                    current = b.group(1);
                } else if (v.matches() && current != null) {
                    values.computeIfAbsent(current, k -> new TreeMap<>())
                            .put(Integer.parseInt(v.group(1)), v.group(2).toLowerCase(Locale.ROOT));
                } else if (!line.startsWith(" ")) {
                    current = null;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Optional.ofNullable(values.getOrDefault(bank, Map.of()).get(pcr));
    }
}

package org.imaarchiver.replay.pcr;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Optional;

/**
 * The PCR banks and template-hash algorithms the replay engine supports. Names are the kernel's
 * hash names (kernel-interface.md B.1, B.5), ids are TCG TPM_ALG_ID values (kernel-interface.md C.1).
 * An algorithm outside this set (SM3, SHA3) fails closed: callers get an empty Optional.
 */
public enum HashAlgorithm {
    SHA1("sha1", 0x0004, 20, "SHA-1"),
    SHA256("sha256", 0x000B, 32, "SHA-256"),
    SHA384("sha384", 0x000C, 48, "SHA-384"),
    SHA512("sha512", 0x000D, 64, "SHA-512");

    private final String kernelName;
    private final int tpmAlgId;
    private final int digestLength;
    private final String jcaName;

    HashAlgorithm(String kernelName, int tpmAlgId, int digestLength, String jcaName) {
        this.kernelName = kernelName;
        this.tpmAlgId = tpmAlgId;
        this.digestLength = digestLength;
        this.jcaName = jcaName;
    }

    /** The kernel's name: {@code sha1}, {@code sha256}, ... (used in file names, d-ng prefixes, JSON keys). */
    public String kernelName() { return kernelName; }

    /** TCG TPM_ALG_ID. */
    public int tpmAlgId() { return tpmAlgId; }

    /** Digest size in bytes. */
    public int digestLength() { return digestLength; }

    /** Standard JCA algorithm name. */
    public String jcaName() { return jcaName; }

    /** A fresh JCA digest; every JDK ships these four, so failure is a broken runtime. */
    public MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance(jcaName);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK lacks " + jcaName, e);
        }
    }

    /** The all-zero digest of this length. */
    public Digest zero() { return Digest.zeros(digestLength); }

    public static Optional<HashAlgorithm> byKernelName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (HashAlgorithm a : values()) {
            if (a.kernelName.equals(n)) return Optional.of(a);
        }
        return Optional.empty();
    }

    public static Optional<HashAlgorithm> byTpmAlgId(int id) {
        for (HashAlgorithm a : values()) {
            if (a.tpmAlgId == id) return Optional.of(a);
        }
        return Optional.empty();
    }

    public static Optional<HashAlgorithm> byDigestLength(int length) {
        for (HashAlgorithm a : values()) {
            if (a.digestLength == length) return Optional.of(a);
        }
        return Optional.empty();
    }

    @Override
    public String toString() { return kernelName; }
}

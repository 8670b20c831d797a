package org.imaarchiver.replay.pcr;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * An immutable digest value (a PCR value, a template digest, a file digest). Records compare array
 * components by identity, so digests are never bare {@code byte[]} across APIs.
 */
public final class Digest implements Comparable<Digest> {
    private static final HexFormat HEX = HexFormat.of();
    private final byte[] bytes;
    private final int hash;

    private Digest(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    /** Copies {@code bytes}. */
    public static Digest of(byte[] bytes) {
        return new Digest(bytes.clone());
    }

    public static Digest of(byte[] bytes, int offset, int length) {
        return new Digest(Arrays.copyOfRange(bytes, offset, offset + length));
    }

    /** Takes ownership of {@code bytes}; the caller must not modify them afterwards. */
    public static Digest wrap(byte[] bytes) {
        return new Digest(bytes);
    }

    /** Parses lowercase or uppercase hex; throws IllegalArgumentException on bad input. */
    public static Digest ofHex(String hex) {
        return new Digest(HEX.parseHex(hex.trim()));
    }

    public static Digest zeros(int length) {
        return new Digest(new byte[length]);
    }

    public static Digest filled(int length, byte value) {
        byte[] b = new byte[length];
        Arrays.fill(b, value);
        return new Digest(b);
    }

    public int length() { return bytes.length; }

    /** A copy of the bytes. */
    public byte[] bytes() { return bytes.clone(); }

    /** Writes the bytes into {@code dst} at {@code offset} without copying through a new array. */
    public void copyTo(byte[] dst, int offset) { System.arraycopy(bytes, 0, dst, offset, bytes.length); }

    public byte byteAt(int i) { return bytes[i]; }

    public boolean isAllZero() {
        for (byte b : bytes) if (b != 0) return false;
        return true;
    }

    public boolean equalsBytes(byte[] other, int offset, int length) {
        return Arrays.equals(bytes, 0, bytes.length, other, offset, offset + length);
    }

    /** Lowercase hex. */
    public String hex() { return HEX.formatHex(bytes); }

    @Override
    public boolean equals(Object o) {
        return o instanceof Digest d && hash == d.hash && Arrays.equals(bytes, d.bytes);
    }

    @Override
    public int hashCode() { return hash; }

    @Override
    public int compareTo(Digest o) { return Arrays.compareUnsigned(bytes, o.bytes); }

    @Override
    public String toString() { return hex(); }
}

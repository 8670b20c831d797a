package org.imaarchiver.replay.bytes;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;

/** An immutable byte string (raw record bytes, template data, field values). */
public final class Bytes {
    public static final Bytes EMPTY = new Bytes(new byte[0]);
    private static final HexFormat HEX = HexFormat.of();
    private final byte[] bytes;

    private Bytes(byte[] bytes) { this.bytes = bytes; }

    public static Bytes of(byte[] bytes) { return new Bytes(bytes.clone()); }

    public static Bytes of(byte[] bytes, int offset, int length) {
        return new Bytes(Arrays.copyOfRange(bytes, offset, offset + length));
    }

    /** Takes ownership of {@code bytes}; the caller must not modify them afterwards. */
    public static Bytes wrap(byte[] bytes) { return new Bytes(bytes); }

    public static Bytes ofHex(String hex) { return new Bytes(HEX.parseHex(hex)); }

    public int length() { return bytes.length; }

    public boolean isEmpty() { return bytes.length == 0; }

    public byte byteAt(int i) { return bytes[i]; }

    /** A copy. */
    public byte[] toArray() { return bytes.clone(); }

    /** A read-only view, no copy. */
    public ByteBuffer asReadOnlyBuffer() { return ByteBuffer.wrap(bytes).asReadOnlyBuffer(); }

    public Bytes slice(int offset, int length) { return of(bytes, offset, length); }

    /** Feeds the bytes to a digest without copying. */
    public void updateDigest(MessageDigest md) { md.update(bytes); }

    public void updateDigest(MessageDigest md, int offset, int length) { md.update(bytes, offset, length); }

    public void copyTo(byte[] dst, int dstOffset) { System.arraycopy(bytes, 0, dst, dstOffset, bytes.length); }

    /** Writes the bytes to {@code out} without copying them first. */
    public void writeTo(java.io.OutputStream out) throws java.io.IOException { out.write(bytes); }

    public String hex() { return HEX.formatHex(bytes); }

    @Override
    public boolean equals(Object o) { return o instanceof Bytes b && Arrays.equals(bytes, b.bytes); }

    @Override
    public int hashCode() { return Arrays.hashCode(bytes); }

    @Override
    public String toString() {
        return bytes.length <= 64 ? hex() : HEX.formatHex(bytes, 0, 32) + "...(" + bytes.length + " bytes)";
    }
}

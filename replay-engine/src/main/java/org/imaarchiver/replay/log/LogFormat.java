package org.imaarchiver.replay.log;

import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;

/** Binary (B.3) or ASCII (B.6) measurement list, told apart by the first bytes. */
public enum LogFormat {
    BINARY,
    ASCII;

    /** Bytes looked at by {@link #detect}. */
    public static final int DETECT_LENGTH = 3;

    /**
     * An ASCII list starts with {@code "%2d "} (a PCR of at most two digits, B.6). A binary list
     * starts with a u32 PCR index of at most 23 (B.3), so its first bytes are 0x00..0x17 or 0x00,
     * never that pattern. Fewer than three bytes (an empty list) count as binary.
     */
    public static LogFormat detect(byte[] head, int length) {
        if (length < DETECT_LENGTH) return BINARY;
        boolean first = head[0] == ' ' || isDigit(head[0]);
        return first && isDigit(head[1]) && head[2] == ' ' ? ASCII : BINARY;
    }

    /** Detects the format of a stream the caller opened and returns a reader of it. */
    public static LogReader open(InputStream in, LogReadOptions options) throws IOException {
        PushbackInputStream pin = new PushbackInputStream(in, DETECT_LENGTH);
        byte[] head = pin.readNBytes(DETECT_LENGTH);
        pin.unread(head);
        return detect(head, head.length) == ASCII ? AsciiLogReader.open(pin, options) : BinaryLogReader.open(pin, options);
    }

    private static boolean isDigit(byte b) { return b >= '0' && b <= '9'; }
}

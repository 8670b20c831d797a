package org.imaarchiver.replay.log;

/**
 * The list cannot be parsed at a precise place. Carries the source name, the absolute record index
 * and the byte offset (of the record, or of the line for ASCII input), and a {@link Kind}.
 * {@link Kind#TORN_TAIL} is distinguished from corruption: the kernel may be appending while we
 * read, so a list that ends inside a record whose lengths were all sane is a torn tail, and the
 * records before it are good.
 */
public class MalformedLogException extends Exception {
    /** What is wrong. */
    public enum Kind {
        /** The input ends inside a record whose lengths so far were plausible (a growing list). */
        TORN_TAIL,
        /** A length field is beyond a sane bound or beyond what is left of the template data. */
        BAD_LENGTH,
        /** PCR index outside 0..23. */
        BAD_PCR,
        /** Template name not built-in and not a valid custom format string. */
        UNKNOWN_TEMPLATE,
        /** A custom format string names a field the parser does not know. */
        UNKNOWN_FIELD,
        /** The template-data length disagrees with the sum of its fields (kernel-interface.md D.3). */
        FIELD_LENGTH_MISMATCH,
        /** A field's content is not of its documented form (e.g. a d-ng prefix without ':' NUL). */
        BAD_FIELD,
        /** The stored template digest size is not one of the supported banks, or byte order unknown. */
        UNKNOWN_FORMAT,
        /** An ASCII line cannot be read or the template cannot be rebuilt from ASCII. */
        BAD_ASCII_LINE
    }

    private final Kind kind;
    private final String source;
    private final long recordIndex;
    private final long offset;
    private final String detail;

    public MalformedLogException(Kind kind, String source, long recordIndex, long offset, String detail) {
        super(compose(kind, source, recordIndex, offset, detail));
        this.kind = kind;
        this.source = source;
        this.recordIndex = recordIndex;
        this.offset = offset;
        this.detail = detail;
    }

    private static String compose(Kind kind, String source, long recordIndex, long offset, String detail) {
        String what = kind == Kind.TORN_TAIL ? "torn tail" : "malformed list";
        return source + ": " + what + " at record " + recordIndex + " (byte offset " + offset + "): " + detail;
    }

    public Kind kind() { return kind; }
    public String source() { return source; }
    public long recordIndex() { return recordIndex; }
    public long offset() { return offset; }
    public String detail() { return detail; }
    public boolean isTornTail() { return kind == Kind.TORN_TAIL; }
}

package org.imaarchiver.archive.segment;

/** A file that is not a readable segment: not Parquet, no manifest in its footer, wrong schema. */
public class SegmentFormatException extends Exception {
    private final String source;

    public SegmentFormatException(String source, String detail, Throwable cause) {
        super(source + ": not a readable segment: " + detail, cause);
        this.source = source;
    }

    public String source() { return source; }
}

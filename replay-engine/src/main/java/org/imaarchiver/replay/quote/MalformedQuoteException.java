package org.imaarchiver.replay.quote;

/**
 * A TPM artifact (TPMS_ATTEST, TPMT_SIGNATURE, TPM2B_PUBLIC, a PCR file) cannot be read. Carries the
 * field being read, its byte offset (for the YAML PCR file: the line number) and a {@link Kind}.
 * An algorithm we do not support is reported as {@link Kind#UNSUPPORTED_ALGORITHM}, never skipped:
 * quote verification fails closed.
 */
public class MalformedQuoteException extends Exception {
    /** What is wrong. */
    public enum Kind {
        /** The input ends inside the field. */
        TRUNCATED,
        /** A size is beyond the TPM's bound for the field or the value is not of its documented form. */
        BAD_VALUE,
        /** A hash, signature, key or curve algorithm outside the supported set. */
        UNSUPPORTED_ALGORITHM,
        /** Bytes left over after the structure: the input is not exactly one structure. */
        TRAILING_BYTES
    }

    private final Kind kind;
    private final String field;
    private final long offset;
    private final String detail;

    public MalformedQuoteException(Kind kind, String field, long offset, String detail) {
        super(kind + " in " + field + " at byte offset " + offset + ": " + detail);
        this.kind = kind;
        this.field = field;
        this.offset = offset;
        this.detail = detail;
    }

    public Kind kind() { return kind; }

    /** The structure field being read, e.g. {@code TPMS_ATTEST.extraData}. */
    public String field() { return field; }

    /** Byte offset of the field in the input (line number for YAML input). */
    public long offset() { return offset; }

    public String detail() { return detail; }
}

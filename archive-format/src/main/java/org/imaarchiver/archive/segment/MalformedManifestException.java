package org.imaarchiver.archive.segment;

/** A manifest document that is not a valid format-1 manifest; names the field (a JSON path). */
public class MalformedManifestException extends Exception {
    /** What is wrong. */
    public enum Kind {
        /** Not UTF-8 JSON. */
        NOT_JSON,
        /** Valid JSON but not byte-identical to its canonical re-encoding (signed bytes must be canonical). */
        NOT_CANONICAL,
        /** {@code formatVersion} is not one this reader implements. */
        UNSUPPORTED_VERSION,
        /** A required field is absent. */
        MISSING_FIELD,
        /** A field this version does not define (fail closed: signed content we do not understand). */
        UNKNOWN_FIELD,
        /** A field has the wrong type or an invalid value, or fields disagree. */
        BAD_FIELD
    }

    private final Kind kind;
    private final String field;
    private final String detail;

    public MalformedManifestException(Kind kind, String field, String detail) {
        super("malformed manifest (" + kind + ") at " + field + ": " + detail);
        this.kind = kind;
        this.field = field;
        this.detail = detail;
    }

    public MalformedManifestException(Kind kind, String field, String detail, Throwable cause) {
        this(kind, field, detail);
        initCause(cause);
    }

    public Kind kind() { return kind; }
    /** JSON path of the offending field, e.g. {@code $.end.pcrs.10.sha1}; {@code $} for the document. */
    public String field() { return field; }
    public String detail() { return detail; }
}

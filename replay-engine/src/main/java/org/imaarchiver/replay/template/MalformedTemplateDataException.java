package org.imaarchiver.replay.template;

/**
 * Template data that cannot be decoded under its template name. Knows the template but not the
 * record: whoever decodes a record adds where it is (source, record index, byte offset).
 */
public class MalformedTemplateDataException extends Exception {
    /** What is wrong. */
    public enum Kind {
        /** Template name not built-in and not a valid custom format string. */
        UNKNOWN_TEMPLATE,
        /** A custom format string names a field the parser does not know. */
        UNKNOWN_FIELD,
        /** A length field is beyond a sane bound or beyond what is left of the template data. */
        BAD_LENGTH,
        /** The template-data length disagrees with the sum of its fields (kernel-interface.md D.3). */
        FIELD_LENGTH_MISMATCH,
        /** A field's content is not of its documented form (e.g. a d-ng prefix without ':' NUL). */
        BAD_FIELD
    }

    private final Kind kind;

    /** The message is {@code "template " + templateName + ": " + detail}. */
    public MalformedTemplateDataException(Kind kind, String templateName, String detail) {
        super("template " + templateName + ": " + detail);
        this.kind = kind;
    }

    public Kind kind() { return kind; }
}

package org.imaarchiver.replay.template;

import java.util.Objects;
import org.imaarchiver.replay.bytes.Bytes;

/**
 * One field of a record's template data.
 *
 * @param field the field kind
 * @param data  the field bytes exactly as in the template data, without the length prefix
 * @param value the decoded content
 */
public record DecodedField(TemplateField field, Bytes data, FieldValue value) {
    public DecodedField {
        Objects.requireNonNull(field);
        Objects.requireNonNull(data);
        Objects.requireNonNull(value);
    }
}

package org.imaarchiver.replay.template;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;

/** The decoded template data of a record: the legacy {@code ima} layout, or a list of fields. Unverified. */
public sealed interface TemplateData permits TemplateData.Ima, TemplateData.FieldList {

    TemplateDescriptor template();

    /** The fields in template order. */
    List<DecodedField> fields();

    /** The first field of the given kind, if the template has one. */
    default Optional<DecodedField> field(TemplateField kind) {
        for (DecodedField f : fields()) {
            if (f.field() == kind) return Optional.of(f);
        }
        return Optional.empty();
    }

    /**
     * The legacy {@code ima} template (kernel-interface.md B.3): a SHA-1 file digest and a name of at most
     * 255 bytes, no field lengths.
     */
    record Ima(TemplateDescriptor template, Digest fileDigest, Bytes name) implements TemplateData {
        public Ima {
            Objects.requireNonNull(template);
            Objects.requireNonNull(fileDigest);
            Objects.requireNonNull(name);
        }

        @Override
        public List<DecodedField> fields() {
            Bytes d = Bytes.wrap(fileDigest.bytes());
            return List.of(
                    new DecodedField(TemplateField.D, d,
                            new FieldValue.EventDigest(Optional.empty(), "sha1", false, d)),
                    new DecodedField(TemplateField.N, name, new FieldValue.EventName(name)));
        }
    }

    /** Any other template: (u32 length, bytes) per field (B.5). */
    record FieldList(TemplateDescriptor template, List<DecodedField> fields) implements TemplateData {
        public FieldList {
            Objects.requireNonNull(template);
            fields = List.copyOf(fields);
        }
    }
}

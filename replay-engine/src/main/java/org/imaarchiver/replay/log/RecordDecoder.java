package org.imaarchiver.replay.log;

import java.util.Optional;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.template.DecodedField;
import org.imaarchiver.replay.template.DecodedRecord;
import org.imaarchiver.replay.template.FieldValue;
import org.imaarchiver.replay.template.MalformedTemplateDataException;
import org.imaarchiver.replay.template.TemplateData;
import org.imaarchiver.replay.template.TemplateDataDecoder;

/**
 * Decodes a record's template data and builds the human and query view of the record. Unverified, like
 * the record; fails closed with a {@link MalformedLogException} naming the record.
 */
public final class RecordDecoder {
    /** The source named in errors when the caller does not name one. */
    private static final String GENERIC_SOURCE = "measurement list";

    private RecordDecoder() {}

    public static DecodedRecord decode(MeasurementRecord r) throws MalformedLogException {
        return decode(r, templateData(r));
    }

    public static DecodedRecord decode(MeasurementRecord r, String sourceName) throws MalformedLogException {
        return decode(r, templateData(r, sourceName));
    }

    /** The record's template data decoded into its fields ({@link TemplateDataDecoder}); a generic source in errors. */
    public static TemplateData templateData(MeasurementRecord r) throws MalformedLogException {
        return templateData(r, GENERIC_SOURCE);
    }

    public static TemplateData templateData(MeasurementRecord r, String sourceName) throws MalformedLogException {
        try {
            return TemplateDataDecoder.decode(r.templateName(), r.templateData(), r.byteOrder(), r.isViolation());
        } catch (MalformedTemplateDataException e) {
            throw new MalformedLogException(kindOf(e.kind()), sourceName, r.index(), r.offset(), e.getMessage());
        }
    }

    private static MalformedLogException.Kind kindOf(MalformedTemplateDataException.Kind kind) {
        return switch (kind) {
            case UNKNOWN_TEMPLATE -> MalformedLogException.Kind.UNKNOWN_TEMPLATE;
            case UNKNOWN_FIELD -> MalformedLogException.Kind.UNKNOWN_FIELD;
            case BAD_LENGTH -> MalformedLogException.Kind.BAD_LENGTH;
            case FIELD_LENGTH_MISMATCH -> MalformedLogException.Kind.FIELD_LENGTH_MISMATCH;
            case BAD_FIELD -> MalformedLogException.Kind.BAD_FIELD;
        };
    }

    /** Builds the view from already decoded template data. */
    public static DecodedRecord decode(MeasurementRecord r, TemplateData data) {
        Optional<String> algorithm = Optional.empty();
        Optional<String> type = Optional.empty();
        Optional<Digest> fileDigest = Optional.empty();
        Optional<String> name = Optional.empty();
        Optional<Bytes> signature = Optional.empty();
        Optional<Bytes> buffer = Optional.empty();
        boolean signed = false;
        for (DecodedField f : data.fields()) {
            FieldValue v = f.value();
            switch (f.field()) {
                case D:
                case D_NG:
                case D_NGV2:
                    // the file digest; d-modsig (the digest without the appended signature) is not it
                    if (fileDigest.isEmpty() && v instanceof FieldValue.EventDigest e) {
                        algorithm = Optional.of(e.algorithm());
                        type = e.type();
                        fileDigest = Optional.of(Digest.wrap(e.digest().toArray())); // toArray is already a copy
                    }
                    break;
                case N:
                case N_NG:
                    if (name.isEmpty() && v instanceof FieldValue.EventName n) name = Optional.of(n.text());
                    break;
                case SIG:
                    if (!f.data().isEmpty()) {
                        signed = true;
                        if (signature.isEmpty()) signature = Optional.of(f.data());
                    }
                    break;
                case EVMSIG:
                case MODSIG:
                    signed |= !f.data().isEmpty();
                    break;
                case BUF:
                    if (buffer.isEmpty()) buffer = Optional.of(f.data());
                    break;
                default:
                    break;
            }
        }
        return new DecodedRecord(r.index(), r.pcr(), r.templateName(), r.isViolation(), algorithm, type,
                fileDigest, name, signed, signature, buffer);
    }
}

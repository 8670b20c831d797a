package org.imaarchiver.replay.template;

import java.util.Optional;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;

/** Builds the human and query view of a record. Unverified, like the record; fails closed. */
public final class RecordDecoder {
    private RecordDecoder() {}

    public static DecodedRecord decode(MeasurementRecord r) throws MalformedLogException {
        return decode(r, TemplateDataDecoder.decode(r));
    }

    public static DecodedRecord decode(MeasurementRecord r, String sourceName) throws MalformedLogException {
        return decode(r, TemplateDataDecoder.decode(r, sourceName));
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

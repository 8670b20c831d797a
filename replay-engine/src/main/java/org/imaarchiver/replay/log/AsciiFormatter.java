package org.imaarchiver.replay.log;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.template.DecodedField;
import org.imaarchiver.replay.template.FieldValue;
import org.imaarchiver.replay.template.TemplateData;
import org.imaarchiver.replay.template.TemplateField;

/**
 * Renders a record as the kernel's {@code ascii_runtime_measurements} line (kernel-interface.md B.6):
 * {@code "%2d "} PCR, the template digest in hex, the template name, then per field a space and the
 * field's ASCII form (nothing for an empty field), and a newline. Bytes, not text: names are file
 * names and may be any bytes but NUL.
 */
public final class AsciiFormatter {
    private AsciiFormatter() {}

    /** The line, with its trailing newline. */
    public static byte[] format(MeasurementRecord r) throws MalformedLogException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128 + 2 * r.templateData().length());
        try {
            write(r, out);
        } catch (IOException e) {
            throw new IllegalStateException(e); // a ByteArrayOutputStream does not fail
        }
        return out.toByteArray();
    }

    /** The line as text (invalid UTF-8 in names replaced), for display. */
    public static String formatAsString(MeasurementRecord r) throws MalformedLogException {
        return new String(format(r), StandardCharsets.UTF_8);
    }

    public static void write(MeasurementRecord r, OutputStream out) throws IOException, MalformedLogException {
        TemplateData data = RecordDecoder.templateData(r);
        // "%2d "
        if (r.pcr() < 10) out.write(' ');
        ascii(out, Integer.toString(r.pcr()));
        out.write(' ');
        ascii(out, r.templateDigest().hex());
        ascii(out, " ");
        out.write(r.templateName().getBytes(StandardCharsets.ISO_8859_1));
        for (DecodedField f : data.fields()) {
            out.write(' ');
            if (f.data().isEmpty()) continue;
            writeField(f, out);
        }
        out.write('\n');
    }

    private static void writeField(DecodedField f, OutputStream out) throws IOException {
        FieldValue v = f.value();
        switch (f.field().asciiForm()) {
            case STRING:
                // "%s": up to the NUL
                if (v instanceof FieldValue.EventName n) out.write(n.name().toArray());
                else out.write(withoutNul(f.data().toArray()));
                break;
            case DIGEST_WITH_PREFIX:
                if (v instanceof FieldValue.EventDigest d) {
                    if (d.prefixed()) {
                        if (d.type().isPresent()) ascii(out, d.type().get() + ":");
                        ascii(out, d.algorithm() + ":");
                    }
                    ascii(out, d.digest().hex());
                } else {
                    ascii(out, f.data().hex());
                }
                break;
            case UINT:
                if (v instanceof FieldValue.UnsignedInt u) ascii(out, Long.toUnsignedString(u.value()));
                break;
            case HEX:
            default:
                ascii(out, f.data().hex());
                break;
        }
    }

    private static byte[] withoutNul(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return n == b.length ? b : java.util.Arrays.copyOf(b, n);
    }

    private static void ascii(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.US_ASCII));
    }
}

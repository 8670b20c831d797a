package org.imaarchiver.replay.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.template.MalformedTemplateDataException;
import org.imaarchiver.replay.template.TemplateDataDecoder;

/** Template data under any template name: the input's first line names the template, the rest is the data. */
class TemplateDataFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void templateData(byte[] input) {
        int nl = 0;
        while (nl < input.length && input[nl] != '\n') nl++;
        String name = new String(input, 0, nl, StandardCharsets.US_ASCII);
        Bytes data = Bytes.of(input, Math.min(nl + 1, input.length), Math.max(0, input.length - nl - 1));
        for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            for (boolean violation : new boolean[] {false, true}) {
                try {
                    TemplateDataDecoder.decode(name, data, order, violation);
                } catch (MalformedTemplateDataException expected) {
                    // the typed failure
                }
            }
        }
    }
}

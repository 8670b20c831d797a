package org.imaarchiver.replay.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import org.imaarchiver.replay.quote.MalformedQuoteException;
import org.imaarchiver.replay.quote.PcrValues;

/** PCR values: {@code tpm2_quote -o} serialized form ({@code --pcrs}), and the same bytes as {@code tpm2_pcrread} YAML. */
class PcrValuesFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void pcrValues(byte[] input) {
        try {
            PcrValues.parseSerialized(input);
        } catch (MalformedQuoteException expected) {
            // the typed failure
        }
        try {
            PcrValues.parsePcrreadYaml(new String(input, StandardCharsets.UTF_8));
        } catch (MalformedQuoteException expected) {
            // the typed failure
        }
    }
}

package org.imaarchiver.replay.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import org.imaarchiver.replay.replay.PcrStateJson;

/** The replay state JSON that {@code --base} reads (and the JSON parser under it). */
class PcrStateFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void pcrState(byte[] input) {
        try {
            PcrStateJson.parse(new String(input, StandardCharsets.UTF_8));
        } catch (PcrStateJson.DecodeException expected) {
            // the typed failure
        }
    }
}

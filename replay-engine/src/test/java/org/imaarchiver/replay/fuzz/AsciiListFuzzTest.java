package org.imaarchiver.replay.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import org.imaarchiver.replay.log.AsciiLogReader;
import org.imaarchiver.replay.log.LogReadOptions;

/** The ASCII measurement list and everything derived from its records. */
class AsciiListFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void asciiList(byte[] input) throws IOException {
        LogReaderChecks.readAll(AsciiLogReader.open(new ByteArrayInputStream(input), LogReadOptions.of("fuzz")), input.length);
    }
}

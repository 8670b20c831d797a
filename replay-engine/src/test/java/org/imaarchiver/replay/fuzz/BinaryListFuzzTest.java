package org.imaarchiver.replay.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import org.imaarchiver.replay.log.BinaryLogReader;
import org.imaarchiver.replay.log.LogReadOptions;

/** The binary measurement list (kernel-interface.md B.3) and everything derived from its records. */
class BinaryListFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void binaryList(byte[] input) throws IOException {
        LogReaderChecks.readAll(BinaryLogReader.open(new ByteArrayInputStream(input), LogReadOptions.of("fuzz")), input.length);
    }
}

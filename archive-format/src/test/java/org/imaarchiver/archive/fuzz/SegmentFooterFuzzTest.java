package org.imaarchiver.archive.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.imaarchiver.archive.segment.MalformedManifestException;
import org.imaarchiver.archive.segment.SegmentFormatException;
import org.imaarchiver.archive.segment.SegmentReader;

/**
 * A segment file's footer (archive-format.md §12 step 7: magic, footer length, Parquet FileMetaData,
 * schema, the footer manifest), as {@code SegmentChecks.open} reads it. The typed failures are
 * {@link SegmentFormatException} and {@link MalformedManifestException} (findings); an IOException
 * for a file that reads fine would reach the verifier as an environment error, so it is a bug too.
 * The seed is a segment {@code pack} made of the captured Debian 6.1 list.
 */
class SegmentFooterFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void footer(byte[] input) throws IOException {
        Path file = Files.createTempFile("fuzz-segment-", ".parquet");
        try {
            Files.write(file, input);
            SegmentReader.open(file).manifest();
        } catch (SegmentFormatException | MalformedManifestException expected) {
            // the typed failures
        } finally {
            Files.delete(file);
        }
    }
}

package org.imaarchiver.archive.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.imaarchiver.archive.segment.ManifestCodec;
import org.imaarchiver.archive.segment.MalformedManifestException;
import org.imaarchiver.archive.segment.SegmentManifest;

/** A segment manifest (archive-format.md §6), as a sidecar or a segment's footer holds it. */
class ManifestFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void manifest(byte[] input) {
        SegmentManifest m;
        try {
            m = ManifestCodec.decode(input);
        } catch (MalformedManifestException expected) {
            return; // the typed failure
        }
        ManifestCodec.digest(m);
        ManifestCodec.encode(m);
    }
}

package org.imaarchiver.archive.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.imaarchiver.archive.chain.TrustStore;
import org.imaarchiver.archive.sign.SignatureVerificationException;
import org.imaarchiver.archive.sign.SignatureVerifier;
import org.imaarchiver.replay.bytes.Bytes;
import org.junit.jupiter.api.BeforeAll;

/**
 * A detached CMS SignedData over a manifest (archive-format.md §7), verified against the A.1 manifest
 * and the test vectors' archiver certificate, so a mutation of the real A.3 signature reaches the
 * signer, profile and signature checks.
 */
class ManifestSignatureFuzzTest {
    private static Bytes manifest;
    private static SignatureVerifier verifier;

    @BeforeAll
    static void vectors() throws IOException, URISyntaxException {
        Path dir = Path.of(ManifestSignatureFuzzTest.class.getResource("/vectors").toURI());
        manifest = Bytes.wrap(Files.readAllBytes(dir.resolve("a1.manifest.json")));
        verifier = SignatureVerifier.trusting(TrustStore.loadSigners(dir.resolve("signers")));
    }

    @FuzzTest(maxDuration = "10s")
    void cms(byte[] input) {
        try {
            verifier.verify(manifest, Bytes.wrap(input));
        } catch (SignatureVerificationException expected) {
            // the typed failure
        }
    }
}

package org.imaarchiver.replay.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.imaarchiver.replay.quote.AkPublicKey;
import org.imaarchiver.replay.quote.MalformedQuoteException;

/** An AK public key as {@code --ak} and the trust directory take it: PEM SubjectPublicKeyInfo, TPM2B_PUBLIC or TPMT_PUBLIC. */
class AkPublicFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void akPublic(byte[] input) {
        try {
            AkPublicKey.load(input);
        } catch (MalformedQuoteException expected) {
            // the typed failure
        }
    }
}

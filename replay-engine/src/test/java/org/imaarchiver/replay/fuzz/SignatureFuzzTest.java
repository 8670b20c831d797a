package org.imaarchiver.replay.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.imaarchiver.replay.quote.MalformedQuoteException;
import org.imaarchiver.replay.quote.QuoteSignature;

/** TPMT_SIGNATURE, as {@code check-quote --signature} and a segment's quote hold it. */
class SignatureFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void signature(byte[] input) {
        try {
            QuoteSignature.parse(input);
        } catch (MalformedQuoteException expected) {
            // the typed failure
        }
    }
}

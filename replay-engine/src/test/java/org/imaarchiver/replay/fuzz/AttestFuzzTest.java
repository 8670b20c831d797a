package org.imaarchiver.replay.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.imaarchiver.replay.quote.MalformedQuoteException;
import org.imaarchiver.replay.quote.Quote;

/** TPMS_ATTEST, as {@code check-quote --quote} and a segment's quote hold it. */
class AttestFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void attest(byte[] input) {
        try {
            Quote.parse(input);
        } catch (MalformedQuoteException expected) {
            // the typed failure
        }
    }
}

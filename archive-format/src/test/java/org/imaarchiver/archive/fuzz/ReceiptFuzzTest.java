package org.imaarchiver.archive.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.imaarchiver.archive.receipt.VerificationReceipt;
import org.imaarchiver.replay.bytes.Bytes;

/** A verification receipt's JSON (archive-format.md §14), as {@code --since-receipt} reads it. */
class ReceiptFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void receipt(byte[] input) {
        try {
            VerificationReceipt.parse(Bytes.wrap(input)).canonicalBytes();
        } catch (VerificationReceipt.ReceiptException expected) {
            // the typed failure
        }
    }
}

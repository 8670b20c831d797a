package org.imaarchiver.archive.admission;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HexFormat;
import org.imaarchiver.replay.bytes.Bytes;
import org.junit.jupiter.api.Test;

class CredentialChallengeTest {
    /**
     * Written by hand from the layout tpm2_makecredential -o uses (magic, version, two TPM2Bs), with
     * parts short enough to read: a 6-byte blob and a 3-byte secret.
     */
    private static final byte[] HAND_WRITTEN = HexFormat.of().parseHex(
            "badcc0de" + "00000001" + "0006" + "000401020304" + "0003" + "aabbcc");

    @Test
    void readsTheTwoParts() throws Exception {
        CredentialChallenge c = CredentialChallenge.parse(HAND_WRITTEN);
        assertEquals(Bytes.ofHex("000401020304"), c.credentialBlob());
        assertEquals(Bytes.ofHex("aabbcc"), c.encryptedSecret());
        assertArrayEquals(HAND_WRITTEN, c.toBytes());
    }

    @Test
    void refusesWhatIsNotExactlyOneChallenge() {
        assertTrue(refusal(new byte[0]).startsWith("byte 0: 0 bytes"));
        byte[] magic = HAND_WRITTEN.clone();
        magic[3] = 0;
        assertTrue(refusal(magic).startsWith("byte 0: magic 0xbadcc000"));
        byte[] version = HAND_WRITTEN.clone();
        version[7] = 2;
        assertTrue(refusal(version).startsWith("byte 4: version 2"));
        assertTrue(refusal(Arrays.copyOf(HAND_WRITTEN, HAND_WRITTEN.length - 1)).startsWith("byte 16: TPM2B_ENCRYPTED_SECRET of 3 bytes, but 2 follow"));
        assertTrue(refusal(Arrays.copyOf(HAND_WRITTEN, 16)).startsWith("byte 16: TPM2B_ENCRYPTED_SECRET missing"));
        assertTrue(refusal(Arrays.copyOf(HAND_WRITTEN, HAND_WRITTEN.length + 1)).startsWith("byte 21: 1 bytes after"));
        byte[] empty = HexFormat.of().parseHex("badcc0de000000010000" + "0003aabbcc");
        assertTrue(refusal(empty).startsWith("byte 8: TPM2B_ID_OBJECT is empty"));
    }

    private static String refusal(byte[] file) {
        return assertThrows(CredentialChallenge.MalformedChallengeException.class, () -> CredentialChallenge.parse(file)).getMessage();
    }
}

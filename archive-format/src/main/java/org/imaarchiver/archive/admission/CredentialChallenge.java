package org.imaarchiver.archive.admission;

import java.nio.ByteBuffer;
import org.imaarchiver.replay.bytes.Bytes;

/**
 * The challenge a verifier sends a host to prove its AK (docs/trust-model.md): the output of
 * TPM2_MakeCredential for the host's EK and the AK's name, in the file format of
 * {@code tpm2_makecredential -o} (tpm2-tools 5, kernel-interface.md T.7): big-endian u32 magic
 * {@code 0xBADCC0DE}, u32 version 1, TPM2B_ID_OBJECT (u16 size, then the credential blob:
 * integrity HMAC and encrypted credential), TPM2B_ENCRYPTED_SECRET (u16 size, then the seed encrypted
 * to the EK), nothing after. The host's answer is the secret itself, the bytes
 * {@code tpm2_activatecredential -o} writes.
 *
 * @param credentialBlob the TPM2B_ID_OBJECT's contents
 * @param encryptedSecret the TPM2B_ENCRYPTED_SECRET's contents
 */
public record CredentialChallenge(Bytes credentialBlob, Bytes encryptedSecret) {
    public static final int MAGIC = 0xBADCC0DE;
    public static final int VERSION = 1;

    public CredentialChallenge {
        if (credentialBlob.length() == 0 || credentialBlob.length() > 0xFFFF) {
            throw new IllegalArgumentException("credential blob of " + credentialBlob.length() + " bytes");
        }
        if (encryptedSecret.length() == 0 || encryptedSecret.length() > 0xFFFF) {
            throw new IllegalArgumentException("encrypted secret of " + encryptedSecret.length() + " bytes");
        }
    }

    /** The file is not a challenge this version reads: names the field and its byte offset. */
    public static final class MalformedChallengeException extends Exception {
        public MalformedChallengeException(String message) { super(message); }
    }

    /** Parses a whole challenge file; the bytes must already be bounded by {@code InputLimit.ENROLMENT}. */
    public static CredentialChallenge parse(byte[] file) throws MalformedChallengeException {
        ByteBuffer b = ByteBuffer.wrap(file);
        if (b.remaining() < 8) throw new MalformedChallengeException("byte 0: " + file.length + " bytes, too short for the header");
        int magic = b.getInt();
        if (magic != MAGIC) {
            throw new MalformedChallengeException(String.format("byte 0: magic 0x%08x, not 0x%08x (a tpm2_makecredential file)", magic, MAGIC));
        }
        int version = b.getInt();
        if (version != VERSION) throw new MalformedChallengeException("byte 4: version " + Integer.toUnsignedString(version) + ", this version reads " + VERSION);
        Bytes blob = tpm2b(b, "TPM2B_ID_OBJECT");
        Bytes secret = tpm2b(b, "TPM2B_ENCRYPTED_SECRET");
        if (b.hasRemaining()) throw new MalformedChallengeException("byte " + b.position() + ": " + b.remaining() + " bytes after TPM2B_ENCRYPTED_SECRET");
        return new CredentialChallenge(blob, secret);
    }

    private static Bytes tpm2b(ByteBuffer b, String field) throws MalformedChallengeException {
        int at = b.position();
        if (b.remaining() < 2) throw new MalformedChallengeException("byte " + at + ": " + field + " missing");
        int size = Short.toUnsignedInt(b.getShort());
        if (size == 0) throw new MalformedChallengeException("byte " + at + ": " + field + " is empty");
        if (size > b.remaining()) {
            throw new MalformedChallengeException("byte " + at + ": " + field + " of " + size + " bytes, but " + b.remaining() + " follow");
        }
        byte[] v = new byte[size];
        b.get(v);
        return Bytes.wrap(v);
    }

    /** The file bytes. */
    public byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(8 + 2 + credentialBlob.length() + 2 + encryptedSecret.length());
        b.putInt(MAGIC).putInt(VERSION);
        b.putShort((short) credentialBlob.length()).put(credentialBlob.toArray());
        b.putShort((short) encryptedSecret.length()).put(encryptedSecret.toArray());
        return b.array();
    }
}

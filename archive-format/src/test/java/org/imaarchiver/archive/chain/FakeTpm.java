package org.imaarchiver.archive.chain;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.util.Base64;
import org.imaarchiver.replay.quote.QuoteEvidence;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.quote.AkPublicKey;

/**
 * A TPM stand-in for generated lists: PCR 10 in the sha1 and sha256 banks, extended by the test's
 * own loop (PCR = H(PCR || H(template data)), kernel-interface.md B.10), and TPM2_Quote structures
 * (TPMS_ATTEST, C.1) signed RSASSA-SHA256 with a test AK. Independent of the replay engine.
 */
public final class FakeTpm {
    public final KeyPair ak;
    public final Bytes akName;
    public long resetCount;
    public long restartCount;
    private byte[] pcr10Sha1 = new byte[20];
    private byte[] pcr10Sha256 = new byte[32];
    private long clock = 1000;

    public FakeTpm(long resetCount) throws Exception {
        this(newAk(), resetCount);
    }

    /** Another TPM state (e.g. a forked history) with the same AK. */
    public FakeTpm(KeyPair ak, long resetCount) throws Exception {
        this.ak = ak;
        this.akName = Bytes.wrap(concat(new byte[] {0, 0x0b}, MessageDigest.getInstance("SHA-256").digest(ak.getPublic().getEncoded())));
        this.resetCount = resetCount;
    }

    public static KeyPair newAk() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    public AkPublicKey akPublic() { return AkPublicKey.of(ak.getPublic()); }

    public String akPem() {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(ak.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n";
    }

    /** A reboot: PCRs reset, resetCount counts up. */
    public void reboot() {
        pcr10Sha1 = new byte[20];
        pcr10Sha256 = new byte[32];
        resetCount++;
        restartCount = 0;
    }

    public void extend(MeasurementRecord r) throws Exception {
        byte[] data = r.templateData().toArray();
        pcr10Sha1 = h("SHA-1", concat(pcr10Sha1, h("SHA-1", data)));
        pcr10Sha256 = h("SHA-256", concat(pcr10Sha256, h("SHA-256", data)));
    }

    public byte[] pcr10(String bank) { return bank.equals("sha1") ? pcr10Sha1.clone() : pcr10Sha256.clone(); }

    public QuoteEvidence quote(Bytes nonce) throws Exception {
        return quote(nonce, ak, pcr10Sha1, pcr10Sha256);
    }

    /** A quote over sha1:10 + sha256:10 with the given values, signed by {@code key}. */
    public QuoteEvidence quote(Bytes nonce, KeyPair key, byte[] sha1, byte[] sha256) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(512).order(ByteOrder.BIG_ENDIAN);
        b.putInt(0xFF544347).putShort((short) 0x8018);
        b.putShort((short) akName.length()).put(akName.toArray()); // qualifiedSigner
        b.putShort((short) nonce.length()).put(nonce.toArray()); // extraData
        b.putLong(clock++).putInt((int) resetCount).putInt((int) restartCount).put((byte) 1); // TPMS_CLOCK_INFO
        b.putLong(0x2023_0101L); // firmwareVersion
        b.putInt(2); // TPML_PCR_SELECTION: sha1 {10}, sha256 {10}
        b.putShort((short) 0x0004).put((byte) 3).put(new byte[] {0, 0x04, 0});
        b.putShort((short) 0x000b).put((byte) 3).put(new byte[] {0, 0x04, 0});
        byte[] pcrDigest = h("SHA-256", concat(sha1, sha256)); // C.2: selection order, signing hash
        b.putShort((short) 32).put(pcrDigest);
        byte[] attest = new byte[b.position()];
        b.flip();
        b.get(attest);
        Signature s = Signature.getInstance("SHA256withRSA");
        s.initSign(key.getPrivate());
        s.update(attest);
        byte[] sig = s.sign();
        ByteBuffer t = ByteBuffer.allocate(6 + sig.length); // TPMT_SIGNATURE: RSASSA, SHA256, TPM2B
        t.putShort((short) 0x0014).putShort((short) 0x000b).putShort((short) sig.length).put(sig);
        return new QuoteEvidence(Bytes.wrap(attest), Bytes.wrap(t.array()), akName);
    }

    public static byte[] h(String alg, byte[] data) throws Exception { return MessageDigest.getInstance(alg).digest(data); }

    public static byte[] concat(byte[] a, byte[] b) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(a);
        o.writeBytes(b);
        return o.toByteArray();
    }
}

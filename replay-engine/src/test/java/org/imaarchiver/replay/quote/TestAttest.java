package org.imaarchiver.replay.quote;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.Arrays;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * Builds TPMS_ATTEST bytes field by field (TPM 2.0 Part 2 layout, kernel-interface.md C.1) and signs them
 * with JCA keys, so verifier ordering can be tested on inputs whose signature is valid but whose
 * content is wrong (a TPM would never sign those).
 */
final class TestAttest {
    long magic = Quote.TPM_GENERATED_VALUE;
    int type = Quote.TPM_ST_ATTEST_QUOTE;
    byte[] signer = new byte[34];
    byte[] extraData = Bytes.ofHex("0102030405").toArray();
    long clock = 1234, resetCount = 7, restartCount = 3;
    int safe = 1;
    long firmware = 0x2019102300163636L;
    /** Raw TPML_PCR_SELECTION: sha256 PCR 10 by default. */
    byte[] selection = Bytes.ofHex("00000001" + "000b" + "03" + "000400").toArray();
    byte[] pcrDigest = new byte[32];

    byte[] build() {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        u32(o, magic);
        u16(o, type);
        u16(o, signer.length);
        o.writeBytes(signer);
        u16(o, extraData.length);
        o.writeBytes(extraData);
        u32(o, clock >>> 32);
        u32(o, clock);
        u32(o, resetCount);
        u32(o, restartCount);
        o.write(safe);
        u32(o, firmware >>> 32);
        u32(o, firmware);
        o.writeBytes(selection);
        u16(o, pcrDigest.length);
        o.writeBytes(pcrDigest);
        return o.toByteArray();
    }

    static void u16(ByteArrayOutputStream o, int v) {
        o.write(v >> 8);
        o.write(v);
    }

    static void u32(ByteArrayOutputStream o, long v) {
        o.write((int) (v >> 24));
        o.write((int) (v >> 16));
        o.write((int) (v >> 8));
        o.write((int) v);
    }

    static KeyPair rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    static KeyPair ec(String curve) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec(curve));
        return g.generateKeyPair();
    }

    static QuoteSignature signRsassa(PrivateKey k, HashAlgorithm h, byte[] data) throws Exception {
        Signature s = Signature.getInstance(h.jcaName().replace("-", "") + "withRSA");
        s.initSign(k);
        s.update(data);
        return new QuoteSignature.Rsa(QuoteSignature.RsaScheme.RSASSA, h, Bytes.wrap(s.sign()));
    }

    static QuoteSignature signPss(PrivateKey k, HashAlgorithm h, int salt, byte[] data) throws Exception {
        Signature s = Signature.getInstance("RSASSA-PSS");
        s.setParameter(new PSSParameterSpec(h.jcaName(), "MGF1", new MGF1ParameterSpec(h.jcaName()), salt, 1));
        s.initSign(k);
        s.update(data);
        return new QuoteSignature.Rsa(QuoteSignature.RsaScheme.RSAPSS, h, Bytes.wrap(s.sign()));
    }

    /** P1363 output is r || s, each the order's size: exactly the TPM's TPMS_SIGNATURE_ECDSA content. */
    static QuoteSignature signEcdsa(PrivateKey k, HashAlgorithm h, byte[] data) throws Exception {
        Signature s = Signature.getInstance(h.jcaName().replace("-", "") + "withECDSAinP1363Format");
        s.initSign(k);
        s.update(data);
        byte[] rs = s.sign();
        int n = rs.length / 2;
        return new QuoteSignature.Ecdsa(h, Bytes.wrap(Arrays.copyOfRange(rs, 0, n)), Bytes.wrap(Arrays.copyOfRange(rs, n, rs.length)));
    }

    static byte[] read(Path p) throws Exception {
        return Files.readAllBytes(p);
    }

    static byte[] flipBit(byte[] b, int byteIndex, int bit) {
        byte[] c = b.clone();
        c[byteIndex] ^= (byte) (1 << bit);
        return c;
    }
}

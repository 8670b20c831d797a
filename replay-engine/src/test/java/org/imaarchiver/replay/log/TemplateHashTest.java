package org.imaarchiver.replay.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class TemplateHashTest {

    /**
     * Replaying every record's recomputed template digest (violations as 0xFF, B.8) into PCR 10
     * gives the values published with the lists (README of the test data).
     */
    @ParameterizedTest
    @CsvSource({
        "kgoldman+ibmtss/sha1.log,SHA1,9be6bac02bf18d09d17e726c2df00bca4e8831ea",
        "kgoldman+ibmtss/sha256.log,SHA256,7fac48c81837d6d29046008aef0cdad8c2745cc98c3340cbba9bfdf39b4124b8",
        "kgoldman+ibmtss/sha384.log,SHA384,e8923687b18847064ff3af89fd7ed088fa03c8b2467f7f8648bab264684575beb92e707d813ed561189492bb4b6e5c8b",
        "kgoldman+ibmtss/sha512.log,SHA512,698dab0fbb7c4ae0ec4ecae0d3890e9635cc2ba97b9dec459f9ef867b96d858843697c701e580931d6f2cf1e18acb2b3192eb660e871a37cf5b45392086ce807",
        "kgoldman+ibmtss/sha1.log,SHA256,7fac48c81837d6d29046008aef0cdad8c2745cc98c3340cbba9bfdf39b4124b8",
        "kgoldman+ibmtss/imatest.log,SHA1,0ff68e1da514770e85581bffe693809776302a63",
        "kgoldman+ibmtss/imatest.log,SHA256,af02ae09413721fddb71250ae26383de73cc78d5df37fbebadacedeaeacddb18",
        "Cybersecurity-LINKS+embrave/binary_runtime_measurements,SHA1,f38695bbd9479953543813fb13bb88235440504e",
        "Cybersecurity-LINKS+embrave/ascii_runtime_measurements,SHA256,0d204f41041c48fe0d2e1ef0a6c308412c27304a68519d3ce3568a692d3fea83",
        "keylime+rust-keylime/ascii_runtime_measurements,SHA256,c4a065637fc6a7c55f2811dd06cb45dd037133be2b3dc5c3e6fbe6bf061db724"})
    void replayedTemplateDigestsReachThePublishedPcr10(String file, HashAlgorithm bank, String expected) throws Exception {
        List<MeasurementRecord> records = LogFiles.readFile(LogFiles.ima(file));
        MessageDigest template = bank.newDigest();
        MessageDigest extend = bank.newDigest();
        byte[] pcr = new byte[bank.digestLength()];
        byte[] value = new byte[bank.digestLength()];
        for (MeasurementRecord r : records) {
            if (r.pcr() != 10) continue;
            if (r.isViolation()) java.util.Arrays.fill(value, (byte) 0xFF);
            else TemplateHash.digestInto(r, template, value, 0);
            extend.update(pcr);
            extend.update(value);
            pcr = extend.digest();
        }
        assertThat(Digest.wrap(pcr)).isEqualTo(Digest.ofHex(expected));
    }

    @Test
    void imaTemplateHashesTheNameInA256ByteBuffer() throws Exception {
        byte[] d = new byte[20];
        for (int i = 0; i < 20; i++) d[i] = (byte) (i * 7);
        byte[] name = "/usr/bin/bash".getBytes(StandardCharsets.US_ASCII);
        byte[] data = ByteBuffer.allocate(24 + name.length).order(ByteOrder.LITTLE_ENDIAN).put(d).putInt(name.length)
                .put(name).array();
        MeasurementRecord r = new MeasurementRecord(0, 0, 10, Digest.filled(20, (byte) 1), "ima", Bytes.wrap(data),
                ByteOrder.LITTLE_ENDIAN, Bytes.wrap(data));
        // B.7: d || name || NUL and zeros up to 256 bytes
        byte[] hashed = new byte[20 + 256];
        System.arraycopy(d, 0, hashed, 0, 20);
        System.arraycopy(name, 0, hashed, 20, name.length);
        for (HashAlgorithm a : HashAlgorithm.values()) {
            assertThat(TemplateHash.of(r, a)).isEqualTo(Digest.wrap(a.newDigest().digest(hashed)));
        }
        // the same with big-endian length fields
        byte[] be = ByteBuffer.allocate(24 + name.length).order(ByteOrder.BIG_ENDIAN).put(d).putInt(name.length)
                .put(name).array();
        MeasurementRecord rb = new MeasurementRecord(0, 0, 10, Digest.filled(20, (byte) 1), "ima", Bytes.wrap(be),
                ByteOrder.BIG_ENDIAN, Bytes.wrap(be));
        assertThat(TemplateHash.of(rb, HashAlgorithm.SHA1)).isEqualTo(Digest.wrap(MessageDigest.getInstance("SHA-1").digest(hashed)));
    }

    @Test
    void digestIntoWritesAtTheOffsetAndReusesTheDigest() throws Exception {
        List<MeasurementRecord> records = LogFiles.readFile(LogFiles.ima("kgoldman+ibmtss/sha1.log"));
        MessageDigest md = HashAlgorithm.SHA256.newDigest();
        byte[] out = new byte[40];
        md.update(new byte[] {1, 2, 3}); // left-over state must not leak in
        TemplateHash.digestInto(records.get(5), md, out, 8);
        assertThat(Digest.of(out, 8, 32)).isEqualTo(Digest.wrap(
                MessageDigest.getInstance("SHA-256").digest(records.get(5).templateData().toArray())));
        assertThat(Digest.of(out, 0, 8)).isEqualTo(Digest.zeros(8));
    }
}

package org.imaarchiver.replay.quote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.junit.jupiter.api.Test;

/**
 * The one bounded TPM reader: every size is checked before anything is read, and the error names the
 * field, the kind and the offset in the whole buffer. Files give {@link MalformedQuoteException}; a
 * reader with its own {@link TpmReader.Errors} gives that exception with the same facts (the TPM
 * client's TpmProtocolException is tested with the client, in the jobs module).
 */
class TpmReaderTest {

    /** Stands for a caller's own exception type (the TPM client's is in another module). */
    static final class ResponseError extends Exception {
        final MalformedQuoteException.Kind kind;
        final String field;
        final int offset;

        ResponseError(MalformedQuoteException.Kind kind, String field, int offset, String detail) {
            super(kind + " " + field + " @" + offset + ": " + detail);
            this.kind = kind;
            this.field = field;
            this.offset = offset;
        }
    }

    private static TpmReader<ResponseError> response(String hex) {
        byte[] b = Bytes.ofHex(hex).toArray();
        return TpmReader.over(b, 0, b.length, ResponseError::new);
    }

    @Test
    void truncatedSizeFieldIsTruncatedAtTheSizeInBothForms() {
        // one byte where a TPM2B's u16 size should be, after a 4-byte prefix
        MalformedQuoteException file = catchThrowableOfType(() -> {
            TpmReader<MalformedQuoteException> r = TpmReader.of(Bytes.ofHex("0000000100").toArray());
            r.u32("prefix");
            r.tpm2b("TPM2B_DATA", 64);
        }, MalformedQuoteException.class);
        assertThat(file.kind()).isEqualTo(MalformedQuoteException.Kind.TRUNCATED);
        assertThat(file.field()).isEqualTo("TPM2B_DATA.size");
        assertThat(file.offset()).isEqualTo(4);

        ResponseError rsp = catchThrowableOfType(() -> {
            TpmReader<ResponseError> r = response("0000000100");
            r.u32("prefix");
            r.tpm2b("TPM2B_DATA", 64);
        }, ResponseError.class);
        assertThat(rsp.kind).isEqualTo(MalformedQuoteException.Kind.TRUNCATED);
        assertThat(rsp.field).isEqualTo("TPM2B_DATA.size");
        assertThat(rsp.offset).isEqualTo(4);

        // a u32 count cut after two bytes
        MalformedQuoteException count = catchThrowableOfType(
                () -> TpmReader.of(Bytes.ofHex("0000").toArray()).pcrSelection("TPML_PCR_SELECTION", TpmReader.UnknownBank.REJECT),
                MalformedQuoteException.class);
        assertThat(count.kind()).isEqualTo(MalformedQuoteException.Kind.TRUNCATED);
        assertThat(count.field()).isEqualTo("TPML_PCR_SELECTION.count");
        assertThat(count.offset()).isZero();
    }

    @Test
    void sizeBeyondTheBytesLeftIsTruncatedAtTheContent() {
        // size 5, 2 bytes follow
        MalformedQuoteException e = catchThrowableOfType(
                () -> TpmReader.of(Bytes.ofHex("0005aabb").toArray()).tpm2b("TPM2B_DIGEST", 64), MalformedQuoteException.class);
        assertThat(e.kind()).isEqualTo(MalformedQuoteException.Kind.TRUNCATED);
        assertThat(e.field()).isEqualTo("TPM2B_DIGEST");
        assertThat(e.offset()).isEqualTo(2);
        assertThat(e.detail()).isEqualTo("needs 5 bytes, 2 left");
    }

    @Test
    void oversizeTpm2bIsRejectedBeforeItsContentIsRead() {
        // size 0x0041 = 65 > 64: rejected even though the 65 bytes are there
        String hex = "ff" + "0041" + "00".repeat(65);
        MalformedQuoteException file = catchThrowableOfType(() -> {
            TpmReader<MalformedQuoteException> r = TpmReader.of(Bytes.ofHex(hex).toArray());
            r.u8("pad");
            r.tpm2b("TPM2B_DIGEST", 64);
        }, MalformedQuoteException.class);
        assertThat(file.kind()).isEqualTo(MalformedQuoteException.Kind.BAD_VALUE);
        assertThat(file.field()).isEqualTo("TPM2B_DIGEST");
        assertThat(file.offset()).isEqualTo(1);
        assertThat(file.detail()).isEqualTo("size 65 exceeds bound 64");

        ResponseError rsp = catchThrowableOfType(() -> {
            TpmReader<ResponseError> r = response(hex);
            r.u8("pad");
            r.tpm2b("TPM2B_DIGEST", 64);
        }, ResponseError.class);
        assertThat(rsp.kind).isEqualTo(MalformedQuoteException.Kind.BAD_VALUE);
        assertThat(rsp.offset).isEqualTo(1);
    }

    @Test
    void pcrSelectionCountAbove16IsRejectedInBothForms() throws Exception {
        String seventeen = "00000011" + "000b03000400"; // the count is refused before any entry is read
        MalformedQuoteException file = catchThrowableOfType(
                () -> TpmReader.of(Bytes.ofHex(seventeen).toArray()).pcrSelection("TPML_PCR_SELECTION", TpmReader.UnknownBank.SKIP),
                MalformedQuoteException.class);
        assertThat(file.kind()).isEqualTo(MalformedQuoteException.Kind.BAD_VALUE);
        assertThat(file.field()).isEqualTo("TPML_PCR_SELECTION.count");
        assertThat(file.offset()).isZero();
        assertThat(file.detail()).isEqualTo("17 selections exceeds bound 16");

        // a count with the top bit set is not a negative number
        ResponseError big = catchThrowableOfType(() -> {
            TpmReader<ResponseError> r = response("0000" + "80000000");
            r.u16("pad");
            r.pcrSelection("pcrSelectionOut", TpmReader.UnknownBank.REJECT);
        }, ResponseError.class);
        assertThat(big.kind).isEqualTo(MalformedQuoteException.Kind.BAD_VALUE);
        assertThat(big.field).isEqualTo("pcrSelectionOut.count");
        assertThat(big.offset).isEqualTo(2);

        // 16 is the bound itself and passes
        StringBuilder sixteen = new StringBuilder("00000010");
        for (int i = 0; i < 16; i++) sixteen.append("000b03000400");
        assertThat(TpmReader.of(Bytes.ofHex(sixteen.toString()).toArray())
                .pcrSelection("TPML_PCR_SELECTION", TpmReader.UnknownBank.REJECT)).hasSize(16);
    }

    @Test
    void unknownBankIsRejectedOrSkippedAsAsked() throws Exception {
        String sm3AndSha256 = "00000002" + "0012" + "03" + "000400" + "000b" + "03" + "000400";
        MalformedQuoteException e = catchThrowableOfType(
                () -> TpmReader.of(Bytes.ofHex(sm3AndSha256).toArray()).pcrSelection("sel", TpmReader.UnknownBank.REJECT),
                MalformedQuoteException.class);
        assertThat(e.kind()).isEqualTo(MalformedQuoteException.Kind.UNSUPPORTED_ALGORITHM);
        assertThat(e.field()).isEqualTo("sel[0].hash");
        assertThat(e.offset()).isEqualTo(4);
        assertThat(TpmReader.of(Bytes.ofHex(sm3AndSha256).toArray()).pcrSelection("sel", TpmReader.UnknownBank.SKIP))
                .containsExactly(PcrSelection.of(HashAlgorithm.SHA256, 10));
    }

    @Test
    void oversizeSelectBitmapAndPcrBeyond23AreRejected() {
        MalformedQuoteException size = catchThrowableOfType(
                () -> TpmReader.of(Bytes.ofHex("00000001" + "000b" + "05" + "0000000000").toArray())
                        .pcrSelection("sel", TpmReader.UnknownBank.REJECT), MalformedQuoteException.class);
        assertThat(size.field()).isEqualTo("sel[0].sizeofSelect");
        assertThat(size.offset()).isEqualTo(6);
        MalformedQuoteException pcr = catchThrowableOfType(
                () -> TpmReader.of(Bytes.ofHex("00000001" + "000b" + "04" + "00000001").toArray())
                        .pcrSelection("sel", TpmReader.UnknownBank.SKIP), MalformedQuoteException.class);
        assertThat(pcr.field()).isEqualTo("sel[0].pcrSelect");
        assertThat(pcr.offset()).isEqualTo(7);
        assertThat(pcr.detail()).isEqualTo("PCR 24 beyond 23");
    }

    @Test
    void subReaderIsBoundedAndReportsOffsetsInTheWholeBuffer() throws Exception {
        // 2 bytes before, a 3-byte structure, 1 byte after
        TpmReader<MalformedQuoteException> r = TpmReader.of(Bytes.ofHex("aaaa" + "000102" + "ff").toArray());
        r.u16("before");
        TpmReader<MalformedQuoteException> sub = r.sub(3, "inner");
        assertThat(r.position()).isEqualTo(5);
        assertThat(sub.u16("inner.a")).isEqualTo(1);
        MalformedQuoteException e = catchThrowableOfType(() -> sub.u16("inner.b"), MalformedQuoteException.class);
        assertThat(e.kind()).isEqualTo(MalformedQuoteException.Kind.TRUNCATED);
        assertThat(e.offset()).isEqualTo(4); // not 2: where it stands in the buffer
        MalformedQuoteException trailing = catchThrowableOfType(() -> sub.expectEnd("inner"), MalformedQuoteException.class);
        assertThat(trailing.kind()).isEqualTo(MalformedQuoteException.Kind.TRAILING_BYTES);
        assertThat(trailing.offset()).isEqualTo(4);

        MalformedQuoteException tooLong = catchThrowableOfType(() -> TpmReader.of(new byte[4]).sub(0xFFFF_FFFFL, "parameters"),
                MalformedQuoteException.class);
        assertThat(tooLong.kind()).isEqualTo(MalformedQuoteException.Kind.TRUNCATED);
        assertThat(tooLong.field()).isEqualTo("parameters");
    }

    @Test
    void quoteResponseIsDecodedOnceWithResponseOffsets() throws Exception {
        byte[] attest = new TestAttest().build();
        byte[] sig = Bytes.ofHex("0014" + "000b" + "0002" + "0102").toArray();
        // TPM2_Quote parameters: TPM2B_ATTEST then TPMT_SIGNATURE, after 3 bytes of something else
        byte[] params = new byte[3 + 2 + attest.length + sig.length];
        params[3] = (byte) (attest.length >> 8);
        params[4] = (byte) attest.length;
        System.arraycopy(attest, 0, params, 5, attest.length);
        System.arraycopy(sig, 0, params, 5 + attest.length, sig.length);

        TpmReader<ResponseError> r = TpmReader.over(params, 3, params.length, ResponseError::new);
        QuoteEvidence q = QuoteEvidence.readQuoteResponse(r, Bytes.ofHex("000b00"));
        r.expectEnd("Quote response");
        assertThat(q.attest()).isEqualTo(Bytes.wrap(attest));
        assertThat(q.signature()).isEqualTo(Bytes.wrap(sig));
        assertThat(q.attested()).isSameAs(q.attested()); // decoded once, kept
        assertThat(q.attested().extraData()).isEqualTo(Bytes.ofHex("0102030405"));
        assertThat(q).isEqualTo(new QuoteEvidence(Bytes.wrap(attest), Bytes.wrap(sig), Bytes.ofHex("000b00")));

        // the same bytes with extraData's size raised beyond its bound: an error at its offset in the response
        byte[] bad = params.clone();
        int extraSizeAt = 5 + 4 + 2 + 2 + 34;
        bad[extraSizeAt] = 0x01; // 0x0105 > 66
        ResponseError e = catchThrowableOfType(() -> QuoteEvidence.readQuoteResponse(
                TpmReader.over(bad, 3, bad.length, ResponseError::new), Bytes.EMPTY), ResponseError.class);
        assertThat(e.kind).isEqualTo(MalformedQuoteException.Kind.BAD_VALUE);
        assertThat(e.field).isEqualTo("TPMS_ATTEST.extraData");
        assertThat(e.offset).isEqualTo(extraSizeAt);
    }

    @Test
    void storedBytesThatDoNotDecodeStillMakeAValueAndReportOnRequest() {
        QuoteEvidence q = new QuoteEvidence(Bytes.ofHex("ff544347"), Bytes.ofHex("0014"), Bytes.EMPTY);
        MalformedQuoteException a = catchThrowableOfType(q::attested, MalformedQuoteException.class);
        assertThat(a.kind()).isEqualTo(MalformedQuoteException.Kind.TRUNCATED);
        assertThat(a.field()).isEqualTo("TPMS_ATTEST.type");
        assertThat(a.offset()).isEqualTo(4);
        MalformedQuoteException s = catchThrowableOfType(q::signatureScheme, MalformedQuoteException.class);
        assertThat(s.field()).isEqualTo("TPMS_SIGNATURE_RSA.hash");
        assertThat(catchThrowableOfType(q::attested, MalformedQuoteException.class)).isNotSameAs(a);
    }
}

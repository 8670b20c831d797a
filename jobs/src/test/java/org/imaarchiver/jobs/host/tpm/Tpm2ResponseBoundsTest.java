package org.imaarchiver.jobs.host.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.HexFormat;
import java.util.List;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.quote.PcrSelection;
import org.imaarchiver.replay.quote.TpmReader;
import org.junit.jupiter.api.Test;

/**
 * The TPM client reads responses with the one bounded reader of the replay engine: a size field cut
 * short, a TPM2B beyond its bound or a TPML_PCR_SELECTION with more than 16 entries is a
 * {@link TpmProtocolException} naming the command and the offset in the response (the same reader
 * gives a MalformedQuoteException for files: TpmReaderTest in the replay engine).
 */
class Tpm2ResponseBoundsTest {

    /** Answers every command with one canned response. */
    private record Canned(byte[] response) implements TpmTransport {
        static Canned hex(String hex) { return new Canned(HexFormat.of().parseHex(hex)); }

        @Override
        public byte[] transmit(byte[] command) { return response.clone(); }

        @Override
        public String endpoint() { return "canned"; }

        @Override
        public void close() {}
    }

    /** A success response without sessions: header (tag 8001, size, rc 0) then {@code params}. */
    private static Canned noSessions(String params) {
        int size = 10 + params.length() / 2;
        return Canned.hex("8001" + String.format("%08x", size) + "00000000" + params);
    }

    /** A success response with one password session: header, parameterSize, params, empty auth response. */
    private static Canned withSession(String params) {
        int size = 10 + 4 + params.length() / 2 + 5;
        return Canned.hex("8002" + String.format("%08x", size) + "00000000" + String.format("%08x", params.length() / 2)
                + params + "0000" + "01" + "0000");
    }

    private static TpmReader<TpmProtocolException> reader(TpmCommandCode cc, String hex) {
        byte[] b = HexFormat.of().parseHex(hex);
        return TpmReader.over(b, 0, b.length, TpmProtocolException.reading(cc));
    }

    @Test
    void truncatedSizeFieldNamesCommandAndOffset() {
        TpmProtocolException e = catchThrowableOfType(() -> {
            TpmReader<TpmProtocolException> r = reader(TpmCommandCode.NV_READ, "00000001" + "00");
            r.u32("prefix");
            r.tpm2b("TPM2B_MAX_NV_BUFFER", 1024);
        }, TpmProtocolException.class);
        assertThat(e.command()).isEqualTo(TpmCommandCode.NV_READ);
        assertThat(e.offset()).isEqualTo(4);
        assertThat(e.getMessage()).contains("TRUNCATED in TPM2B_MAX_NV_BUFFER.size");

        // through the client: a ReadPublic response whose TPM2B_PUBLIC size is cut after one byte
        TpmProtocolException viaClient = catchThrowableOfType(
                () -> new Tpm2(noSessions("00")).readPublic(0x81000001), TpmProtocolException.class);
        assertThat(viaClient.command()).isEqualTo(TpmCommandCode.READ_PUBLIC);
        assertThat(viaClient.offset()).isEqualTo(10);
    }

    @Test
    void oversizeTpm2bNamesCommandAndOffset() {
        TpmProtocolException e = catchThrowableOfType(() -> {
            TpmReader<TpmProtocolException> r = reader(TpmCommandCode.PCR_READ, "ff" + "0041" + "00".repeat(65));
            r.u8("pad");
            r.tpm2b("TPM2B_DIGEST", 64);
        }, TpmProtocolException.class);
        assertThat(e.command()).isEqualTo(TpmCommandCode.PCR_READ);
        assertThat(e.offset()).isEqualTo(1);
        assertThat(e.getMessage()).contains("BAD_VALUE in TPM2B_DIGEST").contains("size 65 exceeds bound 64");

        // through the client: a Quote response whose TPM2B_ATTEST claims more than a quote can be
        TpmProtocolException quote = catchThrowableOfType(() -> new Tpm2(withSession("0401" + "00".repeat(1025)))
                .quote(0x81010002, Bytes.EMPTY, Bytes.EMPTY, List.of(PcrSelection.of(HashAlgorithm.SHA256, 10))),
                TpmProtocolException.class);
        assertThat(quote.command()).isEqualTo(TpmCommandCode.QUOTE);
        assertThat(quote.offset()).isEqualTo(14); // header 10 + parameterSize 4
        assertThat(quote.getMessage()).contains("TPM2B_ATTEST");
    }

    @Test
    void malformedAttestInAQuoteResponseNamesTheFieldAndItsResponseOffset() {
        // TPM2B_ATTEST of 8 bytes: magic, type, then a qualifiedSigner size of 0x00ff > 66
        String attest = "ff544347" + "8018" + "00ff";
        TpmProtocolException e = catchThrowableOfType(() -> new Tpm2(withSession("0008" + attest + "0014000b0000"))
                .quote(0x81010002, Bytes.EMPTY, Bytes.EMPTY, List.of(PcrSelection.of(HashAlgorithm.SHA256, 10))),
                TpmProtocolException.class);
        assertThat(e.command()).isEqualTo(TpmCommandCode.QUOTE);
        assertThat(e.offset()).isEqualTo(14 + 2 + 6);
        assertThat(e.getMessage()).contains("TPMS_ATTEST.qualifiedSigner");
    }

    @Test
    void pcrSelectionWithMoreThan16EntriesNamesCommandAndOffset() {
        TpmProtocolException e = catchThrowableOfType(
                () -> reader(TpmCommandCode.PCR_READ, "00000011").pcrSelection("pcrSelectionOut", TpmReader.UnknownBank.REJECT),
                TpmProtocolException.class);
        assertThat(e.command()).isEqualTo(TpmCommandCode.PCR_READ);
        assertThat(e.offset()).isZero();
        assertThat(e.getMessage()).contains("pcrSelectionOut.count").contains("17 selections exceeds bound 16");

        // through the client: GetCapability(PCRS) with count 0x40, after moreData and the capability
        TpmProtocolException viaClient = catchThrowableOfType(
                () -> new Tpm2(noSessions("00" + "00000005" + "00000040" + "000b03ffffff")).pcrBanks(), TpmProtocolException.class);
        assertThat(viaClient.command()).isEqualTo(TpmCommandCode.GET_CAPABILITY);
        assertThat(viaClient.offset()).isEqualTo(10 + 1 + 4);
    }
}

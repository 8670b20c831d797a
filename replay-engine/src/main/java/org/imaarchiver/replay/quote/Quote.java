package org.imaarchiver.replay.quote;

import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;

/**
 * A decoded TPMS_ATTEST of type TPM_ST_ATTEST_QUOTE (kernel-interface.md C.1): the {@code tpm2_quote -m}
 * file. <b>Unverified</b>: nothing here has been checked against a signature. A quote travels as
 * a {@link QuoteEvidence}, which decodes this once from the bytes it carries; {@link QuoteVerifier}
 * uses only that decoding, after checking the signature over those very bytes, so a hand-built
 * {@code Quote} cannot smuggle values past it.
 *
 * @param magic           TPM_GENERATED_VALUE (0xFF544347) on anything the TPM made; not checked here
 * @param type            TPMI_ST_ATTEST, always {@link #TPM_ST_ATTEST_QUOTE} (the parser requires it)
 * @param qualifiedSigner TPM2B_NAME: the AK's qualified name (not its name)
 * @param extraData       TPM2B_DATA: the caller's qualifying data (the nonce)
 * @param pcrSelection    the RETURNED selection: the TPM dropped unallocated PCRs from the request (C.2)
 * @param pcrDigest       H_sig of the selected PCR values (C.2)
 * @param attest          the exact TPMS_ATTEST bytes the AK signed (without a TPM2B_ATTEST size prefix)
 */
public record Quote(long magic, int type, Bytes qualifiedSigner, Bytes extraData, ClockInfo clockInfo,
                    long firmwareVersion, List<PcrSelection> pcrSelection, Digest pcrDigest, Bytes attest) {

    /** TPM_GENERATED_VALUE, "\xffTCG". */
    public static final long TPM_GENERATED_VALUE = 0xFF544347L;
    /** TPM_ST_ATTEST_QUOTE. */
    public static final int TPM_ST_ATTEST_QUOTE = 0x8018;

    /** sizeof(TPMU_NAME) = u16 algorithm + the largest digest (64). */
    static final int MAX_NAME = 2 + 64;
    /** sizeof(TPMT_HA): TPM2B_DATA's bound. */
    static final int MAX_DATA = 2 + 64;
    /** The largest digest of a supported hash. */
    static final int MAX_DIGEST = 64;
    /** The largest TPMS_ATTEST of a quote: header + 16 selections + digest, far below 1 KiB. */
    public static final int MAX_ATTEST = 1024;

    public Quote {
        Objects.requireNonNull(qualifiedSigner, "qualifiedSigner");
        Objects.requireNonNull(extraData, "extraData");
        Objects.requireNonNull(clockInfo, "clockInfo");
        Objects.requireNonNull(pcrDigest, "pcrDigest");
        Objects.requireNonNull(attest, "attest");
        pcrSelection = List.copyOf(pcrSelection);
    }

    public long resetCount() { return clockInfo.resetCount(); }

    public long restartCount() { return clockInfo.restartCount(); }

    /**
     * Decodes a TPMS_ATTEST quote file. A TPM2B_ATTEST (u16 size prefix) is unwrapped when the size
     * equals the rest of the input and the magic follows it; offsets in errors are then positions in
     * the unwrapped TPMS_ATTEST. Banks outside {@link HashAlgorithm} fail closed.
     */
    public static Quote parse(byte[] input) throws MalformedQuoteException {
        byte[] attest = unwrapTpm2bAttest(input);
        return read(TpmReader.of(attest), "TPMS_ATTEST");
    }

    /**
     * Decodes the TPMS_ATTEST that fills {@code r} (a file, or a TPM2B_ATTEST's content in a TPM
     * response), to its end. {@code structure} names it in size and trailing-bytes errors.
     */
    public static <E extends Exception> Quote read(TpmReader<E> r, String structure) throws E {
        int start = r.position();
        if (r.remaining() > MAX_ATTEST) {
            throw r.error(MalformedQuoteException.Kind.BAD_VALUE, structure, start,
                    r.remaining() + " bytes exceeds bound " + MAX_ATTEST);
        }
        long magic = r.u32("TPMS_ATTEST.magic");
        int typeAt = r.position();
        int type = r.u16("TPMS_ATTEST.type");
        if (type != TPM_ST_ATTEST_QUOTE) {
            // The attested union is selected by type: any other type is not a TPMS_QUOTE_INFO.
            throw r.error(MalformedQuoteException.Kind.BAD_VALUE, "TPMS_ATTEST.type", typeAt,
                    String.format("0x%04x is not TPM_ST_ATTEST_QUOTE (0x8018)", type));
        }
        Bytes signer = r.tpm2bBytes("TPMS_ATTEST.qualifiedSigner", MAX_NAME);
        Bytes extra = r.tpm2bBytes("TPMS_ATTEST.extraData", MAX_DATA);
        long clock = r.u64("TPMS_CLOCK_INFO.clock");
        long reset = r.u32("TPMS_CLOCK_INFO.resetCount");
        long restart = r.u32("TPMS_CLOCK_INFO.restartCount");
        int safeAt = r.position();
        int safe = r.u8("TPMS_CLOCK_INFO.safe");
        if (safe > 1) {
            throw r.error(MalformedQuoteException.Kind.BAD_VALUE, "TPMS_CLOCK_INFO.safe", safeAt, "TPMI_YES_NO is " + safe);
        }
        long firmware = r.u64("TPMS_ATTEST.firmwareVersion");
        List<PcrSelection> selection = r.pcrSelection("TPMS_QUOTE_INFO.pcrSelect", TpmReader.UnknownBank.REJECT);
        Digest digest = Digest.wrap(r.tpm2b("TPMS_QUOTE_INFO.pcrDigest", MAX_DIGEST));
        r.expectEnd(structure);
        return new Quote(magic, type, signer, extra, new ClockInfo(clock, reset, restart, safe == 1), firmware,
                selection, digest, r.slice(start, r.position()));
    }

    static byte[] unwrapTpm2bAttest(byte[] in) {
        if (in.length >= 6 && !startsWithMagic(in, 0)) {
            int size = ((in[0] & 0xff) << 8) | (in[1] & 0xff);
            if (size == in.length - 2 && startsWithMagic(in, 2)) {
                return java.util.Arrays.copyOfRange(in, 2, in.length);
            }
        }
        return in.clone();
    }

    private static boolean startsWithMagic(byte[] b, int at) {
        return b.length >= at + 4 && (b[at] & 0xff) == 0xFF && b[at + 1] == 'T' && b[at + 2] == 'C' && b[at + 3] == 'G';
    }

    /**
     * The digest the TPM would put in pcrDigest for these PCR values: {@code signingHash} over the
     * values of the returned selection, in selection order (kernel-interface.md C.2). Comparing it with
     * {@link #pcrDigest()} proves something only for a {@link VerifiedQuote}.
     */
    public Digest quotedDigestOver(HashAlgorithm signingHash, Function<PcrBank, Digest> values) {
        return PcrDigest.compute(pcrSelection, signingHash, values);
    }

    /**
     * A reusable, allocation-free comparer of PCR states with this quote's pcrDigest, for a search that
     * tries every record of a log (kernel-interface.md C.3). Not thread-safe: one per thread.
     */
    public PcrDigestMatcher matcher(HashAlgorithm signingHash) {
        return new PcrDigestMatcher(pcrSelection, signingHash, pcrDigest);
    }
}

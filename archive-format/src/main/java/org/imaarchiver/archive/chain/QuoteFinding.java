package org.imaarchiver.archive.chain;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;

/** A segment's end quote against the trusted AKs and its manifest (§12.5–6). */
public sealed interface QuoteFinding extends ChainFinding {
    long sequence();

    @Override default OptionalLong segment() { return OptionalLong.of(sequence()); }

    @Override default OptionalLong record() { return OptionalLong.empty(); }

    /**
     * The quote verifies under none of the {@code enrolled} AKs of the host; {@code lastSignatureFailure}
     * is why the last one refused it.
     */
    record UntrustedAk(String host, long sequence, int enrolled, Bytes akName, Optional<String> lastSignatureFailure)
            implements QuoteFinding {
        public UntrustedAk { Objects.requireNonNull(akName); Objects.requireNonNull(lastSignatureFailure); }
        @Override public FindingKind kind() { return FindingKind.UNTRUSTED_AK; }
        @Override public String expected() { return enrolled + " enrolled AK(s)"; }
        @Override public String found() { return akName.hex(); }
        @Override public String detail() {
            return enrolled == 0 ? "no AK is enrolled for the host" : "the quote verifies under no enrolled AK: " + lastSignatureFailure.orElse("");
        }
    }

    /** The quote's {@code extraData} is not the manifest's nonce. */
    record NonceMismatch(String host, long sequence, Bytes manifestNonce, Bytes extraData) implements QuoteFinding {
        public NonceMismatch { Objects.requireNonNull(manifestNonce); Objects.requireNonNull(extraData); }
        @Override public FindingKind kind() { return FindingKind.NONCE_MISMATCH; }
        @Override public String expected() { return manifestNonce.hex(); }
        @Override public String found() { return extraData.hex(); }
        @Override public String detail() { return "the quote's extraData is not the manifest's nonce"; }
    }

    /** The quote is not a well-formed TPM2_Quote ({@code failure}: the quote verifier's description). */
    record Malformed(String host, long sequence, String failure) implements QuoteFinding {
        public Malformed { Objects.requireNonNull(failure); }
        @Override public FindingKind kind() { return FindingKind.QUOTE_SIGNATURE; }
        @Override public String expected() { return "a TPM2_Quote"; }
        @Override public String found() { return ""; }
        @Override public String detail() { return failure; }
    }

    /**
     * The quote's pcrDigest ({@code quoted}) is not the digest of the manifest's end PCRs over its
     * selection ({@code computed}, absent when a selected PCR has no value).
     */
    record PcrDigestMismatch(String host, long sequence, Digest quoted, Optional<Digest> computed, String failure)
            implements QuoteFinding {
        public PcrDigestMismatch { Objects.requireNonNull(quoted); Objects.requireNonNull(computed); Objects.requireNonNull(failure); }
        @Override public FindingKind kind() { return FindingKind.PCR_DIGEST_MISMATCH; }
        @Override public String expected() { return quoted.hex(); }
        @Override public String found() { return computed.map(Digest::hex).orElse(""); }
        @Override public String detail() { return "the quote does not attest the manifest's end PCRs: " + failure; }
    }

    /** The quote's resetCount/restartCount are not the manifest's boot's. */
    record BootMismatch(String host, long sequence, long resetCount, long restartCount, long quoteResetCount, long quoteRestartCount)
            implements QuoteFinding {
        @Override public FindingKind kind() { return FindingKind.BOOT_SPLICE; }
        @Override public String expected() { return resetCount + "/" + restartCount; }
        @Override public String found() { return quoteResetCount + "/" + quoteRestartCount; }
        @Override public String detail() { return "the quote's resetCount/restartCount are not the manifest's boot"; }
    }
}

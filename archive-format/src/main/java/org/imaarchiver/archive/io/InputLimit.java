package org.imaarchiver.archive.io;

/**
 * The most bytes a whole-file read takes, per kind of input, and why (docs/operations.md "Input
 * limits"). Every file the archiver reads whole is one of these kinds and is read through
 * {@link LimitedFiles}, so {@code /dev/zero}, a FIFO that never ends or a sparse file of gigabytes in
 * place of a small input is refused after {@link #bytes()} + 1 bytes instead of exhausting the heap.
 * Lists and segments are streamed and have their own per-record bounds (docs/replay.md); objects of an
 * archive store are read whole only up to {@code ArchiveStore.MAX_READ_ALL_BYTES}.
 */
public enum InputLimit {
    /** {@code --quote}: a TPMS_ATTEST of a quote is a header, at most 16 PCR selections and a digest (replay Quote.MAX_ATTEST). */
    QUOTE(1024, "a quote's TPMS_ATTEST"),
    /** {@code --signature}: a TPMT_SIGNATURE of an RSA-4096 key is 2 + 2 + 2 + 512 bytes; ECDSA P-521 less. */
    SIGNATURE(1024, "a TPMT_SIGNATURE"),
    /** {@code --ak} and the AK files of a trust directory: a PEM public key is a few KiB, a TPM2B_PUBLIC under 1 KiB (replay AkPublicKey.MAX_PEM). */
    AK_PUBLIC_KEY(16 * 1024, "an AK public key (PEM, TPM2B_PUBLIC or TPMT_PUBLIC)"),
    /** {@code --ak-name}: a TPM name is a 2-byte algorithm and a digest of at most 64 bytes. */
    AK_NAME(1024, "a TPM name"),
    /** {@code --pcrs}: tpm2_quote's serialized values are at most 25,672 bytes, a tpm2_pcrread YAML of every bank ~10 KiB (replay PcrValues.MAX_YAML). */
    PCR_VALUES(256 * 1024, "a PCR values file (tpm2_quote -o or tpm2_pcrread YAML)"),
    /** {@code --base}: a replay state (24 PCRs per bank at most), or a whole replay/check-quote --json output holding one (its PCR values and at most 100 failures). */
    REPLAY_STATE(4 * 1024 * 1024, "a replay state or replay --json output (--base)"),
    /** Signing keys, certificates and signer files: a PEM certificate is ~1 KiB; a bundle of many fits easily. */
    PEM(1024 * 1024, "a PEM key or certificate file"),
    /** A verification receipt's JSON or its CMS signature (archive-format.md §14): one PCR state and a certificate. */
    RECEIPT(1024 * 1024, "a verification receipt or its signature"),
    /** The archiver's own small state files (host state, trim journal, expected head, run results, metrics). */
    STATE_FILE(16 * 1024 * 1024, "an archiver state file"),
    /** An enrolment request, challenge or answer (docs/trust-model.md): two public areas and a few EK certificates. */
    ENROLMENT(256 * 1024, "an enrolment request, challenge or answer");

    private final int bytes;
    private final String what;

    InputLimit(int bytes, String what) {
        this.bytes = bytes;
        this.what = what;
    }

    /** The most bytes a file of this kind may have. */
    public int bytes() { return bytes; }

    /** What a file of this kind is, for messages. */
    public String what() { return what; }
}

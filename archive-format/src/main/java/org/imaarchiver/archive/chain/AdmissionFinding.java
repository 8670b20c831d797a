package org.imaarchiver.archive.chain;

import java.util.OptionalLong;

/**
 * An AK of the trust directory whose admission record (docs/trust-model.md, {@code
 * <name>.admission.json} beside {@code <name>.pem}) does not hold: the AK is then not proven to be
 * the host's TPM key, and the host fails (docs/archive-format.md "Trust directory"). About the
 * trust directory, not a segment.
 */
public sealed interface AdmissionFinding extends ChainFinding {
    /** The AK file (its name in the host's directory) the record is about. */
    String akFile();

    @Override default OptionalLong segment() { return OptionalLong.empty(); }
    @Override default OptionalLong record() { return OptionalLong.empty(); }

    /** The record's signature does not verify under {@code admission-signers/}, or the record or its signature cannot be read. */
    record Unverified(String host, String akFile, String reason) implements AdmissionFinding {
        public Unverified { ArchiveLayout.requireValidHostId(host); }
        @Override public FindingKind kind() { return FindingKind.ADMISSION_UNVERIFIED; }
        @Override public String expected() { return "an admission record signed by a key of admission-signers/"; }
        @Override public String found() { return reason; }
        @Override public String detail() {
            return "the admission record of " + akFile + " does not verify (" + reason + "): the AK is not proven to be the host's TPM key";
        }
    }

    /**
     * The signed record is about another AK ({@code expected}: the record's SubjectPublicKeyInfo
     * SHA-256 or host; {@code found}: the file's) than the file it sits beside.
     */
    record Mismatch(String host, String akFile, String what, String expected, String found) implements AdmissionFinding {
        public Mismatch { ArchiveLayout.requireValidHostId(host); }
        @Override public FindingKind kind() { return FindingKind.ADMISSION_MISMATCH; }
        @Override public String detail() {
            return "the admission record of " + akFile + " names another " + what + " (" + expected + ") than the trust directory holds ("
                    + found + "): the AK file was replaced after admission";
        }
    }
}

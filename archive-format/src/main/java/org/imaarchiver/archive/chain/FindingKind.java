package org.imaarchiver.archive.chain;

/**
 * The catalogue of verification findings, each with a stable id (the JSON {@code kind}); ids never
 * change meaning. docs/archive-format.md "Verifying a chain" names the step raising each.
 */
public enum FindingKind {
    /** CMS missing, malformed, outside the profile, or not over the sidecar manifest bytes. */
    BAD_SIGNATURE("bad-signature"),
    /** The CMS verifies but its signer key is not in {@code signers/}. */
    UNTRUSTED_SIGNER("untrusted-signer"),
    /** The quote's signature verifies under no AK enrolled for the host (or none is enrolled). */
    UNTRUSTED_AK("untrusted-ak"),
    /** The quote is malformed (not a TPMS_ATTEST quote, bad magic/type, undecodable signature). */
    QUOTE_SIGNATURE("quote-signature"),
    /** The quote's extraData is not the manifest nonce, or a derived nonce does not recompute. */
    NONCE_MISMATCH("nonce-mismatch"),
    /** The quote's pcrDigest is not the digest of the manifest's end PCRs over the quote's selection. */
    PCR_DIGEST_MISMATCH("pcr-digest-mismatch"),
    /** The replay of the rows from the base does not end at the manifest's end state, or matches the quote earlier. */
    REPLAY_MISMATCH("replay-mismatch"),
    /** A stored template digest does not re-hash from its template data. */
    TEMPLATE_DIGEST_MISMATCH("template-digest-mismatch"),
    /** Row indices are not contiguous from the manifest's firstIndex (gap, duplicate, reordering). */
    INDEX_GAP("index-gap"),
    /** The data digest over the rows is not the manifest's. */
    DATA_DIGEST_MISMATCH("data-digest-mismatch"),
    /** Row count differs from the manifest's recordCount or the Parquet footer's. */
    RECORD_COUNT_MISMATCH("record-count-mismatch"),
    /** A row's raw bytes are not one well-formed record. */
    MALFORMED_RECORD("malformed-record"),
    /** A query column (name, file digest, ...) differs from what the row's raw bytes decode to. */
    QUERY_COLUMN_MISMATCH("query-column-mismatch"),
    /**
     * The segment file's structure around its rows (footer fields, page headers, statistics, column or
     * offset index, key/value metadata, footer signature) is not what the schema and the rows require.
     */
    LAYOUT_MISMATCH("layout-mismatch"),
    /** The sidecar manifest and the footer manifest differ. */
    MANIFEST_MISMATCH("manifest-mismatch"),
    /** A manifest field contradicts the key or the chain rules (e.g. sequence not the key's). */
    MANIFEST_INVALID("manifest-invalid"),
    /** Chain sequences are not contiguous. */
    SEQUENCE_GAP("sequence-gap"),
    /** previousManifestDigest is not the digest of the previous segment's manifest. */
    BROKEN_LINK("broken-link"),
    /** Within a boot, a segment's base is not the previous end, or its first index not previous last + 1. */
    BASE_MISMATCH("base-mismatch"),
    /** The manifest's hostId is not the host of the key it is stored under. */
    FOREIGN_HOST("foreign-host"),
    /** A segment's boot identity is inconsistent with its boot, or a new boot does not start at zeros/record 0. */
    BOOT_SPLICE("boot-splice"),
    /** A segment file without its sidecar manifest (or without its CMS). */
    MISSING_SIDECAR("missing-sidecar"),
    /** A sidecar manifest without its segment file. */
    MISSING_SEGMENT("missing-segment"),
    /** The segment file is cut short (no readable Parquet footer) or unreadable data pages. */
    TRUNCATED_FILE("truncated-file"),
    /** The segment file or a manifest cannot be decoded (not Parquet, wrong schema, bad manifest). */
    MALFORMED_SEGMENT("malformed-segment"),
    /** Record-level findings were capped; {@code found} says how many more there were. */
    FINDINGS_TRUNCATED("findings-truncated"),
    /** Reading from the store failed; the segment could not be checked. */
    STORE_ERROR("store-error"),
    /** A host named by the filter has no segments in the archive. */
    NO_SEGMENTS("no-segments"),
    /**
     * A compacted segment's checkpoint does not hold: its quote verifies under no AK of the host or is
     * malformed, its nonce does not recompute or is not the quote's extraData, its pcrDigest is not its
     * end state, the replay does not match it first at exactly its quote point or does not give its
     * end state there, or the checkpoints do not chain (docs/archive-format.md "Compaction").
     */
    CHECKPOINT_MISMATCH("checkpoint-mismatch"),
    /**
     * A compacted segment contradicts its name or switch: the commit object does not name its manifest
     * digest, the manifest's range is not the key's, or its replaces/chainLinkDigest do not match.
     */
    COMPACTION_MISMATCH("compaction-mismatch"),
    /** A host enrolled in the trust directory has no segment in the archive (its history was never written or was deleted). */
    MISSING_CHAIN("missing-chain"),
    /** The chain ends before the segment its verification receipt covers (newest segments deleted: a rollback). */
    BEHIND_RECEIPT("behind-receipt"),
    /** The chain's newest segment was created longer ago than the expected cadence allows (archiving stopped, or a rollback). */
    STALE_CHAIN("stale-chain"),
    /**
     * A boot followed by another one ends with a segment that does not carry the closing mark of the run
     * at shutdown: records measured after its last quote may have been lost at reboot (a warning unless
     * the verifier requires closed boots; docs/archive-format.md §13 step 7).
     */
    UNCLOSED_BOOT("unclosed-boot"),
    /**
     * An AK file's admission record (docs/trust-model.md) is not signed by a key of the trust
     * directory's {@code admission-signers/}, its signature does not verify, or it cannot be read.
     */
    ADMISSION_UNVERIFIED("admission-unverified"),
    /** An AK file's signed admission record is about another key or another host than the file it sits beside. */
    ADMISSION_MISMATCH("admission-mismatch");

    private final String id;

    FindingKind(String id) { this.id = id; }

    /** The stable string id. */
    public String id() { return id; }
}

package org.imaarchiver.archive.segment;

import org.imaarchiver.archive.sign.SignatureVerificationException;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.pcr.Digest;

/**
 * Something wrong with one segment. Every finding names the host and the segment sequence; record
 * findings name the absolute record index; mismatches carry expected and found values.
 */
public sealed interface SegmentFinding {
    String hostId();

    long sequence();

    /** The recomputed data digest differs from the manifest's {@code dataDigest}. */
    record DataDigestMismatch(String hostId, long sequence, Digest expected, Digest found) implements SegmentFinding {}

    /** The number of rows differs from the manifest's {@code recordCount} (or the footer's row count). */
    record RecordCountMismatch(String hostId, long sequence, long expected, long found) implements SegmentFinding {}

    /** Row {@code foundIndex} appears where {@code expectedIndex} was due (a gap, duplicate or reordering). */
    record IndexGap(String hostId, long sequence, long expectedIndex, long foundIndex) implements SegmentFinding {}

    /** The {@code raw} bytes of a row are not one well-formed record. */
    record MalformedRecord(String hostId, long sequence, long recordIndex, MalformedLogException.Kind kind, String detail)
            implements SegmentFinding {}

    /** A query column of a row differs from what the row's {@code raw} bytes decode to. */
    record QueryColumnMismatch(String hostId, long sequence, long recordIndex, String column, String expected, String found)
            implements SegmentFinding {}

    /** Footer manifest and sidecar manifest differ; digests of the two byte strings. */
    record ManifestMismatch(String hostId, long sequence, Digest expected, Digest found) implements SegmentFinding {}

    /** A derived nonce differs from {@link QuoteNonce#derive} over the manifest's own fields. */
    record NonceMismatch(String hostId, long sequence, Digest expected, Bytes found) implements SegmentFinding {}

    /** No signature where one is required. */
    record MissingSignature(String hostId, long sequence) implements SegmentFinding {}

    /** The signature is malformed, outside the profile, or does not verify over the manifest bytes. */
    record BadSignature(String hostId, long sequence, SignatureVerificationException.Kind kind, String detail)
            implements SegmentFinding {}

    /** The signature verifies structurally but its signer's key is not trusted. */
    record UntrustedSigner(String hostId, long sequence, String detail) implements SegmentFinding {}

    /** The timestamp token is missing (when required), invalid, untrusted, or over another signature. */
    record BadTimestamp(String hostId, long sequence, SignatureVerificationException.Kind kind, String detail)
            implements SegmentFinding {}

    /**
     * The file's structure around the rows (Parquet footer, page headers, statistics, column/offset
     * indexes, key/value metadata, footer signature) is not what the schema and the rows require.
     */
    record LayoutMismatch(String hostId, long sequence, String structure, String expected, String found) implements SegmentFinding {}

    /** Record-level findings stopped after a limit; {@code omitted} more were not reported. */
    record FindingsTruncated(String hostId, long sequence, long omitted) implements SegmentFinding {}
}

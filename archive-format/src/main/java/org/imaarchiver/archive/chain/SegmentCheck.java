package org.imaarchiver.archive.chain;

import java.util.Objects;
import java.util.OptionalLong;
import org.imaarchiver.archive.segment.SegmentFinding;

/**
 * A finding of the per-segment checks of {@code archive.segment} ({@link org.imaarchiver.archive.segment.SegmentVerifier}:
 * data digest, indices, record syntax, query columns, file layout, footer against sidecar, nonce,
 * signature), carried as its own typed cause. {@code sequence} is the sequence of the key checked (the
 * cause names the manifest's, which a tampered manifest can change).
 */
public record SegmentCheck(String host, long sequence, SegmentFinding cause) implements ChainFinding {
    public SegmentCheck {
        ArchiveLayout.requireValidHostId(host);
        Objects.requireNonNull(cause, "cause");
    }

    @Override
    public FindingKind kind() {
        if (cause instanceof SegmentFinding.DataDigestMismatch) return FindingKind.DATA_DIGEST_MISMATCH;
        if (cause instanceof SegmentFinding.RecordCountMismatch) return FindingKind.RECORD_COUNT_MISMATCH;
        if (cause instanceof SegmentFinding.IndexGap) return FindingKind.INDEX_GAP;
        if (cause instanceof SegmentFinding.MalformedRecord) return FindingKind.MALFORMED_RECORD;
        if (cause instanceof SegmentFinding.QueryColumnMismatch) return FindingKind.QUERY_COLUMN_MISMATCH;
        if (cause instanceof SegmentFinding.LayoutMismatch) return FindingKind.LAYOUT_MISMATCH;
        if (cause instanceof SegmentFinding.ManifestMismatch) return FindingKind.MANIFEST_MISMATCH;
        if (cause instanceof SegmentFinding.NonceMismatch) return FindingKind.NONCE_MISMATCH;
        if (cause instanceof SegmentFinding.MissingSignature) return FindingKind.MISSING_SIDECAR;
        if (cause instanceof SegmentFinding.UntrustedSigner) return FindingKind.UNTRUSTED_SIGNER;
        if (cause instanceof SegmentFinding.BadSignature || cause instanceof SegmentFinding.BadTimestamp) return FindingKind.BAD_SIGNATURE;
        return FindingKind.FINDINGS_TRUNCATED;
    }

    @Override public OptionalLong segment() { return OptionalLong.of(sequence); }

    @Override
    public OptionalLong record() {
        if (cause instanceof SegmentFinding.IndexGap g) return OptionalLong.of(g.foundIndex());
        if (cause instanceof SegmentFinding.MalformedRecord m) return OptionalLong.of(m.recordIndex());
        if (cause instanceof SegmentFinding.QueryColumnMismatch q) return OptionalLong.of(q.recordIndex());
        return OptionalLong.empty();
    }

    @Override
    public String expected() {
        if (cause instanceof SegmentFinding.DataDigestMismatch d) return d.expected().hex();
        if (cause instanceof SegmentFinding.RecordCountMismatch c) return Long.toString(c.expected());
        if (cause instanceof SegmentFinding.IndexGap g) return Long.toString(g.expectedIndex());
        if (cause instanceof SegmentFinding.MalformedRecord) return "one well-formed record";
        if (cause instanceof SegmentFinding.QueryColumnMismatch q) return q.expected();
        if (cause instanceof SegmentFinding.LayoutMismatch l) return l.expected();
        if (cause instanceof SegmentFinding.ManifestMismatch m) return m.expected().hex();
        if (cause instanceof SegmentFinding.NonceMismatch n) return n.expected().hex();
        if (cause instanceof SegmentFinding.MissingSignature) return "CMS signature";
        if (cause instanceof SegmentFinding.UntrustedSigner) return "a key from signers/";
        if (cause instanceof SegmentFinding.BadSignature) return "valid CMS over the sidecar";
        if (cause instanceof SegmentFinding.BadTimestamp) return "valid timestamp";
        return "";
    }

    @Override
    public String found() {
        if (cause instanceof SegmentFinding.DataDigestMismatch d) return d.found().hex();
        if (cause instanceof SegmentFinding.RecordCountMismatch c) return Long.toString(c.found());
        if (cause instanceof SegmentFinding.IndexGap g) return Long.toString(g.foundIndex());
        if (cause instanceof SegmentFinding.MalformedRecord m) return m.kind().toString();
        if (cause instanceof SegmentFinding.QueryColumnMismatch q) return q.found();
        if (cause instanceof SegmentFinding.LayoutMismatch l) return l.found();
        if (cause instanceof SegmentFinding.ManifestMismatch m) return m.found().hex();
        if (cause instanceof SegmentFinding.NonceMismatch n) return n.found().hex();
        if (cause instanceof SegmentFinding.MissingSignature) return "absent";
        if (cause instanceof SegmentFinding.UntrustedSigner) return "";
        if (cause instanceof SegmentFinding.BadSignature b) return b.kind().toString();
        if (cause instanceof SegmentFinding.BadTimestamp t) return t.kind().toString();
        return Long.toString(((SegmentFinding.FindingsTruncated) cause).omitted());
    }

    @Override
    public String detail() {
        if (cause instanceof SegmentFinding.DataDigestMismatch) return "data digest over the rows";
        if (cause instanceof SegmentFinding.RecordCountMismatch) return "row count";
        if (cause instanceof SegmentFinding.IndexGap g) return "row with index " + g.foundIndex() + " where " + g.expectedIndex() + " was due";
        if (cause instanceof SegmentFinding.MalformedRecord m) return m.detail();
        if (cause instanceof SegmentFinding.QueryColumnMismatch q) return "query column " + q.column() + " does not match the record's raw bytes";
        if (cause instanceof SegmentFinding.LayoutMismatch l) return "segment file structure: " + l.structure();
        if (cause instanceof SegmentFinding.ManifestMismatch) return "footer manifest (expected) and sidecar manifest (found) differ";
        if (cause instanceof SegmentFinding.NonceMismatch) return "the derived nonce does not recompute from the manifest";
        if (cause instanceof SegmentFinding.MissingSignature) return "no signature";
        if (cause instanceof SegmentFinding.UntrustedSigner u) return u.detail();
        if (cause instanceof SegmentFinding.BadSignature b) return b.detail();
        if (cause instanceof SegmentFinding.BadTimestamp t) return t.detail();
        return ((SegmentFinding.FindingsTruncated) cause).omitted() + " more record findings";
    }
}

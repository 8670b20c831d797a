package org.imaarchiver.archive.chain;

import java.util.Objects;
import java.util.OptionalLong;
import org.imaarchiver.replay.pcr.Digest;

/** A segment's objects: present, readable, decodable, and named as their manifest says (§12.1–3). */
public sealed interface ObjectFinding extends ChainFinding {
    @Override default OptionalLong record() { return OptionalLong.empty(); }

    /** A host named by the filter has no segments. */
    record NoSegments(String host) implements ObjectFinding {
        public NoSegments { ArchiveLayout.requireValidHostId(host); }
        @Override public FindingKind kind() { return FindingKind.NO_SEGMENTS; }
        @Override public OptionalLong segment() { return OptionalLong.empty(); }
        @Override public String expected() { return "at least one segment"; }
        @Override public String found() { return "none"; }
        @Override public String detail() { return "no objects under " + ArchiveLayout.segmentsPrefix(host); }
    }

    /** Which object of a segment is absent. */
    enum Role {
        SIDECAR_MANIFEST(FindingKind.MISSING_SIDECAR, "segment without its sidecar manifest"),
        SIGNATURE(FindingKind.MISSING_SIDECAR, "segment without its CMS signature"),
        SEGMENT_FILE(FindingKind.MISSING_SEGMENT, "sidecar without its segment file"),
        /** The sidecar manifest of the segment a receipt names (the receipt's predecessor is gone). */
        RECEIPT_MANIFEST(FindingKind.MISSING_SEGMENT, "the receipt's segment manifest is gone");

        private final FindingKind kind;
        private final String detail;

        Role(FindingKind kind, String detail) {
            this.kind = kind;
            this.detail = detail;
        }
    }

    /** The object {@code key} of segment {@code sequence} is absent. */
    record MissingObject(String host, long sequence, Role role, String key) implements ObjectFinding {
        public MissingObject { Objects.requireNonNull(role, "role"); Objects.requireNonNull(key, "key"); }
        @Override public FindingKind kind() { return role.kind; }
        @Override public OptionalLong segment() { return OptionalLong.of(sequence); }
        @Override public String expected() { return key; }
        @Override public String found() { return "absent"; }
        @Override public String detail() { return role.detail; }
    }

    /** Reading {@code key} failed ({@code reason}: the store's classification); the segment could not be checked. */
    record StoreError(String host, long sequence, String key, String reason, String message) implements ObjectFinding {
        public StoreError { Objects.requireNonNull(key); Objects.requireNonNull(reason); Objects.requireNonNull(message); }
        @Override public FindingKind kind() { return FindingKind.STORE_ERROR; }
        @Override public OptionalLong segment() { return OptionalLong.of(sequence); }
        @Override public String expected() { return ""; }
        @Override public String found() { return reason; }
        @Override public String detail() { return key + ": " + message; }
        /** The same finding naming {@code key} where the message named a local path. */
        StoreError naming(String path, String storeKey) { return new StoreError(host, sequence, key, reason, message.replace(path, storeKey)); }
    }

    /** What of a segment did not decode. */
    enum Part {
        SIDECAR_MANIFEST("canonical manifest", "undecodable"),
        SEGMENT_FILE("segment file", "unreadable"),
        FOOTER_MANIFEST("canonical footer manifest", "undecodable"),
        DATA_PAGES("readable data pages", "unreadable");

        private final String expected;
        private final String found;

        Part(String expected, String found) {
            this.expected = expected;
            this.found = found;
        }
    }

    /** A part of the segment does not decode; {@code message} is the decoder's (naming the store key). */
    record Undecodable(String host, long sequence, Part part, String message) implements ObjectFinding {
        public Undecodable { Objects.requireNonNull(part); Objects.requireNonNull(message); }
        @Override public FindingKind kind() { return FindingKind.MALFORMED_SEGMENT; }
        @Override public OptionalLong segment() { return OptionalLong.of(sequence); }
        @Override public String expected() { return part.expected; }
        @Override public String found() { return part.found; }
        @Override public String detail() { return message; }
        /** The same finding naming {@code key} where the message named a local path. */
        Undecodable naming(String path, String key) { return new Undecodable(host, sequence, part, message.replace(path, key)); }
    }

    /** The segment file has no Parquet footer ({@code size} bytes, no trailing magic). */
    record TruncatedFile(String host, long sequence, long size) implements ObjectFinding {
        @Override public FindingKind kind() { return FindingKind.TRUNCATED_FILE; }
        @Override public OptionalLong segment() { return OptionalLong.of(sequence); }
        @Override public String expected() { return "trailing PAR1"; }
        @Override public String found() { return "absent"; }
        @Override public String detail() { return "the segment file is cut short (" + size + " bytes)"; }
    }

    /** The commit object of a compacted segment names {@code named}, not its manifest's digest. */
    record CommitMismatch(String host, long sequence, Digest manifestDigest, String named) implements ObjectFinding {
        public CommitMismatch { Objects.requireNonNull(manifestDigest); Objects.requireNonNull(named); }
        @Override public FindingKind kind() { return FindingKind.COMPACTION_MISMATCH; }
        @Override public OptionalLong segment() { return OptionalLong.of(sequence); }
        @Override public String expected() { return manifestDigest.hex(); }
        @Override public String found() { return named; }
        @Override public String detail() { return "the commit object does not name this manifest"; }
    }

    /** The manifest's range (and compacted or not) is not the key's {@code sequence..keyLastSequence}. */
    record RangeMismatch(String host, long sequence, long keyLastSequence, long manifestSequence, long manifestLastSequence,
                         boolean compacted) implements ObjectFinding {
        @Override public FindingKind kind() { return FindingKind.COMPACTION_MISMATCH; }
        @Override public OptionalLong segment() { return OptionalLong.of(sequence); }
        @Override public String expected() { return sequence + ".." + keyLastSequence; }
        @Override public String found() { return manifestSequence + ".." + manifestLastSequence + (compacted ? " compacted" : " plain"); }
        @Override public String detail() { return "the manifest's range is not the key's"; }
    }

    /** The manifest under the host's key names {@code manifestHost}. */
    record ForeignHost(String host, long sequence, String manifestHost) implements ObjectFinding {
        public ForeignHost { Objects.requireNonNull(manifestHost); }
        @Override public FindingKind kind() { return FindingKind.FOREIGN_HOST; }
        @Override public OptionalLong segment() { return OptionalLong.of(sequence); }
        @Override public String expected() { return host; }
        @Override public String found() { return manifestHost; }
        @Override public String detail() { return "the manifest belongs to another host"; }
    }

    /** The manifest under the key of segment {@code sequence} is segment {@code manifestSequence}. */
    record WrongSequence(String host, long sequence, long manifestSequence) implements ObjectFinding {
        @Override public FindingKind kind() { return FindingKind.SEQUENCE_GAP; }
        @Override public OptionalLong segment() { return OptionalLong.of(sequence); }
        @Override public String expected() { return Long.toString(sequence); }
        @Override public String found() { return Long.toString(manifestSequence); }
        @Override public String detail() { return "the manifest under this key is segment " + manifestSequence; }
    }
}

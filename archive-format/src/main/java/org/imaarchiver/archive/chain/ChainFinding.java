package org.imaarchiver.archive.chain;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * One thing wrong with a host's archive. Every finding names the host and a {@link FindingKind};
 * segment findings the segment sequence, record findings also the absolute record index. Expected
 * and found are short values (hex digests, indices) or empty when the kind has none.
 */
public sealed interface ChainFinding permits ChainFinding.HostFinding, ChainFinding.SegmentFinding, ChainFinding.RecordFinding {
    String host();

    FindingKind kind();

    /** The segment sequence, if the finding is about one segment. */
    OptionalLong segment();

    /** The absolute record index, if the finding is about one record. */
    OptionalLong record();

    String expected();

    String found();

    /** One line for operators. */
    String detail();

    /** About the host's archive as a whole (e.g. no segments). */
    record HostFinding(String host, FindingKind kind, String expected, String found, String detail) implements ChainFinding {
        public HostFinding {
            Objects.requireNonNull(host); Objects.requireNonNull(kind); Objects.requireNonNull(expected);
            Objects.requireNonNull(found); Objects.requireNonNull(detail);
        }
        @Override public OptionalLong segment() { return OptionalLong.empty(); }
        @Override public OptionalLong record() { return OptionalLong.empty(); }
    }

    /** About one segment (its objects, manifest, quote or link). */
    record SegmentFinding(String host, long sequence, FindingKind kind, String expected, String found, String detail)
            implements ChainFinding {
        public SegmentFinding {
            Objects.requireNonNull(host); Objects.requireNonNull(kind); Objects.requireNonNull(expected);
            Objects.requireNonNull(found); Objects.requireNonNull(detail);
        }
        @Override public OptionalLong segment() { return OptionalLong.of(sequence); }
        @Override public OptionalLong record() { return OptionalLong.empty(); }
    }

    /** About one record of one segment. */
    record RecordFinding(String host, long sequence, long recordIndex, FindingKind kind, String expected, String found,
                         String detail) implements ChainFinding {
        public RecordFinding {
            Objects.requireNonNull(host); Objects.requireNonNull(kind); Objects.requireNonNull(expected);
            Objects.requireNonNull(found); Objects.requireNonNull(detail);
        }
        @Override public OptionalLong segment() { return OptionalLong.of(sequence); }
        @Override public OptionalLong record() { return OptionalLong.of(recordIndex); }
    }
}

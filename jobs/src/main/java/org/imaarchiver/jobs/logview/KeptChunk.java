package org.imaarchiver.jobs.logview;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.replay.pcr.Digest;

/**
 * The records {@code [first, first + count)} of one boot that one nightly run trimmed, kept on the
 * host in the bytes each list file of the kernel showed for them.
 *
 * @param files per list file name ({@code binary_runtime_measurements_sha256}, ...): its bytes for the
 *              chunk and the two records that tell, on the live list, whether the trim happened
 */
public record KeptChunk(long first, long count, Map<String, Extent> files) {
    public KeptChunk {
        if (first < 0 || count <= 0) throw new IllegalArgumentException("bad chunk [" + first + ", +" + count + ")");
        files = Map.copyOf(Objects.requireNonNull(files, "files"));
    }

    /** Index after the chunk's last record. */
    public long end() { return first + count; }

    public Optional<Extent> file(String name) { return Optional.ofNullable(files.get(name)); }

    /**
     * One list file's part of the chunk.
     *
     * @param bytes how many bytes the file held for the chunk's records
     * @param head  the chunk's first record in this file: the live list starts with it while the trim
     *              has not happened
     * @param after the record right after the chunk in this file (the job always leaves it in the
     *              kernel, kernel-interface.md D.2 step 6): the live list starts with it once trimmed
     */
    public record Extent(long bytes, Edge head, Edge after) {
        public Extent {
            Objects.requireNonNull(head, "head");
            Objects.requireNonNull(after, "after");
            if (bytes <= 0) throw new IllegalArgumentException("bytes <= 0");
        }
    }

    /** A record's bytes in one file, by length and SHA-256 (enough to recognise it at a list's start). */
    public record Edge(int length, Digest sha256) {
        public Edge {
            Objects.requireNonNull(sha256, "sha256");
            if (length <= 0) throw new IllegalArgumentException("length <= 0");
        }
    }
}

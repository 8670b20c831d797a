package org.imaarchiver.jobs.logview;

import java.nio.file.Path;
import java.util.List;

/**
 * Where one list file's view bytes come from: the kept chunks of a boot (whose trims happened)
 * first, then the live kernel list. One entry per trim: the index does not grow per record.
 *
 * @param boot          the boot whose kept records come first (-1: none, a boot never trimmed)
 * @param files         the chunk files in order
 * @param starts        the view offset of each chunk file's first byte
 * @param prefixBytes   bytes before the live list
 * @param prefixRecords records before the live list (its first record's absolute index)
 */
record Placement(long boot, List<Path> files, long[] starts, long prefixBytes, long prefixRecords) {
    static final Placement UNTRIMMED = new Placement(-1, List.of(), new long[0], 0, 0);

    /** The chunk holding view offset {@code offset} (which must be below {@link #prefixBytes}). */
    int chunkAt(long offset) {
        int lo = 0;
        int hi = starts.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (starts[mid] <= offset) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    long chunkEnd(int i) { return i + 1 < starts.length ? starts[i + 1] : prefixBytes; }
}

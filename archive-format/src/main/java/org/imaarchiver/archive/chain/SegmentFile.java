package org.imaarchiver.archive.chain;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.ObjectInfo;
import org.imaarchiver.archive.store.ObjectTooLargeException;
import org.imaarchiver.replay.log.BinaryLogReader;
import org.imaarchiver.replay.log.LogReadOptions;

/**
 * A segment object as a local file to read (archive-format.md §12 step 9). A local directory store's
 * file is read in place, never copied: a verifier needs no disk of its own for the archive it reads.
 * Other stores' objects are downloaded into the work directory, and deleted by {@link #close}.
 *
 * <p>Before either, when the segment's record count is known (from its sidecar manifest), an object
 * larger than {@link #maxBytes} is refused with {@link ObjectTooLargeException} (a store-error finding)
 * without reading a byte of it: a 20 GB file named like a segment of 100 records is not copied or read.
 */
final class SegmentFile implements AutoCloseable {
    /** The largest record the kernel can write (kernel-interface.md B.3): PCR, digest, name, template data. */
    static final long MAX_RECORD_BYTES = 4L + 64 + 4 + BinaryLogReader.MAX_TEMPLATE_NAME_LENGTH + 4
            + LogReadOptions.MAX_TEMPLATE_DATA_LENGTH;
    /**
     * Per record, a segment stores the record ({@code raw}) and query columns taken from it (name,
     * digests, buffer: archive-format.md §5), together never more than three times the record.
     */
    static final long MAX_BYTES_PER_RECORD = 3 * MAX_RECORD_BYTES;
    /** The footer (manifest with its checkpoints, column and offset indexes), magic and page headers. */
    static final long MAX_OVERHEAD_BYTES = 64L << 20;

    private final Path path;
    private final boolean downloaded;

    private SegmentFile(Path path, boolean downloaded) {
        this.path = path;
        this.downloaded = downloaded;
    }

    /** The most bytes a segment of {@code records} records can have. */
    static long maxBytes(long records) {
        if (records >= (Long.MAX_VALUE - MAX_OVERHEAD_BYTES) / MAX_BYTES_PER_RECORD) return Long.MAX_VALUE;
        return MAX_OVERHEAD_BYTES + records * MAX_BYTES_PER_RECORD;
    }

    /**
     * The segment at {@code key}: in place, or downloaded to {@code downloadTo} (which must not exist).
     *
     * @param records the record count its sidecar manifest declares, if there is one
     */
    static SegmentFile fetch(ArchiveStore store, String key, Path downloadTo, OptionalLong records) throws IOException {
        Optional<Path> inPlace = store.localFile(key);
        if (records.isPresent()) {
            long size = inPlace.isPresent() ? Files.size(inPlace.get())
                    : store.stat(key).map(ObjectInfo::size).orElse(0L); // absent: the download says so
            long max = maxBytes(records.getAsLong());
            if (size > max) {
                throw new ObjectTooLargeException(key, "segment object has " + size + " bytes, more than the " + max
                        + " a segment of " + records.getAsLong() + " records can have");
            }
        }
        if (inPlace.isPresent()) return new SegmentFile(inPlace.get(), false);
        store.download(key, downloadTo);
        return new SegmentFile(downloadTo, true);
    }

    /** The file to read. */
    Path path() { return path; }

    /** Deletes a download; leaves a store's own file alone. */
    @Override
    public void close() throws IOException {
        if (downloaded) Files.deleteIfExists(path);
    }
}

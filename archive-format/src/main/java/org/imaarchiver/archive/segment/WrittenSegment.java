package org.imaarchiver.archive.segment;

import java.nio.file.Path;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;

/**
 * A finished segment file.
 *
 * @param file           the Parquet file
 * @param manifest       the manifest written into its footer
 * @param manifestBytes  the canonical manifest bytes (also the sidecar object's content)
 * @param manifestDigest SHA-256 of {@code manifestBytes}
 * @param fileSize       size of the Parquet file in bytes
 * @param rawBytes       total length of the records' raw bytes (the size of the list they came from)
 */
public record WrittenSegment(Path file, SegmentManifest manifest, Bytes manifestBytes, Digest manifestDigest,
                             long fileSize, long rawBytes) {}

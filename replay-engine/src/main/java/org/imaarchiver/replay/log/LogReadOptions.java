package org.imaarchiver.replay.log;

import java.nio.ByteOrder;
import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * How to read a measurement list.
 *
 * @param sourceName            names the input in error messages (a path, a host and file...)
 * @param bank                  the bank whose template digests the list carries, which fixes the
 *                              digest size (kernel-interface.md B.1, B.3: the legacy file and {@code _sha1}
 *                              carry 20 bytes, {@code binary_runtime_measurements_<algo>} that
 *                              algorithm's size); empty = detect from the first record
 * @param byteOrder             byte order of the binary list's integers (B.2); empty = detect
 *                              (little-endian unless the first record only makes sense big-endian)
 * @param firstIndex            absolute index of the first record read (non-zero for a list read after
 *                              trims: the caller keeps the count of records removed so far, A.8)
 * @param maxTemplateDataLength the largest template-data length accepted before allocating
 */
public record LogReadOptions(String sourceName, Optional<HashAlgorithm> bank, Optional<ByteOrder> byteOrder,
                             long firstIndex, int maxTemplateDataLength) {
    /**
     * Template data holds a few fields; the largest are {@code buf} (keys, kexec command lines,
     * critical data) and {@code modsig}, all far below this. A larger length is corruption.
     */
    public static final int MAX_TEMPLATE_DATA_LENGTH = 8 * 1024 * 1024;

    public LogReadOptions {
        Objects.requireNonNull(sourceName, "sourceName");
        Objects.requireNonNull(bank, "bank");
        Objects.requireNonNull(byteOrder, "byteOrder");
        if (firstIndex < 0) throw new IllegalArgumentException("firstIndex < 0: " + firstIndex);
        if (maxTemplateDataLength < 0 || maxTemplateDataLength > MAX_TEMPLATE_DATA_LENGTH) {
            throw new IllegalArgumentException("maxTemplateDataLength outside 0.." + MAX_TEMPLATE_DATA_LENGTH
                    + ": " + maxTemplateDataLength);
        }
    }

    /** Detect bank and byte order, start at record 0, default bounds. */
    public static LogReadOptions of(String sourceName) {
        return new LogReadOptions(sourceName, Optional.empty(), Optional.empty(), 0, MAX_TEMPLATE_DATA_LENGTH);
    }

    public LogReadOptions withBank(HashAlgorithm bank) {
        return new LogReadOptions(sourceName, Optional.of(bank), byteOrder, firstIndex, maxTemplateDataLength);
    }

    public LogReadOptions withByteOrder(ByteOrder order) {
        return new LogReadOptions(sourceName, bank, Optional.of(order), firstIndex, maxTemplateDataLength);
    }

    public LogReadOptions withFirstIndex(long index) {
        return new LogReadOptions(sourceName, bank, byteOrder, index, maxTemplateDataLength);
    }

    public LogReadOptions withMaxTemplateDataLength(int max) {
        return new LogReadOptions(sourceName, bank, byteOrder, firstIndex, max);
    }
}

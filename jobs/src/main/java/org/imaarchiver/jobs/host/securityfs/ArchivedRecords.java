package org.imaarchiver.jobs.host.securityfs;

import java.io.IOException;
import java.util.Iterator;
import org.imaarchiver.replay.bytes.Bytes;

/**
 * The archive's view of records it has durably stored, for compare-then-trim (D.2 end): the raw
 * binary records (B.3) from an absolute index on, in order, as the archive holds them.
 */
@FunctionalInterface
public interface ArchivedRecords {
    Iterator<Bytes> rawFrom(long absoluteIndex) throws IOException;
}

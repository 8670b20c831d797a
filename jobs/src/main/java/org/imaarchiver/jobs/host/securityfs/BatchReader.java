package org.imaarchiver.jobs.host.securityfs;

import java.io.IOException;
import org.imaarchiver.replay.log.MalformedLogException;

/**
 * Reads (and usually spools) a batch of records during a session step that decides nothing by
 * itself ({@link TrimSession#stage}, {@link TrimSession#readStaged}). Runs on the session's trim
 * thread; it must not call back into the same session.
 */
@FunctionalInterface
public interface BatchReader {
    void read(RecordBatch batch) throws IOException, MalformedLogException;
}

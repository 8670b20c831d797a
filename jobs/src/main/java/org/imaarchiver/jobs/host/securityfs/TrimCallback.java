package org.imaarchiver.jobs.host.securityfs;

import java.io.IOException;
import org.imaarchiver.replay.log.MalformedLogException;

/**
 * The job's part of a trim session: read the batch, persist what it accepts durably, and answer how
 * many of the first records the kernel may delete. In {@link TrimSession#readPersistTrim} it runs
 * while the kernel's writer lock is held, blocking every other reader of the measurement files
 * (D.1 item 3): keep it short, or use {@link TrimSession#compareThenTrim}.
 *
 * <p>It runs on the session's trim thread. It must not call back into the same session.
 */
@FunctionalInterface
public interface TrimCallback {
    TrimDecision persist(RecordBatch batch) throws IOException, MalformedLogException;
}

package org.imaarchiver.archive.store;

/**
 * A write was sent but its outcome cannot be known (timeouts or 5xx after the last retry, and a
 * re-read could not show our object). The object may or may not exist, now or later: the caller
 * must re-read it (stat/verifyDurable) before trusting or trimming anything. Never handle this
 * like a plain failure. Compare Iceberg's CommitStateUnknownException.
 */
public final class StoreOutcomeUnknownException extends StoreException {
    private static final long serialVersionUID = 1L;

    public StoreOutcomeUnknownException(String key, String reason) {
        super(key, reason);
    }

    public StoreOutcomeUnknownException(String key, String reason, Throwable cause) {
        super(key, reason, cause);
    }
}

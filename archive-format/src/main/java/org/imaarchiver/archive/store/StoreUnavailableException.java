package org.imaarchiver.archive.store;

/**
 * The store cannot be reached or refuses us: connection refused, unknown host, bucket missing,
 * authentication or authorization failed. Nothing was written by this call.
 */
public final class StoreUnavailableException extends StoreException {
    private static final long serialVersionUID = 1L;

    public StoreUnavailableException(String key, String reason) {
        super(key, reason);
    }

    public StoreUnavailableException(String key, String reason, Throwable cause) {
        super(key, reason, cause);
    }
}

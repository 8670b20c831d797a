package org.imaarchiver.archive.store;

/**
 * The object is larger than the bound the caller gave to a whole-object read.
 */
public final class ObjectTooLargeException extends StoreException {
    private static final long serialVersionUID = 1L;

    public ObjectTooLargeException(String key, String reason) {
        super(key, reason);
    }

    public ObjectTooLargeException(String key, String reason, Throwable cause) {
        super(key, reason, cause);
    }
}

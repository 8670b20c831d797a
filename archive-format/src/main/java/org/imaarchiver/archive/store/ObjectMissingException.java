package org.imaarchiver.archive.store;

/**
 * The object does not exist (S3 404 NoSuchKey, local ENOENT).
 */
public final class ObjectMissingException extends StoreException {
    private static final long serialVersionUID = 1L;

    public ObjectMissingException(String key, String reason) {
        super(key, reason);
    }

    public ObjectMissingException(String key, String reason, Throwable cause) {
        super(key, reason, cause);
    }
}

package org.imaarchiver.archive.store;

/**
 * The object exists already; a create-only write was refused (S3 412/409, local link(2) EEXIST).
 * The store was not changed by this call.
 */
public final class ObjectAlreadyExistsException extends StoreException {
    private static final long serialVersionUID = 1L;

    public ObjectAlreadyExistsException(String key, String reason) {
        super(key, reason);
    }

    public ObjectAlreadyExistsException(String key, String reason, Throwable cause) {
        super(key, reason, cause);
    }
}

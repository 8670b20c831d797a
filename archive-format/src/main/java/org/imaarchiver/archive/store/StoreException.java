package org.imaarchiver.archive.store;

import java.io.IOException;
import java.util.Objects;

/**
 * A storage operation failed. Carries the object key (or the listed prefix) and a reason; the
 * message is composed from these fields here only (like {@link java.nio.file.FileSystemException}).
 * Subclasses add nothing but a name, so callers branch on the type, never on the message.
 */
public class StoreException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String key;
    private final String reason;

    public StoreException(String key, String reason) {
        this(key, reason, null);
    }

    public StoreException(String key, String reason, Throwable cause) {
        super(cause);
        this.key = Objects.requireNonNull(key, "key");
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** The object key (or list prefix) the operation was about; empty for store-wide failures. */
    public String key() { return key; }

    /** What went wrong, without the key. Never contains credentials. */
    public String reason() { return reason; }

    @Override
    public String getMessage() {
        return key.isEmpty() ? reason : reason + " (key: " + key + ")";
    }
}

package org.imaarchiver.archive.store;

import java.util.Objects;
import java.util.Optional;

/**
 * Explicit S3 credentials. {@link #toString} never shows the secret or the session token, so
 * options and stores can be logged.
 */
public record S3Credentials(String accessKeyId, String secretAccessKey, Optional<String> sessionToken) {
    public S3Credentials {
        Objects.requireNonNull(accessKeyId, "accessKeyId");
        Objects.requireNonNull(secretAccessKey, "secretAccessKey");
        Objects.requireNonNull(sessionToken, "sessionToken");
        if (accessKeyId.isBlank()) throw new IllegalArgumentException("access key id is blank");
        if (secretAccessKey.isEmpty()) throw new IllegalArgumentException("secret access key is empty");
    }

    public static S3Credentials of(String accessKeyId, String secretAccessKey) {
        return new S3Credentials(accessKeyId, secretAccessKey, Optional.empty());
    }

    @Override
    public String toString() {
        return "S3Credentials[accessKeyId=" + accessKeyId + ", secretAccessKey=***"
                + (sessionToken.isPresent() ? ", sessionToken=***" : "") + "]";
    }
}

package org.imaarchiver.archive.store;

import java.time.Duration;
import java.util.Objects;

/**
 * S3 Object Lock retention put on every object this store creates: the mode and how long from the
 * moment of upload ({@code x-amz-object-lock-mode}, {@code x-amz-object-lock-retain-until-date}).
 * The bucket must have Object Lock enabled. COMPLIANCE cannot be shortened or removed by anyone,
 * GOVERNANCE by principals with {@code s3:BypassGovernanceRetention}.
 */
public record ObjectLockRetention(Mode mode, Duration retainFor) {
    public enum Mode { GOVERNANCE, COMPLIANCE }

    public ObjectLockRetention {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(retainFor, "retainFor");
        if (retainFor.isNegative() || retainFor.isZero()) {
            throw new IllegalArgumentException("retention must be positive: " + retainFor);
        }
    }
}

package org.imaarchiver.archive.store;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

/**
 * Settings for {@link ArchiveStores#open}. Only the S3 store reads most of them. Nothing inside the
 * stores reads the process environment: {@link #environment} is passed in (the process
 * environment by default), so tests and the CLI decide.
 *
 * @param s3Endpoint             endpoint override (MinIO, s3proxy, ...); else {@code AWS_ENDPOINT_URL_S3},
 *                               then {@code AWS_ENDPOINT_URL} from {@link #environment}; else AWS
 * @param region                 else {@code AWS_REGION}, {@code AWS_DEFAULT_REGION}, else us-east-1
 * @param pathStyle              path-style addressing; default: on when an endpoint is overridden
 * @param credentials            else {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}
 *                               ({@code AWS_SESSION_TOKEN}) from {@link #environment}, else the SDK's
 *                               default chain (profiles, instance roles, ...)
 * @param multipartThreshold     objects larger than this are sent as multipart uploads
 * @param partSize               multipart part size, at least 5 MiB (S3's minimum)
 * @param listPageSize           keys per ListObjectsV2 page, 1..1000
 * @param maxAttempts            SDK attempts per request (1 = no retries) for 5xx, throttling, I/O errors
 * @param backoffBase            first retry delay (exponential, jittered)
 * @param backoffMax             largest retry delay
 * @param connectTimeout         TCP connect timeout
 * @param attemptTimeout         limit of a single HTTP attempt; a put attempt that times out has an
 *                               unknown outcome and is retried
 * @param objectLock             retention headers for every created object
 * @param environment            the environment variables to consult
 * @param clock                  for Object Lock retain-until dates
 * @param interceptors           extra SDK interceptors (tests, metrics); appended after ours
 */
public record StoreOptions(
        Optional<URI> s3Endpoint,
        Optional<String> region,
        Optional<Boolean> pathStyle,
        Optional<S3Credentials> credentials,
        long multipartThreshold,
        long partSize,
        int listPageSize,
        int maxAttempts,
        Duration backoffBase,
        Duration backoffMax,
        Duration connectTimeout,
        Duration attemptTimeout,
        Optional<ObjectLockRetention> objectLock,
        Map<String, String> environment,
        Clock clock,
        List<ExecutionInterceptor> interceptors) {

    public static final long MIN_PART_SIZE = 5L * 1024 * 1024;
    public static final long DEFAULT_MULTIPART_THRESHOLD = 16L * 1024 * 1024;
    public static final long DEFAULT_PART_SIZE = 8L * 1024 * 1024;
    /** S3's limit of keys per list page. */
    public static final int MAX_LIST_PAGE_SIZE = 1000;

    public StoreOptions {
        Objects.requireNonNull(s3Endpoint, "s3Endpoint");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(pathStyle, "pathStyle");
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(objectLock, "objectLock");
        Objects.requireNonNull(backoffBase, "backoffBase");
        Objects.requireNonNull(backoffMax, "backoffMax");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(attemptTimeout, "attemptTimeout");
        Objects.requireNonNull(clock, "clock");
        environment = Map.copyOf(environment);
        interceptors = List.copyOf(interceptors);
        if (partSize < MIN_PART_SIZE) {
            throw new IllegalArgumentException("part size " + partSize + " is below S3's minimum " + MIN_PART_SIZE);
        }
        if (multipartThreshold < 1) throw new IllegalArgumentException("multipart threshold must be positive: " + multipartThreshold);
        if (listPageSize < 1 || listPageSize > MAX_LIST_PAGE_SIZE) {
            throw new IllegalArgumentException("list page size " + listPageSize + " outside 1.." + MAX_LIST_PAGE_SIZE);
        }
        if (maxAttempts < 1) throw new IllegalArgumentException("max attempts must be >= 1: " + maxAttempts);
        region.ifPresent(r -> {
            if (r.isBlank()) throw new IllegalArgumentException("region is blank");
        });
    }

    /** Defaults, reading the process environment. */
    public static StoreOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Without the environment (it may hold secrets) and with credentials redacted. */
    @Override
    public String toString() {
        return "StoreOptions[s3Endpoint=" + s3Endpoint.map(URI::toString).orElse("-")
                + ", region=" + region.orElse("-")
                + ", pathStyle=" + pathStyle.map(String::valueOf).orElse("auto")
                + ", credentials=" + credentials.map(S3Credentials::toString).orElse("from environment/default chain")
                + ", multipartThreshold=" + multipartThreshold + ", partSize=" + partSize
                + ", listPageSize=" + listPageSize + ", maxAttempts=" + maxAttempts
                + ", attemptTimeout=" + attemptTimeout
                + ", objectLock=" + objectLock.map(ObjectLockRetention::toString).orElse("none") + "]";
    }

    /** A mutable builder; {@link #build} validates. */
    public static final class Builder {
        private Optional<URI> s3Endpoint = Optional.empty();
        private Optional<String> region = Optional.empty();
        private Optional<Boolean> pathStyle = Optional.empty();
        private Optional<S3Credentials> credentials = Optional.empty();
        private long multipartThreshold = DEFAULT_MULTIPART_THRESHOLD;
        private long partSize = DEFAULT_PART_SIZE;
        private int listPageSize = MAX_LIST_PAGE_SIZE;
        private int maxAttempts = 4;
        private Duration backoffBase = Duration.ofMillis(200);
        private Duration backoffMax = Duration.ofSeconds(20);
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration attemptTimeout = Duration.ofMinutes(5);
        private Optional<ObjectLockRetention> objectLock = Optional.empty();
        private Map<String, String> environment = System.getenv();
        private Clock clock = Clock.systemUTC();
        private List<ExecutionInterceptor> interceptors = List.of();

        private Builder() {}

        private Builder(StoreOptions o) {
            s3Endpoint = o.s3Endpoint;
            region = o.region;
            pathStyle = o.pathStyle;
            credentials = o.credentials;
            multipartThreshold = o.multipartThreshold;
            partSize = o.partSize;
            listPageSize = o.listPageSize;
            maxAttempts = o.maxAttempts;
            backoffBase = o.backoffBase;
            backoffMax = o.backoffMax;
            connectTimeout = o.connectTimeout;
            attemptTimeout = o.attemptTimeout;
            objectLock = o.objectLock;
            environment = o.environment;
            clock = o.clock;
            interceptors = o.interceptors;
        }

        public Builder s3Endpoint(URI v) { s3Endpoint = Optional.of(v); return this; }
        public Builder region(String v) { region = Optional.of(v); return this; }
        public Builder pathStyle(boolean v) { pathStyle = Optional.of(v); return this; }
        public Builder credentials(S3Credentials v) { credentials = Optional.of(v); return this; }
        public Builder multipartThreshold(long v) { multipartThreshold = v; return this; }
        public Builder partSize(long v) { partSize = v; return this; }
        public Builder listPageSize(int v) { listPageSize = v; return this; }
        public Builder maxAttempts(int v) { maxAttempts = v; return this; }
        public Builder backoff(Duration base, Duration max) { backoffBase = base; backoffMax = max; return this; }
        public Builder connectTimeout(Duration v) { connectTimeout = v; return this; }
        public Builder attemptTimeout(Duration v) { attemptTimeout = v; return this; }
        public Builder objectLock(ObjectLockRetention v) { objectLock = Optional.of(v); return this; }
        public Builder environment(Map<String, String> v) { environment = v; return this; }
        public Builder clock(Clock v) { clock = v; return this; }
        public Builder interceptors(List<ExecutionInterceptor> v) { interceptors = v; return this; }

        public StoreOptions build() {
            return new StoreOptions(s3Endpoint, region, pathStyle, credentials, multipartThreshold, partSize,
                    listPageSize, maxAttempts, backoffBase, backoffMax, connectTimeout, attemptTimeout, objectLock,
                    environment, clock, interceptors);
        }
    }
}

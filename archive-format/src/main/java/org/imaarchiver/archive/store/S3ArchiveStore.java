package org.imaarchiver.archive.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.imaarchiver.replay.pcr.Digest;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.ChecksumType;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ObjectLockMode;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * An {@link ArchiveStore} in an S3 bucket (AWS, MinIO, s3proxy, ...) over the AWS SDK v2 sync
 * client with the Apache 5 HTTP client.
 *
 * <p>Writes:
 * <ul>
 *   <li>Create-only: {@code If-None-Match: *} on PutObject and on CompleteMultipartUpload; 412
 *       (and 409, a concurrent conditional write) become {@link ObjectAlreadyExistsException}.</li>
 *   <li>Integrity: {@code x-amz-checksum-sha256} on every PutObject and UploadPart, so the server
 *       rejects altered bytes; the whole-content SHA-256 is also recorded as user metadata
 *       {@code x-amz-meta-sha256} (multipart checksums are composite, not the content's hash).</li>
 *   <li>Ownership token: each createNew records a random {@code x-amz-meta-ima-archiver-upload}. If
 *       an attempt's response was lost and the SDK's retry gets 412, or all attempts failed, a HEAD
 *       shows whether the object is ours: then the write succeeded. Otherwise an existing object is
 *       {@link ObjectAlreadyExistsException}, and an absent one (a lost request may still land) is
 *       {@link StoreOutcomeUnknownException}.</li>
 *   <li>Objects above {@link StoreOptions#multipartThreshold} go multipart; any failure before
 *       completion aborts the upload.</li>
 *   <li>Optional Object Lock retention headers ({@link StoreOptions#objectLock}).</li>
 * </ul>
 * Retries (5xx, throttling, I/O errors, attempt timeouts) are the SDK's standard strategy with
 * exponential jittered backoff, {@link StoreOptions#maxAttempts} attempts.
 *
 * <p>Request checksums and response validation are WHEN_REQUIRED: the SDK defaults (a CRC32
 * aws-chunked trailer on every put) break some S3 emulators (architecture.md L.4), and we send our
 * own SHA-256.
 */
public final class S3ArchiveStore implements ArchiveStore {
    static final String META_SHA256 = "sha256";
    static final String META_UPLOAD_TOKEN = "ima-archiver-upload";
    private static final String CONTENT_TYPE = "application/octet-stream";
    /** S3's limit of parts per multipart upload. */
    private static final int MAX_PARTS = 10_000;

    private final S3Client s3;
    private final StoreUri.S3 location;
    private final StoreOptions options;

    S3ArchiveStore(S3Client s3, StoreUri.S3 location, StoreOptions options) {
        this.s3 = Objects.requireNonNull(s3, "s3");
        this.location = Objects.requireNonNull(location, "location");
        this.options = Objects.requireNonNull(options, "options");
    }

    /** Builds an SDK client from {@code options} (endpoint, region, credentials, retries, timeouts). */
    public static S3ArchiveStore create(StoreUri.S3 location, StoreOptions options) {
        return new S3ArchiveStore(buildClient(options), location, options);
    }

    /**
     * The endpoint a client of {@code o} talks to: the option, else {@code AWS_ENDPOINT_URL_S3}, else
     * {@code AWS_ENDPOINT_URL}; empty: AWS's own for the region. Error messages name it.
     */
    public static Optional<URI> endpoint(StoreOptions o) {
        Map<String, String> env = o.environment();
        return o.s3Endpoint()
                .or(() -> nonBlank(env.get("AWS_ENDPOINT_URL_S3")).map(s -> endpointUri(s, "AWS_ENDPOINT_URL_S3")))
                .or(() -> nonBlank(env.get("AWS_ENDPOINT_URL")).map(s -> endpointUri(s, "AWS_ENDPOINT_URL")));
    }

    static S3Client buildClient(StoreOptions o) {
        Map<String, String> env = o.environment();
        Optional<URI> endpoint = endpoint(o);
        endpoint.ifPresent(S3ArchiveStore::checkEndpoint);
        String region = o.region()
                .or(() -> nonBlank(env.get("AWS_REGION")))
                .or(() -> nonBlank(env.get("AWS_DEFAULT_REGION")))
                .orElse("us-east-1");
        boolean pathStyle = o.pathStyle().orElse(endpoint.isPresent());

        var retry = AwsRetryStrategy.standardRetryStrategy().toBuilder()
                .maxAttempts(o.maxAttempts())
                .backoffStrategy(BackoffStrategy.exponentialDelay(o.backoffBase(), o.backoffMax()))
                .circuitBreakerEnabled(false) // a nightly job should not give up retrying because of earlier failures
                .build();
        var builder = S3Client.builder()
                .httpClientBuilder(Apache5HttpClient.builder()
                        .connectionTimeout(o.connectTimeout())
                        .socketTimeout(o.attemptTimeout()))
                .region(Region.of(region))
                .forcePathStyle(pathStyle)
                .credentialsProvider(credentials(o))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(c -> {
                    c.retryStrategy(retry).apiCallAttemptTimeout(o.attemptTimeout());
                    o.interceptors().forEach(c::addExecutionInterceptor);
                });
        endpoint.ifPresent(builder::endpointOverride);
        return builder.build();
    }

    private static AwsCredentialsProvider credentials(StoreOptions o) {
        Map<String, String> env = o.environment();
        Optional<S3Credentials> explicit = o.credentials().or(() -> {
            Optional<String> ak = nonBlank(env.get("AWS_ACCESS_KEY_ID"));
            Optional<String> sk = nonBlank(env.get("AWS_SECRET_ACCESS_KEY"));
            if (ak.isEmpty() || sk.isEmpty()) return Optional.empty();
            return Optional.of(new S3Credentials(ak.get(), sk.get(), nonBlank(env.get("AWS_SESSION_TOKEN"))));
        });
        if (explicit.isEmpty()) return DefaultCredentialsProvider.builder().build();
        S3Credentials c = explicit.get();
        return StaticCredentialsProvider.create(c.sessionToken().isPresent()
                ? AwsSessionCredentials.create(c.accessKeyId(), c.secretAccessKey(), c.sessionToken().get())
                : AwsBasicCredentials.create(c.accessKeyId(), c.secretAccessKey()));
    }

    private static URI endpointUri(String s, String source) {
        try {
            return URI.create(s.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid S3 endpoint in " + source + ": " + e.getMessage(), e);
        }
    }

    private static void checkEndpoint(URI u) {
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("S3 endpoint must be http:// or https://, got scheme '" + scheme + "'");
        }
        if (u.getRawUserInfo() != null) {
            throw new IllegalArgumentException("S3 endpoint must not contain credentials");
        }
        if (u.getHost() == null) throw new IllegalArgumentException("S3 endpoint has no host");
    }

    private static Optional<String> nonBlank(String s) {
        return s == null || s.isBlank() ? Optional.empty() : Optional.of(s.strip());
    }

    @Override
    public String location() { return location.uri(); }

    @Override
    public String toString() { return "S3ArchiveStore[" + location.uri() + "]"; }

    // ---------------------------------------------------------------- writes

    @Override
    public StoredObject createNew(String key, Path file) throws IOException {
        StoreKeys.requireValidKey(key);
        Objects.requireNonNull(file, "file");
        return upload(key, UploadSource.of(file, Files.size(file)));
    }

    @Override
    public StoredObject createNew(String key, byte[] bytes) throws StoreException {
        StoreKeys.requireValidKey(key);
        Objects.requireNonNull(bytes, "bytes");
        try {
            return upload(key, UploadSource.of(bytes));
        } catch (StoreException e) {
            throw e;
        } catch (IOException e) {
            throw new StoreException(key, "reading the content failed: " + e, e); // not reachable for byte[]
        }
    }

    private record Hashes(Digest whole, List<Digest> parts) {}

    /** One pass over the source: the whole-content SHA-256 and, for multipart, each part's. */
    private static Hashes hash(UploadSource src, long partSize) throws IOException {
        MessageDigest whole = Sha256.newDigest();
        List<Digest> parts = new ArrayList<>();
        try (InputStream in = src.open(0, src.size())) {
            MessageDigest part = Sha256.newDigest();
            long inPart = 0;
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf, 0, (int) Math.min(buf.length, partSize - inPart))) > 0; ) {
                whole.update(buf, 0, n);
                part.update(buf, 0, n);
                inPart += n;
                if (inPart == partSize) {
                    parts.add(Digest.wrap(part.digest()));
                    inPart = 0;
                }
            }
            if (inPart > 0 || parts.isEmpty()) parts.add(Digest.wrap(part.digest()));
        }
        return new Hashes(Digest.wrap(whole.digest()), parts);
    }

    private StoredObject upload(String key, UploadSource src) throws IOException {
        long size = src.size();
        boolean multipart = size > options.multipartThreshold();
        // S3 allows at most 10,000 parts: grow the part size for huge objects.
        long partSize = multipart ? Math.max(options.partSize(), (size + MAX_PARTS - 1) / MAX_PARTS) : Math.max(size, 1);
        Hashes hashes = hash(src, partSize);
        String token = UUID.randomUUID().toString();
        Map<String, String> metadata = Map.of(META_SHA256, hashes.whole().hex(), META_UPLOAD_TOKEN, token);
        StoredObject receipt = new StoredObject(key, size, hashes.whole());
        return multipart
                ? uploadMultipart(key, src, partSize, hashes, metadata, receipt, token)
                : uploadSingle(key, src, hashes.whole(), metadata, receipt, token);
    }

    private StoredObject uploadSingle(String key, UploadSource src, Digest sha, Map<String, String> metadata,
                                      StoredObject receipt, String token) throws StoreException {
        PutObjectRequest.Builder put = PutObjectRequest.builder()
                .bucket(location.bucket())
                .key(location.objectKey(key))
                .ifNoneMatch("*")
                .contentLength(src.size())
                .contentType(CONTENT_TYPE)
                .checksumAlgorithm(ChecksumAlgorithm.SHA256)
                .checksumSHA256(Sha256.base64(sha))
                .metadata(metadata);
        options.objectLock().ifPresent(lock -> put
                .objectLockMode(ObjectLockMode.fromValue(lock.mode().name()))
                .objectLockRetainUntilDate(retainUntil(lock)));
        try {
            s3.putObject(put.build(), RequestBody.fromContentProvider(() -> openUnchecked(src, 0, src.size()), src.size(), CONTENT_TYPE));
            return receipt;
        } catch (SdkException e) {
            return afterFailedWrite(key, token, receipt, e);
        }
    }

    private StoredObject uploadMultipart(String key, UploadSource src, long partSize, Hashes hashes,
                                         Map<String, String> metadata, StoredObject receipt, String token) throws StoreException {
        // Fail fast before sending gigabytes; If-None-Match on completion is what makes it race-free.
        if (stat(key).isPresent()) throw new ObjectAlreadyExistsException(key, "object exists");
        String objectKey = location.objectKey(key);
        CreateMultipartUploadRequest.Builder create = CreateMultipartUploadRequest.builder()
                .bucket(location.bucket())
                .key(objectKey)
                .contentType(CONTENT_TYPE)
                .checksumAlgorithm(ChecksumAlgorithm.SHA256)
                .metadata(metadata);
        options.objectLock().ifPresent(lock -> create
                .objectLockMode(ObjectLockMode.fromValue(lock.mode().name()))
                .objectLockRetainUntilDate(retainUntil(lock)));
        String uploadId;
        try {
            uploadId = s3.createMultipartUpload(create.build()).uploadId();
        } catch (SdkException e) {
            throw translate(key, "starting a multipart upload", e);
        }
        List<CompletedPart> completed = new ArrayList<>();
        try {
            long offset = 0;
            for (int i = 0; i < hashes.parts().size(); i++) {
                long length = Math.min(partSize, src.size() - offset);
                long partOffset = offset;
                String partSha = Sha256.base64(hashes.parts().get(i));
                UploadPartResponse r = s3.uploadPart(UploadPartRequest.builder()
                                .bucket(location.bucket()).key(objectKey).uploadId(uploadId)
                                .partNumber(i + 1)
                                .contentLength(length)
                                .checksumAlgorithm(ChecksumAlgorithm.SHA256)
                                .checksumSHA256(partSha)
                                .build(),
                        RequestBody.fromContentProvider(() -> openUnchecked(src, partOffset, length), length, CONTENT_TYPE));
                completed.add(CompletedPart.builder().partNumber(i + 1).eTag(r.eTag()).checksumSHA256(partSha).build());
                offset += length;
            }
        } catch (SdkException | UncheckedIOException e) {
            // Nothing is visible before completion: a plain failure, once the parts are discarded.
            abortQuietly(objectKey, uploadId, e);
            if (e instanceof SdkException se) throw translate(key, "uploading a part", se);
            throw new StoreException(key, "reading the content failed: " + e.getCause(), e.getCause());
        }
        try {
            s3.completeMultipartUpload(CompleteMultipartUploadRequest.builder()
                    .bucket(location.bucket()).key(objectKey).uploadId(uploadId)
                    .ifNoneMatch("*")
                    .multipartUpload(CompletedMultipartUpload.builder().parts(completed).build())
                    .build());
            return receipt;
        } catch (SdkException e) {
            // Abort so that an upload still in flight cannot complete later; harmless if it completed.
            boolean aborted = abortQuietly(objectKey, uploadId, e);
            return afterFailedWrite(key, token, receipt, e, aborted);
        }
    }

    private StoredObject afterFailedWrite(String key, String token, StoredObject receipt, SdkException e) throws StoreException {
        return afterFailedWrite(key, token, receipt, e, false);
    }

    /**
     * Decides what a failed create means. A 412/409 on the first attempt is a plain conflict. After
     * a retry, or when no response arrived, an earlier attempt may have written the object: a HEAD
     * that finds our upload token proves success.
     *
     * @param cannotLand true if the write can no longer take effect (its multipart upload was aborted)
     */
    private StoredObject afterFailedWrite(String key, String token, StoredObject receipt, SdkException e,
                                          boolean cannotLand) throws StoreException {
        int attempts = e.numAttempts() == null ? 1 : e.numAttempts();
        if (e instanceof S3Exception s3e) {
            int status = s3e.statusCode();
            if ((status == 412 || status == 409) && attempts <= 1) {
                throw new ObjectAlreadyExistsException(key, "object exists (HTTP " + status + ")", e);
            }
            if (status == 401 || status == 403 || (status == 404 && "NoSuchBucket".equals(errorCode(s3e)))) {
                throw translate(key, "writing", e);
            }
            if (status != 412 && status != 409 && status != 404 && status < 500) {
                throw translate(key, "writing", e); // refused outright (400 BadDigest, ...): nothing written
            }
        } else if (neverSent(e)) {
            throw new StoreUnavailableException(key, "cannot connect to the S3 endpoint: " + rootMessage(e), e);
        }
        Optional<HeadObjectResponse> head;
        try {
            head = head(key);
        } catch (StoreException headFailure) {
            StoreOutcomeUnknownException unknown = new StoreOutcomeUnknownException(key,
                    "write outcome unknown after " + attempts + " attempt(s) (" + describe(e) + ") and the re-read failed", e);
            unknown.addSuppressed(headFailure);
            throw unknown;
        }
        if (head.isPresent()) {
            if (token.equals(head.get().metadata().get(META_UPLOAD_TOKEN))) return receipt;
            throw new ObjectAlreadyExistsException(key, "object exists (written by another upload)", e);
        }
        if (cannotLand) {
            throw new StoreException(key, "write failed and was aborted (" + describe(e) + "); nothing was stored", e);
        }
        throw new StoreOutcomeUnknownException(key,
                "write outcome unknown after " + attempts + " attempt(s) (" + describe(e) + "); the object is not visible yet", e);
    }

    private boolean abortQuietly(String objectKey, String uploadId, Exception cause) {
        try {
            s3.abortMultipartUpload(AbortMultipartUploadRequest.builder()
                    .bucket(location.bucket()).key(objectKey).uploadId(uploadId).build());
            return true;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) return true; // already completed or aborted
            cause.addSuppressed(e);
            return false;
        } catch (SdkException e) {
            cause.addSuppressed(e);
            return false;
        }
    }

    private Instant retainUntil(ObjectLockRetention lock) {
        return options.clock().instant().plus(lock.retainFor());
    }

    private static InputStream openUnchecked(UploadSource src, long offset, long length) {
        try {
            return src.open(offset, length);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void delete(String key) throws StoreException {
        StoreKeys.requireValidKey(key);
        try {
            s3.deleteObject(DeleteObjectRequest.builder().bucket(location.bucket()).key(location.objectKey(key)).build());
        } catch (S3Exception e) {
            if (e.statusCode() == 404 && !"NoSuchBucket".equals(errorCode(e))) return;
            throw translate(key, "deleting", e);
        } catch (SdkException e) {
            throw translate(key, "deleting", e);
        }
    }

    // ---------------------------------------------------------------- reads

    private ResponseInputStream<GetObjectResponse> get(String key) throws StoreException {
        StoreKeys.requireValidKey(key);
        try {
            return s3.getObject(GetObjectRequest.builder().bucket(location.bucket()).key(location.objectKey(key)).build());
        } catch (SdkException e) {
            throw translate(key, "reading", e);
        }
    }

    @Override
    public InputStream open(String key) throws StoreException {
        return get(key);
    }

    @Override
    public byte[] readAll(String key, long maxBytes) throws StoreException {
        if (maxBytes < 0) throw new IllegalArgumentException("negative maxBytes " + maxBytes);
        ResponseInputStream<GetObjectResponse> in = get(key);
        try (in) {
            Long length = in.response().contentLength();
            if (length != null && length > maxBytes) {
                in.abort(); // do not drain a huge body just to close the connection
                throw new ObjectTooLargeException(key, "object has " + length + " bytes, more than the read bound of " + maxBytes);
            }
            return BoundedRead.readAll(key, in, maxBytes);
        } catch (StoreException e) {
            throw e;
        } catch (IOException | SdkException e) {
            throw new StoreUnavailableException(key, "reading failed: " + rootMessage(e), e);
        }
    }

    @Override
    public Path download(String key, Path target) throws IOException {
        try (InputStream in = get(key)) {
            return Downloads.copyToNewFile(in, target);
        } catch (SdkException e) {
            throw new StoreUnavailableException(key, "download failed: " + rootMessage(e), e);
        }
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws StoreException {
        StoreKeys.requireValidKey(key);
        return head(key).map(h -> new ObjectInfo(key, h.contentLength(), recordedSha256(h), h.lastModified()));
    }

    private Optional<HeadObjectResponse> head(String key) throws StoreException {
        try {
            return Optional.of(s3.headObject(HeadObjectRequest.builder()
                    .bucket(location.bucket()).key(location.objectKey(key))
                    .checksumMode(ChecksumMode.ENABLED)
                    .build()));
        } catch (S3Exception e) {
            if (e.statusCode() == 404) return Optional.empty(); // HEAD has no error body: NoSuchBucket looks the same
            throw translate(key, "stat", e);
        } catch (SdkException e) {
            throw translate(key, "stat", e);
        }
    }

    /** Our metadata first; else a full-object checksum (a composite multipart checksum is not the content's hash). */
    private static Optional<Digest> recordedSha256(HeadObjectResponse h) {
        String hex = h.metadata().get(META_SHA256);
        if (hex != null) {
            try {
                Digest d = Digest.ofHex(hex);
                if (d.length() == 32) return Optional.of(d);
            } catch (IllegalArgumentException ignored) {
                // malformed metadata is not a recorded hash
            }
            return Optional.empty();
        }
        String b64 = h.checksumSHA256();
        boolean fullObject = h.checksumType() == null || h.checksumType() == ChecksumType.FULL_OBJECT;
        if (b64 != null && !b64.contains("-") && fullObject) {
            try {
                byte[] raw = Base64.getDecoder().decode(b64);
                if (raw.length == 32) return Optional.of(Digest.wrap(raw));
            } catch (IllegalArgumentException ignored) {
                // not a checksum we understand
            }
        }
        return Optional.empty();
    }

    @Override
    public boolean verifyDurable(String key, Digest expectedSha256) throws StoreException {
        Objects.requireNonNull(expectedSha256, "expectedSha256");
        try (InputStream in = get(key)) {
            return Sha256.of(in).equals(expectedSha256);
        } catch (StoreException e) {
            throw e;
        } catch (IOException | SdkException e) {
            throw new StoreUnavailableException(key, "re-reading failed: " + rootMessage(e), e);
        }
    }

    @Override
    public Stream<String> list(String prefix) throws StoreException {
        return list(prefix, "");
    }

    @Override
    public Stream<String> list(String prefix, String startAfter) throws StoreException {
        StoreKeys.requireValidPrefix(prefix);
        Objects.requireNonNull(startAfter, "startAfter");
        String base = location.prefix().isEmpty() ? "" : location.prefix() + "/";
        ListObjectsV2Request.Builder rb = ListObjectsV2Request.builder()
                .bucket(location.bucket())
                .prefix(base + prefix)
                .maxKeys(options.listPageSize());
        if (!startAfter.isEmpty()) rb.startAfter(base + startAfter);
        ListObjectsV2Request request = rb.build();
        // The paginator fetches the next page only when the previous one is consumed; the first page
        // is fetched here already, so its failure (e.g. connection refused) is a StoreException too.
        Iterator<S3Object> pages;
        try {
            pages = s3.listObjectsV2Paginator(request).contents().iterator();
        } catch (SdkException e) {
            throw translate(prefix, "listing", e);
        }
        Iterator<String> keys = new Iterator<>() {
            private String next;

            @Override
            public boolean hasNext() {
                try {
                    while (next == null && pages.hasNext()) {
                        String k = pages.next().key();
                        if (!k.startsWith(base)) continue;
                        String key = k.substring(base.length());
                        if (StoreKeys.isValidKey(key)) next = key;
                    }
                } catch (SdkException e) {
                    throw new UncheckedIOException(translate(prefix, "listing", e));
                }
                return next != null;
            }

            @Override
            public String next() {
                if (!hasNext()) throw new NoSuchElementException();
                String k = next;
                next = null;
                return k;
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(keys, Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    @Override
    public void close() {
        s3.close();
    }

    // ---------------------------------------------------------------- errors

    /** Maps a failure of an operation that did not change the store (or whose change is known). */
    private static StoreException translate(String key, String action, SdkException e) {
        if (e instanceof S3Exception s3e) {
            int status = s3e.statusCode();
            String code = errorCode(s3e);
            if (status == 404 && "NoSuchBucket".equals(code)) {
                return new StoreUnavailableException(key, action + ": bucket does not exist (HTTP 404 NoSuchBucket)", e);
            }
            if (status == 404) return new ObjectMissingException(key, "no such object (HTTP 404" + (code == null ? "" : " " + code) + ")", e);
            if (status == 401 || status == 403) {
                return new StoreUnavailableException(key, action + ": access denied (HTTP " + status + (code == null ? "" : " " + code) + ")", e);
            }
            if (status == 412 || status == 409) return new ObjectAlreadyExistsException(key, "object exists (HTTP " + status + ")", e);
            if (status >= 500) return new StoreUnavailableException(key, action + ": server error " + describe(e), e);
            return new StoreException(key, action + ": refused " + describe(e), e);
        }
        return new StoreUnavailableException(key, action + ": " + describe(e), e);
    }

    private static String errorCode(S3Exception e) {
        return e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
    }

    private static String describe(SdkException e) {
        if (e instanceof S3Exception s3e) {
            String code = errorCode(s3e);
            return "HTTP " + s3e.statusCode() + (code == null ? "" : " " + code);
        }
        return e.getClass().getSimpleName() + ": " + rootMessage(e);
    }

    private static String rootMessage(Throwable t) {
        Throwable r = t;
        while (r.getCause() != null && r.getCause() != r) r = r.getCause();
        return r == t ? String.valueOf(t.getMessage()) : r.getClass().getSimpleName() + ": " + r.getMessage();
    }

    /**
     * True only if the last attempt and every earlier one failed while connecting, so no request
     * bytes reached a server. The SDK keeps earlier attempts only as suppressed copies carrying
     * the message ("Request attempt N failure: ..."), without the cause; an earlier attempt counts
     * as a connect failure only if its message equals the last one's. Anything else (another
     * message, a changed SDK format) answers false: the caller then reports an unknown outcome,
     * the safe side.
     */
    static boolean neverSent(SdkException e) {
        if (!(e instanceof SdkClientException) || !isConnectFailure(e)) return false;
        String last = String.valueOf(e.getMessage()).replaceFirst(" \\(SDK Attempt Count: \\d+\\)$", "");
        int earlier = 0;
        for (Throwable s : e.getSuppressed()) {
            String m = String.valueOf(s.getMessage());
            if (!m.startsWith("Request attempt ")) continue; // not an attempt record (e.g. our own additions)
            if (!m.endsWith(" failure: " + last)) return false;
            earlier++;
        }
        int attempts = e.numAttempts() == null ? 1 : e.numAttempts();
        return earlier == attempts - 1;
    }

    private static boolean isConnectFailure(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof ConnectException || c instanceof UnknownHostException || c instanceof NoRouteToHostException) return true;
            // Apache's ConnectTimeoutException: the TCP handshake did not finish.
            if (c instanceof InterruptedIOException && c.getClass().getSimpleName().equals("ConnectTimeoutException")) return true;
        }
        return false;
    }
}

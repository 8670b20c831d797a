package org.imaarchiver.cli.archive;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.Optional;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.ArchiveStores;
import org.imaarchiver.archive.store.ObjectAlreadyExistsException;
import org.imaarchiver.archive.store.ObjectMissingException;
import org.imaarchiver.archive.store.StoreException;
import org.imaarchiver.archive.store.StoreOptions;
import org.imaarchiver.archive.store.StoreOutcomeUnknownException;
import org.imaarchiver.archive.store.StoreUnavailableException;
import org.imaarchiver.archive.store.StoreUri;
import org.imaarchiver.cli.CliError;

/**
 * Opens the store a command names ({@code --store URI}, {@code --s3-endpoint URL}) and turns store
 * failures into one-line CLI errors: a bad location is a usage error (exit 2), an unreachable store,
 * an unknown outcome or a conflict exit 3 (docs/architecture.md "Archive stores", errors).
 */
final class StoreAccess {
    private StoreAccess() {}

    /**
     * Opens {@code location} (a path, {@code file://…} or {@code s3://bucket/prefix}); S3 endpoint,
     * region and credentials come from {@code --s3-endpoint} and the usual AWS environment variables
     * (else the SDK's default chain, which also reads the {@code aws.accessKeyId} system properties).
     */
    static ArchiveStore open(String option, String location, Optional<String> s3Endpoint) throws CliError {
        return open(option, location, s3Endpoint, false);
    }

    /**
     * As {@link #open(String, String, Optional)}; with {@code mustExist} a local directory that does
     * not exist is a usage error instead of being created (a reader must not turn a typo into an empty
     * archive).
     */
    static ArchiveStore open(String option, String location, Optional<String> s3Endpoint, boolean mustExist) throws CliError {
        if (mustExist) {
            StoreUri parsed;
            try {
                parsed = StoreUri.parse(location);
            } catch (IllegalArgumentException e) {
                throw CliError.usage(option + ": " + e.getMessage(), e);
            }
            if (parsed instanceof StoreUri.Local l && !java.nio.file.Files.isDirectory(l.root())) {
                throw CliError.usage(option + " " + location + ": no such directory");
            }
        }
        try {
            return ArchiveStores.open(location, options(s3Endpoint));
        } catch (IllegalArgumentException e) {
            // the store's message lists the accepted forms and never echoes credentials
            throw CliError.usage(option + ": " + e.getMessage(), e);
        } catch (StoreException e) {
            throw failure(option + " " + location, e);
        }
    }

    /** Store options of the command line: {@code --s3-endpoint} (an http or https URL), the rest from the environment. */
    static StoreOptions options(Optional<String> s3Endpoint) throws CliError {
        StoreOptions.Builder b = StoreOptions.defaults().toBuilder();
        if (s3Endpoint.isPresent()) {
            String e = s3Endpoint.get();
            URI uri;
            try {
                uri = new URI(e);
            } catch (URISyntaxException ex) {
                throw CliError.usage("--s3-endpoint: not a URL: " + e);
            }
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw CliError.usage("--s3-endpoint: must be an http:// or https:// URL, got " + e);
            }
            b.s3Endpoint(uri);
        }
        return b.build();
    }

    /**
     * How errors name a store: {@code OPTION LOCATION}, and for S3 the endpoint it was reached at
     * ({@code --s3-endpoint}, else the AWS_ENDPOINT_URL variables, else AWS's own), so an unreachable
     * store or a refusal says where it happened.
     */
    static String named(String option, String location, Optional<String> s3Endpoint) {
        try {
            if (StoreUri.parse(location) instanceof StoreUri.S3) {
                return option + " " + location + " (S3 endpoint " + org.imaarchiver.archive.store.S3ArchiveStore.endpoint(options(s3Endpoint))
                        .map(URI::toString).orElse("of AWS") + ")";
            }
        } catch (IllegalArgumentException | CliError e) {
            // a location or endpoint that does not parse was refused when the store was opened
        }
        return option + " " + location;
    }

    /**
     * Lists the first key of the archive, so an unreachable store, a missing bucket or refused
     * credentials fail before any work starts, as one exit-3 line naming {@code what} and the cause.
     */
    static void requireListable(String what, ArchiveStore store) throws CliError {
        try (java.util.stream.Stream<String> keys = store.list(org.imaarchiver.archive.chain.ArchiveLayout.HOSTS_PREFIX)) {
            keys.findFirst();
        } catch (StoreException e) {
            throw failure(what, e);
        } catch (RuntimeException e) {
            throw uncheckedFailure(what, e);
        }
    }

    /** A store failure as a one-line error with exit 3 (all store failures are environment problems). */
    static CliError failure(String what, IOException e) {
        String kind;
        if (e instanceof StoreUnavailableException) kind = "store unreachable";
        else if (e instanceof StoreOutcomeUnknownException) kind = "store write outcome unknown (re-run; nothing may be trimmed)";
        else if (e instanceof ObjectAlreadyExistsException) kind = "conflict: object already exists";
        else if (e instanceof ObjectMissingException) kind = "no such object";
        else if (e instanceof FileAlreadyExistsException) kind = "file exists";
        else if (e instanceof StoreException) kind = "store error";
        else kind = "I/O error";
        return CliError.environment(what + ": " + kind + ": " + e.getMessage(), e);
    }

    /**
     * A store failure that escaped unchecked: an {@code UncheckedIOException} from a listing, or an AWS
     * SDK exception the store did not translate (S3ArchiveStore.list fetches the first page when the
     * stream is created). Returns the exit-3 error, or rethrows anything else (a bug).
     */
    static CliError uncheckedFailure(String what, RuntimeException e) {
        if (e instanceof java.io.UncheckedIOException u) return failure(what, u.getCause());
        if (e instanceof software.amazon.awssdk.core.exception.SdkException) {
            return CliError.environment(what + ": store unreachable: " + rootMessage(e), e);
        }
        throw e;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t.getMessage() + ")";
    }

    /** Closes quietly: a close failure after the work is done changes no outcome. */
    static void closeQuietly(ArchiveStore store) {
        try {
            store.close();
        } catch (Exception ignored) {
            // nothing to report
        }
    }

    /** Deletes a scratch directory tree, best effort. */
    static void deleteTree(Path dir) {
        try (var walk = java.nio.file.Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    java.nio.file.Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}

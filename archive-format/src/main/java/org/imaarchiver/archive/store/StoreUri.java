package org.imaarchiver.archive.store;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where an archive lives, parsed from the user's string:
 * <ul>
 *   <li>a plain path ({@code /var/lib/ima-archive}, {@code archive}) or {@code file:///abs/path}: {@link Local};</li>
 *   <li>{@code s3://bucket} or {@code s3://bucket/prefix}: {@link S3}.</li>
 * </ul>
 * Anything else is an {@link IllegalArgumentException} whose message says which form was expected.
 * Credentials never belong in the URI ({@code s3://key:secret@bucket} is refused without echoing it).
 */
public sealed interface StoreUri permits StoreUri.Local, StoreUri.S3 {
    /** Matches a URI scheme followed by ':' (a plain path must not look like one). */
    Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");
    /** S3 bucket naming rules (general purpose buckets). */
    Pattern BUCKET = Pattern.compile("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$");

    /** The canonical string form; parses back to an equal value. */
    String uri();

    /** A local directory. */
    record Local(Path root) implements StoreUri {
        public Local {
            Objects.requireNonNull(root, "root");
            root = root.toAbsolutePath().normalize();
        }

        @Override
        public String uri() { return root.toUri().toString(); }
    }

    /**
     * An S3 bucket and a key prefix ("" or a valid key without trailing '/'); object {@code k} is
     * stored at {@code prefix + "/" + k}.
     */
    record S3(String bucket, String prefix) implements StoreUri {
        public S3 {
            Objects.requireNonNull(bucket, "bucket");
            Objects.requireNonNull(prefix, "prefix");
            if (!BUCKET.matcher(bucket).matches() || bucket.contains("..")) {
                throw new IllegalArgumentException("invalid S3 bucket name '" + bucket
                        + "': expected 3-63 characters of a-z, 0-9, '.', '-', starting and ending with a letter or digit");
            }
            if (!prefix.isEmpty()) StoreKeys.requireValidKey(prefix);
        }

        /** The S3 object key of archive key {@code key}. */
        public String objectKey(String key) {
            return prefix.isEmpty() ? key : prefix + "/" + key;
        }

        @Override
        public String uri() { return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix); }
    }

    static StoreUri parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty store location: expected a directory, file:///path or s3://bucket/prefix");
        }
        String s = text.strip();
        String lower = s.toLowerCase(Locale.ROOT);
        if (lower.startsWith("s3://")) return parseS3(s.substring(5));
        if (lower.startsWith("file:")) return parseFile(s);
        if (SCHEME.matcher(s).find()) {
            String scheme = s.substring(0, s.indexOf(':'));
            throw new IllegalArgumentException("unsupported store scheme '" + scheme
                    + "': expected a directory, file:///path or s3://bucket/prefix");
        }
        try {
            return new Local(Path.of(s));
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("invalid store path: " + e.getMessage(), e);
        }
    }

    private static StoreUri parseS3(String rest) {
        int slash = rest.indexOf('/');
        String authority = slash < 0 ? rest : rest.substring(0, slash);
        if (authority.contains("@")) {
            // Do not echo: the part before '@' is likely a secret.
            throw new IllegalArgumentException("credentials in an s3:// URI are not allowed; use AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY");
        }
        if (rest.contains("?") || rest.contains("#")) {
            throw new IllegalArgumentException("s3:// URI must not have a query or fragment: s3://" + authority + "/...");
        }
        if (authority.isEmpty()) throw new IllegalArgumentException("s3:// URI has no bucket: expected s3://bucket/prefix");
        String prefix = slash < 0 ? "" : rest.substring(slash + 1);
        while (prefix.endsWith("/")) prefix = prefix.substring(0, prefix.length() - 1);
        try {
            return new S3(authority, prefix);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid s3:// URI: " + e.getMessage(), e);
        }
    }

    private static StoreUri parseFile(String s) {
        URI uri;
        try {
            uri = new URI(s);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("invalid file: URI: " + e.getMessage(), e);
        }
        if (uri.isOpaque() || uri.getPath() == null || !uri.getPath().startsWith("/")) {
            throw new IllegalArgumentException("file: URI must be absolute, like file:///var/lib/ima-archive");
        }
        if (uri.getAuthority() != null && !uri.getAuthority().equals("localhost")) {
            throw new IllegalArgumentException("file: URI names host '" + uri.getHost() + "'; only local paths are supported");
        }
        if (uri.getQuery() != null || uri.getFragment() != null) {
            throw new IllegalArgumentException("file: URI must not have a query or fragment");
        }
        return new Local(Path.of(uri.getPath()));
    }
}

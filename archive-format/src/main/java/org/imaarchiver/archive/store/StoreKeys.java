package org.imaarchiver.archive.store;

/**
 * The rules for object keys and list prefixes. A key is a relative, '/'-separated path of
 * non-empty segments over a conservative ASCII set, so that the same key is a valid S3 key, a
 * valid relative file path, and sorts the same way in both stores (S3 lists in UTF-8 byte order,
 * which equals {@link String#compareTo} for ASCII).
 */
public final class StoreKeys {
    /** Leaves room for an S3 store prefix below S3's 1024-byte key limit. */
    public static final int MAX_KEY_LENGTH = 512;
    /**
     * Leaves room below NAME_MAX (255) for the local store's temporary name
     * {@code .<segment>.<uuid>.tmp}.
     */
    public static final int MAX_SEGMENT_LENGTH = 200;

    private StoreKeys() {}

    /** Returns {@code key} if valid; otherwise throws IllegalArgumentException naming the rule. */
    public static String requireValidKey(String key) {
        if (key == null) throw new IllegalArgumentException("object key is null");
        if (key.isEmpty()) throw new IllegalArgumentException("object key is empty");
        checkPath(key, "object key");
        if (key.endsWith("/")) throw bad("object key", key, "ends with '/'");
        return key;
    }

    /**
     * Returns {@code prefix} if it is a valid list prefix: empty, or a key-like string that may end
     * with '/' and whose last segment may be partial (S3 semantics: plain string prefix).
     */
    public static String requireValidPrefix(String prefix) {
        if (prefix == null) throw new IllegalArgumentException("list prefix is null");
        if (prefix.isEmpty()) return prefix;
        checkPath(prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix, "list prefix");
        return prefix;
    }

    /** True if {@code key} passes {@link #requireValidKey}. */
    public static boolean isValidKey(String key) {
        try {
            requireValidKey(key);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static void checkPath(String path, String what) {
        if (path.isEmpty()) throw bad(what, path, "is empty");
        if (path.length() > MAX_KEY_LENGTH) {
            throw bad(what, path.substring(0, 40) + "...", "is longer than " + MAX_KEY_LENGTH + " characters");
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (!isAllowed(c)) {
                throw bad(what, path, String.format("has character U+%04X at index %d outside [A-Za-z0-9._=+,@~:!*'()-/]", (int) c, i));
            }
        }
        if (path.startsWith("/")) throw bad(what, path, "starts with '/'");
        int start = 0;
        while (start <= path.length()) {
            int end = path.indexOf('/', start);
            if (end < 0) end = path.length();
            String segment = path.substring(start, end);
            if (segment.isEmpty()) throw bad(what, path, "has an empty segment ('//')");
            if (segment.equals(".") || segment.equals("..")) throw bad(what, path, "has a '.' or '..' segment");
            // Dot-names are reserved for the local store's temporary files (and hidden files).
            if (segment.startsWith(".")) throw bad(what, path, "has a segment starting with '.'");
            if (segment.length() > MAX_SEGMENT_LENGTH) {
                throw bad(what, path, "has a segment longer than " + MAX_SEGMENT_LENGTH + " characters");
            }
            start = end + 1;
        }
    }

    private static boolean isAllowed(char c) {
        if (c >= 'a' && c <= 'z') return true;
        if (c >= 'A' && c <= 'Z') return true;
        if (c >= '0' && c <= '9') return true;
        return "._-/=+,@~:!*'()".indexOf(c) >= 0;
    }

    private static IllegalArgumentException bad(String what, String value, String rule) {
        return new IllegalArgumentException(what + " '" + value + "' " + rule);
    }
}

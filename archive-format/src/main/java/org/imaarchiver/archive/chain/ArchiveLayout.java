package org.imaarchiver.archive.chain;

import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.archive.store.StoreKeys;

/**
 * Object keys of an archive in a store (docs/archive-format.md "Object layout"). Per host, one flat
 * directory of segments, named by the host's chain sequence, zero-padded to 10 digits so that key
 * order (what {@code ArchiveStore.list} returns) is chain order:
 *
 * <pre>
 * hosts/&lt;host&gt;/segments/&lt;seq:010d&gt;.parquet         the segment file
 * hosts/&lt;host&gt;/segments/&lt;seq:010d&gt;.manifest.json   canonical manifest bytes (sidecar)
 * hosts/&lt;host&gt;/segments/&lt;seq:010d&gt;.manifest.cms    detached CMS over the manifest bytes (DER)
 * </pre>
 *
 * A compacted segment (docs/archive-format.md "Compaction") covers the chain positions
 * {@code first..last} and is named {@code <first:010d>-<last:010d>} with the same three suffixes,
 * plus {@code <first:010d>-<last:010d>.commit}, the switch: without it the compacted segment is a
 * staged leftover and not part of the chain. '-' sorts before '.', so the range sorts just before
 * the part it starts with.
 *
 * <p>The boot is not part of the key: sequence numbers run per host across boots and
 * {@code previousManifestDigest} links across boot boundaries, so one listing of one prefix gives
 * the whole chain in order, and the head is its last sidecar. The boot identity lives in the
 * (signed) manifest, where it cannot be renamed.
 */
public final class ArchiveLayout {
    private ArchiveLayout() {}

    /** Top-level prefix of all hosts. */
    public static final String HOSTS_PREFIX = "hosts/";
    /** Directory name below a host. */
    public static final String SEGMENTS_DIR = "segments";
    public static final String SEGMENT_SUFFIX = ".parquet";
    public static final String MANIFEST_SUFFIX = ".manifest.json";
    public static final String SIGNATURE_SUFFIX = ".manifest.cms";
    /** The switch object of a compacted segment: its manifest digest, hex, ASCII. */
    public static final String COMMIT_SUFFIX = ".commit";
    /** Digits of the zero-padded sequence in a key. */
    public static final int SEQUENCE_DIGITS = 10;
    /** Largest sequence that fits the padded width. */
    public static final long MAX_SEQUENCE = 9_999_999_999L;
    /** Longest host id. */
    public static final int MAX_HOST_ID_LENGTH = 128;

    /** The three objects of one segment. */
    public enum ObjectKind {
        SEGMENT(SEGMENT_SUFFIX), MANIFEST(MANIFEST_SUFFIX), SIGNATURE(SIGNATURE_SUFFIX),
        /** Only for compacted (range) names: the switch that makes the compacted segment part of the chain. */
        COMMIT(COMMIT_SUFFIX);

        private final String suffix;

        ObjectKind(String suffix) { this.suffix = suffix; }

        public String suffix() { return suffix; }
    }

    /**
     * A parsed archive key. {@code lastSequence} = {@code sequence} for a plain segment; greater or
     * equal for a compacted segment's range name ({@link #range}).
     */
    public record ObjectName(String host, long sequence, long lastSequence, boolean range, ObjectKind kind) {
        public ObjectName {
            requireValidHostId(host);
            requireValidSequence(sequence);
            requireValidSequence(lastSequence);
            if (lastSequence < sequence) throw new IllegalArgumentException("range ends before it starts");
            if (!range && lastSequence != sequence) throw new IllegalArgumentException("a plain name covers one sequence");
            Objects.requireNonNull(kind, "kind");
            if (!range && kind == ObjectKind.COMMIT) throw new IllegalArgumentException("commit objects exist for ranges only");
        }

        /** A plain segment's object. */
        public ObjectName(String host, long sequence, ObjectKind kind) { this(host, sequence, sequence, false, kind); }

        public String key() { return range ? rangeKey(host, sequence, lastSequence, kind) : ArchiveLayout.key(host, sequence, kind); }
    }

    /**
     * Host ids: 1..128 characters of {@code [A-Za-z0-9._-]}, starting with a letter or digit. Safe as
     * one key segment on every store and free of '/' so a host cannot name another's prefix.
     */
    public static boolean isValidHostId(String host) {
        if (host == null || host.isEmpty() || host.length() > MAX_HOST_ID_LENGTH) return false;
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            boolean alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return false;
        }
        return true;
    }

    /** Returns {@code host} if valid, else throws IllegalArgumentException naming the rule. */
    /**
     * The order of host ids in a key listing: by {@code "<id>/"}, so "web-1" comes before "web"
     * ('-' < '/'). Everything that walks hosts in ranges uses this order.
     */
    public static final java.util.Comparator<String> HOST_ORDER = (a, b) -> hostKey(a).compareTo(hostKey(b));

    /** {@code hosts/<id>/}: every key of the host starts with it and sorts after it. */
    public static String hostPrefix(String host) { return HOSTS_PREFIX + host + "/"; }

    private static String hostKey(String host) { return host + "/"; }

    public static String requireValidHostId(String host) {
        if (!isValidHostId(host)) {
            throw new IllegalArgumentException("host id '" + host + "' is not 1.." + MAX_HOST_ID_LENGTH
                    + " characters of [A-Za-z0-9._-] starting with a letter or digit");
        }
        return host;
    }

    static long requireValidSequence(long sequence) {
        if (sequence < 0 || sequence > MAX_SEQUENCE) throw new IllegalArgumentException("sequence outside 0.." + MAX_SEQUENCE + ": " + sequence);
        return sequence;
    }

    /** {@code hosts/<host>/segments/}: the list prefix of one host's chain. */
    public static String segmentsPrefix(String host) {
        return HOSTS_PREFIX + requireValidHostId(host) + "/" + SEGMENTS_DIR + "/";
    }

    public static String key(String host, long sequence, ObjectKind kind) {
        return StoreKeys.requireValidKey(segmentsPrefix(host) + String.format("%010d", requireValidSequence(sequence)) + kind.suffix());
    }

    /** A compacted segment's object: {@code hosts/<host>/segments/<first:010d>-<last:010d><suffix>}. */
    public static String rangeKey(String host, long first, long last, ObjectKind kind) {
        requireValidSequence(first);
        requireValidSequence(last);
        if (last < first) throw new IllegalArgumentException("range ends before it starts: " + first + "-" + last);
        return StoreKeys.requireValidKey(segmentsPrefix(host) + String.format("%010d-%010d", first, last) + kind.suffix());
    }

    /** The key of {@code kind} for a unit covering {@code first..last} (plain when range is false). */
    public static String unitKey(String host, long first, long last, boolean range, ObjectKind kind) {
        return new ObjectName(host, first, last, range, kind).key();
    }

    public static String segmentKey(String host, long sequence) { return key(host, sequence, ObjectKind.SEGMENT); }

    public static String manifestKey(String host, long sequence) { return key(host, sequence, ObjectKind.MANIFEST); }

    public static String signatureKey(String host, long sequence) { return key(host, sequence, ObjectKind.SIGNATURE); }

    /** Parses a key of this layout; empty for any other key (which is not part of the archive). */
    public static Optional<ObjectName> parse(String key) {
        if (key == null || !key.startsWith(HOSTS_PREFIX)) return Optional.empty();
        String rest = key.substring(HOSTS_PREFIX.length());
        int slash = rest.indexOf('/');
        if (slash < 0) return Optional.empty();
        String host = rest.substring(0, slash);
        if (!isValidHostId(host)) return Optional.empty();
        String tail = rest.substring(slash + 1);
        if (!tail.startsWith(SEGMENTS_DIR + "/")) return Optional.empty();
        String name = tail.substring(SEGMENTS_DIR.length() + 1);
        if (name.length() < SEQUENCE_DIGITS) return Optional.empty();
        String digits = name.substring(0, SEQUENCE_DIGITS);
        for (int i = 0; i < digits.length(); i++) if (digits.charAt(i) < '0' || digits.charAt(i) > '9') return Optional.empty();
        long first = Long.parseLong(digits);
        String suffix = name.substring(SEQUENCE_DIGITS);
        long last = first;
        boolean range = false;
        if (suffix.startsWith("-") && suffix.length() > SEQUENCE_DIGITS) {
            String lastDigits = suffix.substring(1, 1 + SEQUENCE_DIGITS);
            for (int i = 0; i < lastDigits.length(); i++) if (lastDigits.charAt(i) < '0' || lastDigits.charAt(i) > '9') return Optional.empty();
            last = Long.parseLong(lastDigits);
            if (last < first) return Optional.empty();
            range = true;
            suffix = suffix.substring(1 + SEQUENCE_DIGITS);
        }
        for (ObjectKind k : ObjectKind.values()) {
            if (k.suffix().equals(suffix)) {
                if (k == ObjectKind.COMMIT && !range) return Optional.empty();
                return Optional.of(new ObjectName(host, first, last, range, k));
            }
        }
        return Optional.empty();
    }
}

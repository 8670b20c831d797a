package org.imaarchiver.replay.template;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.replay.bytes.Bytes;

/** The decoded content of one template field (kernel-interface.md B.5). */
public sealed interface FieldValue
        permits FieldValue.Empty, FieldValue.EventDigest, FieldValue.EventName, FieldValue.Blob,
                FieldValue.UnsignedInt, FieldValue.XattrNames, FieldValue.XattrLengths {

    /** A zero-length field: no signature, no appended signature, no inode data for non-file events. */
    record Empty() implements FieldValue {}

    /**
     * {@code d}, {@code d-ng}, {@code d-ngv2} or {@code d-modsig}.
     *
     * @param type      the d-ngv2 digest type ({@code ima}, {@code verity}); empty otherwise
     * @param algorithm the kernel hash name of the prefix; for {@code d} and for a d-ng without prefix
     *                  (accepted like keylime does, B.5) inferred from the length: {@code sha1} or {@code md5}
     * @param prefixed  whether the field carried the {@code algo:} NUL prefix
     * @param digest    the raw digest (its length need not match the algorithm in a violation, B.8)
     */
    record EventDigest(Optional<String> type, String algorithm, boolean prefixed, Bytes digest) implements FieldValue {
        public EventDigest {
            Objects.requireNonNull(type);
            Objects.requireNonNull(algorithm);
            Objects.requireNonNull(digest);
        }
    }

    /** {@code n} or {@code n-ng}: the name bytes without the NUL (a path, or a label for ima-buf). */
    record EventName(Bytes name) implements FieldValue {
        public EventName { Objects.requireNonNull(name); }

        /** The name as text (file names are bytes; invalid UTF-8 is replaced). */
        public String text() { return new String(name.toArray(), StandardCharsets.UTF_8); }
    }

    /** {@code sig}, {@code evmsig}, {@code buf}, {@code modsig} or {@code xattrvalues}: opaque bytes. */
    record Blob(Bytes bytes) implements FieldValue {
        public Blob { Objects.requireNonNull(bytes); }
    }

    /** {@code iuid}, {@code igid}, {@code imode}: a 1, 2, 4 or 8 byte integer in the list's byte order. */
    record UnsignedInt(long value, int size) implements FieldValue {}

    /** {@code xattrnames}: the '|'-separated names. */
    record XattrNames(List<String> names) implements FieldValue {
        public XattrNames { names = List.copyOf(names); }
    }

    /** {@code xattrlengths}: one u32 per xattr value. */
    record XattrLengths(List<Long> lengths) implements FieldValue {
        public XattrLengths { lengths = List.copyOf(lengths); }
    }
}

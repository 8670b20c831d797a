package org.imaarchiver.archive.chain;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.imaarchiver.archive.segment.MalformedManifestException;
import org.imaarchiver.archive.segment.ManifestCodec;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.PcrState;

/**
 * A typed finding as JSON and back, field for field, for findings that travel between processes
 * (the distributed verifier's result rows): {@code {"type": "LinkFinding.BrokenLink", "host": ...,
 * "sequence": 3, "linkDigest": "<hex>", ...}}. Every record of the {@link ChainFinding} hierarchy
 * (and the {@link org.imaarchiver.archive.segment.SegmentFinding} a {@link SegmentCheck} carries)
 * is encoded by its components: strings, numbers, enums by name, digests and bytes in hex, PCR states
 * as in manifests, instants and durations in ISO-8601, optionals as {@code null} or the value, records as objects. Decoding calls the
 * record's canonical constructor, so a decoded finding passes the same checks as a fresh one. This
 * is not the report's JSON ({@link ArchiveReportJson}, which renders the text fields).
 */
public final class ChainFindingCodec {
    private static final String TYPE = "type";
    private static final Map<String, Class<?>> TYPES = typesOf(ChainFinding.class);

    private ChainFindingCodec() {}

    /** The JSON value tree of {@code finding}. */
    public static Map<String, Object> toJson(ChainFinding finding) { return encodeRecord((Record) finding); }

    /** Decodes what {@link #toJson} made. */
    public static ChainFinding fromJson(Object json) throws Json.JsonException {
        Object f = decodeRecord(json, ChainFinding.class);
        if (!(f instanceof ChainFinding cf)) throw new Json.JsonException("not a finding: " + json, 0);
        return cf;
    }

    // ---- types ----

    private static Map<String, Class<?>> typesOf(Class<?> root) {
        Map<String, Class<?>> types = new LinkedHashMap<>();
        collect(root, types);
        return Collections.unmodifiableMap(types);
    }

    private static void collect(Class<?> c, Map<String, Class<?>> types) {
        if (c.isRecord()) {
            types.put(nameOf(c), c);
            for (RecordComponent rc : c.getRecordComponents()) {
                if (rc.getType().isSealed()) collect(rc.getType(), types);
            }
        }
        if (c.isSealed()) for (Class<?> p : c.getPermittedSubclasses()) collect(p, types);
    }

    /** {@code Enclosing.Simple} for nested records, the simple name otherwise. */
    private static String nameOf(Class<?> c) {
        return c.getEnclosingClass() == null ? c.getSimpleName() : c.getEnclosingClass().getSimpleName() + "." + c.getSimpleName();
    }

    // ---- encoding ----

    private static Map<String, Object> encodeRecord(Record r) {
        Map<String, Object> o = new LinkedHashMap<>();
        if (TYPES.containsValue(r.getClass())) o.put(TYPE, nameOf(r.getClass()));
        for (RecordComponent rc : r.getClass().getRecordComponents()) {
            try {
                o.put(rc.getName(), encode(rc.getAccessor().invoke(r)));
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException("cannot read " + rc, e);
            }
        }
        return o;
    }

    private static Object encode(Object v) {
        if (v instanceof String || v instanceof Long || v instanceof Boolean) return v;
        if (v instanceof Integer i) return (long) i;
        if (v instanceof Enum<?> e) return e.name();
        if (v instanceof Digest d) return d.hex();
        if (v instanceof Bytes b) return b.hex();
        if (v instanceof PcrState s) return ManifestCodec.pcrStateToJson(s);
        if (v instanceof Instant t) return t.toString();
        if (v instanceof Duration d) return d.toString();
        if (v instanceof Optional<?> o) return o.isPresent() ? encode(o.get()) : Json.NULL;
        if (v instanceof OptionalLong o) return o.isPresent() ? (Object) o.getAsLong() : Json.NULL;
        if (v instanceof Record r) return encodeRecord(r);
        throw new IllegalStateException("no JSON form for " + v.getClass());
    }

    // ---- decoding ----

    private static Object decodeRecord(Object json, Class<?> declared) throws Json.JsonException {
        Map<String, Object> o = Json.asObject(json, nameOf(declared));
        Class<?> c = declared;
        if (!declared.isRecord()) {
            String type = Json.asString(Json.require(o, TYPE, nameOf(declared)), TYPE);
            c = TYPES.get(type);
            if (c == null || !declared.isAssignableFrom(c)) throw new Json.JsonException("unknown " + nameOf(declared) + " type " + type, 0);
        }
        RecordComponent[] rcs = c.getRecordComponents();
        Object[] args = new Object[rcs.length];
        Class<?>[] types = new Class<?>[rcs.length];
        for (int i = 0; i < rcs.length; i++) {
            types[i] = rcs[i].getType();
            args[i] = decode(Json.require(o, rcs[i].getName(), nameOf(c)), rcs[i].getGenericType(), nameOf(c) + "." + rcs[i].getName());
        }
        try {
            Constructor<?> ctor = c.getDeclaredConstructor(types);
            ctor.setAccessible(true);
            return ctor.newInstance(args);
        } catch (InvocationTargetException e) {
            throw new Json.JsonException(nameOf(c) + ": " + e.getCause().getMessage(), 0);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot construct " + c, e);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object decode(Object v, Type type, String what) throws Json.JsonException {
        if (type instanceof ParameterizedType p && p.getRawType() == Optional.class) {
            return v == Json.NULL ? Optional.empty() : Optional.of(decode(v, p.getActualTypeArguments()[0], what));
        }
        Class<?> c = (Class<?>) type;
        try {
            if (c == String.class) return Json.asString(v, what);
            if (c == long.class) return Json.asLong(v, what);
            if (c == int.class) return Math.toIntExact(Json.asLong(v, what));
            if (c == boolean.class) {
                if (v instanceof Boolean b) return b;
                throw new Json.JsonException(what + ": not a boolean", 0);
            }
            if (c == OptionalLong.class) return v == Json.NULL ? OptionalLong.empty() : OptionalLong.of(Json.asLong(v, what));
            if (c.isEnum()) return Enum.valueOf((Class<? extends Enum>) c, Json.asString(v, what));
            if (c == Digest.class) return Digest.ofHex(Json.asString(v, what));
            if (c == Bytes.class) return Bytes.ofHex(Json.asString(v, what));
            if (c == PcrState.class) return ManifestCodec.pcrState(v, what);
            if (c == Instant.class) return Instant.parse(Json.asString(v, what));
            if (c == Duration.class) return Duration.parse(Json.asString(v, what));
            if (c.isRecord() || c.isSealed()) return decodeRecord(v, c);
        } catch (MalformedManifestException | IllegalArgumentException | ArithmeticException | java.time.DateTimeException e) {
            throw new Json.JsonException(what + ": " + e.getMessage(), 0);
        }
        throw new IllegalStateException("no JSON form for " + c);
    }
}

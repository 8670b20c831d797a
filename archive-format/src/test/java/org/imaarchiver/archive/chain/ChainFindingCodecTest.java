package org.imaarchiver.archive.chain;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.imaarchiver.archive.segment.BootIdentity;
import org.imaarchiver.archive.segment.SegmentFinding;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrState;
import org.junit.jupiter.api.Test;

/**
 * Every typed finding survives the trip through JSON text (the distributed verifier's result rows):
 * equal as a value, and rendering the same report text. One instance of every record type of the
 * hierarchy, every {@link SegmentFinding} a {@link SegmentCheck} can carry included.
 */
class ChainFindingCodecTest {
    @Test
    void everyFindingTypeRoundTrips() throws Exception {
        List<ChainFinding> samples = new ArrayList<>();
        for (Class<?> c : records(ChainFinding.class)) {
            if (c != SegmentCheck.class) samples.add((ChainFinding) sample(c));
        }
        for (Class<?> c : SegmentFinding.class.getPermittedSubclasses()) {
            samples.add(new SegmentCheck("host-1", 5, (SegmentFinding) sample(c)));
        }
        assertThat(samples).hasSizeGreaterThan(40);
        for (ChainFinding f : samples) {
            String text = Json.write(ChainFindingCodec.toJson(f));
            ChainFinding back = ChainFindingCodec.fromJson(Json.parse(text));
            assertThat(back).as(text).isEqualTo(f);
            assertThat(ArchiveReportJson.toJson(back)).isEqualTo(ArchiveReportJson.toJson(f));
            assertThat(Json.write(ChainFindingCodec.toJson(back))).isEqualTo(text);
        }
    }

    @Test
    void anUnknownTypeIsAnError() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ChainFindingCodec.fromJson(Json.parse("{\"type\":\"Nope\"}")))
                .isInstanceOf(Json.JsonException.class);
    }

    /** The records of a sealed hierarchy. */
    static List<Class<?>> records(Class<?> c) {
        if (c.isRecord()) return List.of(c);
        List<Class<?>> out = new ArrayList<>();
        for (Class<?> p : c.getPermittedSubclasses()) out.addAll(records(p));
        return out;
    }

    /** A value for every component, through the canonical constructor. */
    static Object sample(Class<?> c) throws Exception {
        RecordComponent[] rcs = c.getRecordComponents();
        Object[] args = new Object[rcs.length];
        Class<?>[] types = new Class<?>[rcs.length];
        for (int i = 0; i < rcs.length; i++) {
            types[i] = rcs[i].getType();
            args[i] = value(rcs[i].getGenericType(), rcs[i].getName());
        }
        Constructor<?> ctor = c.getDeclaredConstructor(types);
        ctor.setAccessible(true);
        return ctor.newInstance(args);
    }

    static Object value(Type t, String name) throws Exception {
        if (t instanceof ParameterizedType p && p.getRawType() == Optional.class) {
            return Optional.of(value(p.getActualTypeArguments()[0], name));
        }
        Class<?> c = (Class<?>) t;
        if (c == String.class) return name.equals("host") || name.equals("hostId") ? "host-1" : "some " + name;
        if (c == long.class) return 17L;
        if (c == int.class) return 3;
        if (c == boolean.class) return true;
        if (c == OptionalLong.class) return OptionalLong.of(4);
        if (c.isEnum()) return c.getEnumConstants()[c.getEnumConstants().length - 1];
        if (c == Digest.class) return Digest.filled(32, (byte) 0x5a);
        if (c == Bytes.class) return Bytes.ofHex("00ff10");
        if (c == PcrState.class) return ChainLinkTest.state(100, (byte) 0x22);
        if (c == BootIdentity.class) return new BootIdentity(HashAlgorithm.SHA256, Digest.filled(32, (byte) 1), 7, 1, 3);
        if (c == HashAlgorithm.class) return HashAlgorithm.SHA1;
        // A reference time after the sample instant by more than the sample duration (a stale chain).
        if (c == java.time.Instant.class) return java.time.Instant.parse(name.equals("asOf") ? "2026-12-01T00:00:00Z" : "2026-11-01T00:00:00Z");
        if (c == java.time.Duration.class) return java.time.Duration.ofDays(2);
        throw new IllegalStateException("no sample for " + c);
    }
}

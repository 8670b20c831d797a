package org.imaarchiver.replay.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.imaarchiver.replay.log.MalformedLogException.Kind;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.junit.jupiter.api.Test;

/**
 * Seeded random damage to real lists: the reader, the decoder, the template hash and the ASCII
 * formatter only ever end cleanly or throw {@link MalformedLogException}, never anything else.
 */
class BinaryLogFuzzTest {
    private static final int ITERATIONS = 5000;
    private static final long SEED = 0x1AA_2026L;

    @Test
    void damagedListsEndCleanlyOrFailWithMalformedLogException() throws Exception {
        List<byte[]> lists = List.of(
                Files.readAllBytes(LogFiles.ima("kgoldman+ibmtss/imatest.log")),
                Arrays.copyOf(Files.readAllBytes(LogFiles.ima("kgoldman+ibmtss/sha1.log")), 4_000),
                Arrays.copyOf(Files.readAllBytes(LogFiles.ima("kgoldman+ibmtss/sha512.log")), 4_000),
                Arrays.copyOf(Files.readAllBytes(LogFiles.ima("Cybersecurity-LINKS+embrave/binary_runtime_measurements")), 4_000),
                LogFiles.toBigEndian(Files.readAllBytes(LogFiles.ima("kgoldman+ibmtss/imatest.log")), 20));
        Random random = new Random(SEED);
        Map<Kind, Integer> kinds = new java.util.EnumMap<>(Kind.class);
        int clean = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            byte[] original = lists.get(random.nextInt(lists.size()));
            byte[] damaged = damage(original, random);
            LogReadOptions options = random.nextBoolean() ? LogReadOptions.of("fuzz-" + i)
                    : LogReadOptions.of("fuzz-" + i).withBank(HashAlgorithm.SHA1).withMaxTemplateDataLength(64 * 1024);
            try {
                exercise(damaged, options);
                clean++;
            } catch (MalformedLogException e) {
                kinds.merge(e.kind(), 1, Integer::sum);
                if (e.recordIndex() < 0 || e.offset() < 0 || e.offset() > damaged.length) {
                    throw new AssertionError("iteration " + i + ": bad position in " + e);
                }
            } catch (Throwable t) {
                throw new AssertionError("iteration " + i + ": unexpected " + t, t);
            }
        }
        // the damage reaches the interesting paths
        assertThat(clean).isPositive();
        assertThat(kinds).containsKeys(Kind.TORN_TAIL, Kind.BAD_LENGTH, Kind.UNKNOWN_TEMPLATE, Kind.BAD_PCR,
                Kind.FIELD_LENGTH_MISMATCH, Kind.BAD_FIELD);
    }

    private static void exercise(byte[] list, LogReadOptions options) throws Exception {
        BinaryLogReader reader = BinaryLogReader.open(new ByteArrayInputStream(list), options);
        for (Optional<MeasurementRecord> r = reader.next(); r.isPresent(); r = reader.next()) {
            MeasurementRecord m = r.get();
            if (m.raw().length() > list.length) throw new AssertionError("record larger than its input: " + m.index());
            RecordDecoder.decode(m);
            TemplateHash.of(m, HashAlgorithm.values()[(int) (m.index() % HashAlgorithm.values().length)]);
            AsciiFormatter.format(m);
        }
        if (reader.bytesConsumed() != list.length) throw new AssertionError("clean end before the end of input");
    }

    private static byte[] damage(byte[] in, Random random) {
        byte[] b = in.clone();
        int operations = 1 + random.nextInt(3);
        for (int k = 0; k < operations; k++) {
            int at = random.nextInt(b.length);
            switch (random.nextInt(5)) {
                case 0 -> b[at] ^= (byte) (1 << random.nextInt(8));
                case 1 -> b[at] = (byte) random.nextInt(256);
                case 2 -> { // insert a byte
                    byte[] n = new byte[b.length + 1];
                    System.arraycopy(b, 0, n, 0, at);
                    n[at] = (byte) random.nextInt(256);
                    System.arraycopy(b, at, n, at + 1, b.length - at);
                    b = n;
                }
                case 3 -> { // delete a byte
                    byte[] n = new byte[b.length - 1];
                    System.arraycopy(b, 0, n, 0, at);
                    System.arraycopy(b, at + 1, n, at, b.length - at - 1);
                    b = n;
                }
                default -> b = Arrays.copyOf(b, at); // truncate
            }
            if (b.length == 0) break;
        }
        return b;
    }
}

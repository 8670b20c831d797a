package org.imaarchiver.archive.segment;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.imaarchiver.replay.bytes.Bytes;
import org.junit.jupiter.api.Test;

/**
 * The verifier compares a stored string query column as bytes with the UTF-8 the writer stores for
 * the derived string ({@code Binary.fromString}), not after decoding the stored bytes: bytes that
 * only decode to the same text (invalid UTF-8 shown as U+FFFD) are a mismatch.
 */
class QueryColumnBytesTest {
    private static Bytes utf8(String s) { return Bytes.wrap(s.getBytes(StandardCharsets.UTF_8)); }

    @Test
    void asciiEqualAndDifferent() {
        assertThat(SegmentVerifier.sameUtf8("/usr/bin/ls", utf8("/usr/bin/ls"))).isTrue();
        assertThat(SegmentVerifier.sameUtf8("/usr/bin/ls", utf8("/usr/bin/lz"))).isFalse();
        assertThat(SegmentVerifier.sameUtf8("/usr/bin/ls", utf8("/usr/bin/ls2"))).isFalse();
        assertThat(SegmentVerifier.sameUtf8("", Bytes.EMPTY)).isTrue();
    }

    @Test
    void nonAsciiComparedAsItsUtf8Encoding() {
        // "é" is 2 bytes in UTF-8 (c3 a9), so the lengths differ from the char count
        assertThat(SegmentVerifier.sameUtf8("/tmp/caf\u00e9", Bytes.ofHex("2f746d702f636166c3a9"))).isTrue();
        // same length in chars as bytes, but not ASCII: ISO-8859-1 bytes are not the UTF-8 encoding
        assertThat(SegmentVerifier.sameUtf8("\u00e9\u00e9", Bytes.ofHex("c3a9"))).isFalse();
        assertThat(SegmentVerifier.sameUtf8("\u00e9", Bytes.ofHex("e9"))).isFalse();
    }

    @Test
    void invalidUtf8ThatDecodesToTheSameTextIsAMismatch() {
        Bytes invalid = Bytes.ofHex("2fff"); // "/" then a byte that is never valid UTF-8
        String decoded = new String(invalid.toArray(), StandardCharsets.UTF_8);
        assertThat(decoded).isEqualTo("/\ufffd");
        // what the writer stores for that text is its UTF-8 encoding, ef bf bd for U+FFFD
        assertThat(SegmentVerifier.sameUtf8(decoded, invalid)).isFalse();
        assertThat(SegmentVerifier.sameUtf8(decoded, Bytes.ofHex("2fefbfbd"))).isTrue();
    }
}

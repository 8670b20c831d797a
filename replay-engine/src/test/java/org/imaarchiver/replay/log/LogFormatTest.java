package org.imaarchiver.replay.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LogFormatTest {
    @ParameterizedTest
    @CsvSource({
        "kgoldman+ibmtss/imatest.log,BINARY,17",
        "kgoldman+ibmtss/sha384.log,BINARY,362",
        "Cybersecurity-LINKS+embrave/binary_runtime_measurements,BINARY,922",
        "Cybersecurity-LINKS+embrave/ascii_runtime_measurements,ASCII,922",
        "keylime+rust-keylime/ascii_runtime_measurements,ASCII,826"})
    void detectsTheFormatAndReadsThroughTheCommonInterface(String file, LogFormat format, int count) throws Exception {
        Path p = LogFiles.ima(file);
        byte[] head = Files.readAllBytes(p);
        assertThat(LogFormat.detect(head, head.length)).isEqualTo(format);
        try (InputStream in = Files.newInputStream(p)) {
            LogReader reader = LogFormat.open(in, LogReadOptions.of(file));
            assertThat(reader).isInstanceOf(format == LogFormat.ASCII ? AsciiLogReader.class : BinaryLogReader.class);
            assertThat(LogFiles.readAll(reader)).hasSize(count);
            assertThat(reader.recordsRead()).isEqualTo(count);
            assertThat(reader.bytesConsumed()).isEqualTo(Files.size(p));
        }
    }

    @ParameterizedTest
    @CsvSource({"'',BINARY", "'10 ',ASCII", "' 9 ',ASCII", "'1',BINARY"})
    void shortAndTextualHeads(String head, LogFormat expected) throws Exception {
        byte[] b = head.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertThat(LogFormat.detect(b, b.length)).isEqualTo(expected);
        assertThat(LogFormat.open(new ByteArrayInputStream(new byte[0]), LogReadOptions.of("e")).next()).isEmpty();
    }
}

package org.imaarchiver.jobs.nightly;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.imaarchiver.archive.io.InputLimit;
import org.imaarchiver.archive.io.LimitedFiles;
import org.imaarchiver.jobs.host.state.RecordId;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.json.Json.JsonException;
import org.imaarchiver.replay.pcr.Digest;

/**
 * The record the last run left at the head of the kernel list ({@code kernel-head.json}): absolute
 * index and identity. The next run compares the kernel's first record with it, which detects a
 * foreign trimmer or a restored VM between runs (kernel-interface.md D.1 items 1-2).
 */
record ExpectedHead(long index, RecordId id) {

    static Optional<ExpectedHead> read(Path file) throws IOException {
        String text;
        try {
            text = LimitedFiles.readString(file, InputLimit.STATE_FILE);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            Map<String, Object> m = Json.asObject(Json.parse(text), "kernel head");
            return Optional.of(new ExpectedHead(Json.asLong(Json.require(m, "index", "kernel head"), "index"), new RecordId(
                    Digest.ofHex(Json.asString(Json.require(m, "templateDigest", "kernel head"), "templateDigest")),
                    Digest.ofHex(Json.asString(Json.require(m, "rawSha256", "kernel head"), "rawSha256")))));
        } catch (JsonException | IllegalArgumentException e) {
            return Optional.empty(); // unreadable: treated as unknown, which never unblocks a trim by itself
        }
    }

    void write(Path file) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("index", index);
        m.put("templateDigest", id.templateDigest().hex());
        m.put("rawSha256", id.rawSha256().hex());
        AtomicText.write(file, Json.pretty(m));
    }
}

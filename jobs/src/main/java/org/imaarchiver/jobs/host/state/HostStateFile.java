package org.imaarchiver.jobs.host.state;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.archive.io.InputLimit;
import org.imaarchiver.archive.io.LimitedFiles;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.json.Json.JsonException;
import org.imaarchiver.replay.pcr.Digest;

/** {@link HostState} in a JSON file, replaced atomically (fsync, rename, fsync of the directory). */
public final class HostStateFile {
    private static final long VERSION = 1;

    private final Path file;

    public HostStateFile(Path file) {
        this.file = Objects.requireNonNull(file, "file");
    }

    public Path file() { return file; }

    /** The cached state; empty when there is no file. A file that is not ours is a {@link StateFileException}. */
    public Optional<HostState> read() throws IOException {
        String text;
        try {
            text = LimitedFiles.readString(file, InputLimit.STATE_FILE);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            return Optional.of(fromJson(Json.asObject(Json.parse(text), "host state")));
        } catch (JsonException | IllegalArgumentException | DateTimeParseException e) {
            throw new StateFileException(file, "not a host state: " + e.getMessage(), e);
        }
    }

    public void write(HostState state) throws IOException {
        AtomicFiles.write(file, Json.pretty(toJson(state)).getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, Object> toJson(HostState s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", VERSION);
        m.put("hostId", s.hostId());
        m.put("bootId", s.bootId());
        m.put("nextIndex", s.nextIndex());
        s.lastSegment().ifPresent(seg -> {
            Map<String, Object> g = new LinkedHashMap<>();
            g.put("sequence", seg.sequence());
            g.put("manifestDigest", seg.manifestDigest().hex());
            m.put("lastSegment", g);
        });
        m.put("lastRun", s.lastRun().toString());
        return m;
    }

    private static HostState fromJson(Map<String, Object> m) throws JsonException {
        long version = Json.asLong(Json.require(m, "version", "host state"), "version");
        if (version != VERSION) throw new JsonException("unsupported host state version " + version, 0);
        Optional<HostState.SegmentRef> last = Optional.empty();
        if (m.containsKey("lastSegment")) {
            Map<String, Object> g = Json.asObject(m.get("lastSegment"), "lastSegment");
            last = Optional.of(new HostState.SegmentRef(
                    Json.asLong(Json.require(g, "sequence", "lastSegment"), "lastSegment.sequence"),
                    Digest.ofHex(Json.asString(Json.require(g, "manifestDigest", "lastSegment"), "lastSegment.manifestDigest"))));
        }
        return new HostState(
                Json.asString(Json.require(m, "hostId", "host state"), "hostId"),
                Json.asString(Json.require(m, "bootId", "host state"), "bootId"),
                Json.asLong(Json.require(m, "nextIndex", "host state"), "nextIndex"),
                last,
                Instant.parse(Json.asString(Json.require(m, "lastRun", "host state"), "lastRun")));
    }
}

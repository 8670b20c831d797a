package org.imaarchiver.jobs.logview;

import static java.nio.file.StandardOpenOption.READ;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.imaarchiver.archive.io.InputLimit;
import org.imaarchiver.archive.io.LimitedFiles;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.json.Json.JsonException;
import org.imaarchiver.replay.pcr.Digest;

/**
 * The trimmed records of each running boot, kept in the state directory so that the log view can
 * show the whole boot ({@code log-view/boot-<bootCounter>/<first:020d>/}: one file per kernel list file
 * plus {@code chunk.json}). A chunk is written and made durable before the trim that deletes its
 * records (kernel-interface.md D.2 step 7); a boot's chunks are deleted once a later boot is archived.
 * Chunks never change once in place; one whose trim did not happen is replaced by the next run's.
 */
public final class KeptRecords {
    public static final String DIR = "log-view";
    static final String INDEX = "chunk.json";
    private static final String BOOT_PREFIX = "boot-";
    private static final String TMP_PREFIX = ".tmp-";
    private static final Pattern BOOT = Pattern.compile("boot-(\\d{1,18})");
    private static final Pattern CHUNK = Pattern.compile("\\d{20}");
    private static final long VERSION = 1;

    private final Path root;

    public KeptRecords(Path stateDir) {
        this.root = Objects.requireNonNull(stateDir, "stateDir").resolve(DIR);
    }

    public Path root() { return root; }

    /** Writes a chunk's list files into a directory; returns each file's extent, or empty to abandon the chunk. */
    @FunctionalInterface
    public interface ChunkContent {
        Optional<Map<String, KeptChunk.Extent>> writeInto(Path dir) throws IOException;
    }

    /**
     * Writes the chunk of {@code boot} starting at {@code first} durably (every file and the
     * directories fsynced) before returning; a chunk already there for {@code first} (its trim never
     * happened) is replaced. Empty when the content abandoned the chunk (nothing is changed then).
     */
    public Optional<KeptChunk> keep(long boot, long first, long count, ChunkContent content) throws IOException {
        Path bootDir = Files.createDirectories(bootDir(boot));
        syncDirectory(root);
        // a chunk a killed run was writing (one job at a time: the host lock)
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(bootDir, TMP_PREFIX + "*")) {
            for (Path p : stale) deleteTree(p);
        }
        Path tmp = bootDir.resolve(TMP_PREFIX + UUID.randomUUID());
        Files.createDirectory(tmp);
        try {
            Optional<Map<String, KeptChunk.Extent>> files = content.writeInto(tmp);
            if (files.isEmpty()) return Optional.empty();
            KeptChunk chunk = new KeptChunk(first, count, files.get());
            Files.writeString(tmp.resolve(INDEX), Json.pretty(toJson(chunk)), StandardCharsets.UTF_8);
            try (DirectoryStream<Path> all = Files.newDirectoryStream(tmp)) {
                for (Path f : all) {
                    try (FileChannel ch = FileChannel.open(f, READ)) {
                        ch.force(true);
                    }
                }
            }
            syncDirectory(tmp);
            Path target = chunkDir(boot, first);
            if (Files.exists(target)) removeAtomically(target);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            syncDirectory(bootDir);
            return Optional.of(chunk);
        } finally {
            if (Files.exists(tmp)) deleteTree(tmp);
        }
    }

    /** Deletes the chunk at {@code first} (its trim was declined: the records are still in the kernel). */
    public void discard(long boot, long first) throws IOException {
        Path dir = chunkDir(boot, first);
        if (Files.exists(dir)) removeAtomically(dir);
    }

    /** The boots with kept records, newest (highest boot counter) first. */
    public List<Long> boots() throws IOException {
        List<Long> out = new ArrayList<>();
        if (!Files.isDirectory(root)) return out;
        try (DirectoryStream<Path> all = Files.newDirectoryStream(root)) {
            for (Path p : all) {
                Matcher m = BOOT.matcher(p.getFileName().toString());
                if (m.matches() && Files.isDirectory(p)) out.add(Long.parseLong(m.group(1)));
            }
        }
        out.sort(Comparator.reverseOrder());
        return out;
    }

    /** A boot's chunks in index order. */
    public List<KeptChunk> chunks(long boot) throws IOException {
        List<KeptChunk> out = new ArrayList<>();
        Path dir = bootDir(boot);
        try (DirectoryStream<Path> all = Files.newDirectoryStream(dir)) {
            for (Path p : all) {
                if (!CHUNK.matcher(p.getFileName().toString()).matches()) continue;
                try {
                    out.add(read(p.resolve(INDEX)));
                } catch (NoSuchFileException e) {
                    // removed since the listing (a declined trim's chunk, an ended boot): chunks are
                    // renamed away whole, so a chunk directory still in place without its index is damage
                    if (Files.exists(p)) throw new IOException("kept chunk " + p.resolve(INDEX) + ": missing", e);
                }
            }
        } catch (NoSuchFileException e) {
            return out; // no records kept for this boot, or its directory was removed since the caller listed it
        }
        out.sort(Comparator.comparingLong(KeptChunk::first));
        return out;
    }

    /** The file of one list in a chunk. */
    public Path file(long boot, KeptChunk chunk, String listFile) {
        return chunkDir(boot, chunk.first()).resolve(listFile);
    }

    /** Deletes every boot before {@code boot}: its records were all archived before they were trimmed. */
    public List<Long> deleteBootsBefore(long boot) throws IOException {
        List<Long> deleted = new ArrayList<>();
        for (long b : boots()) {
            if (b < boot) {
                removeAtomically(bootDir(b));
                deleted.add(b);
            }
        }
        if (Files.isDirectory(root)) { // boots a killed run was removing
            try (DirectoryStream<Path> stale = Files.newDirectoryStream(root, TMP_PREFIX + "*")) {
                for (Path p : stale) deleteTree(p);
            }
        }
        return deleted;
    }

    /** Bytes on disk under the kept-records directory. */
    public long diskUse() throws IOException {
        if (!Files.isDirectory(root)) return 0;
        long[] total = {0};
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                total[0] += attrs.size();
                return FileVisitResult.CONTINUE;
            }
        });
        return total[0];
    }

    Path bootDir(long boot) { return root.resolve(BOOT_PREFIX + boot); }

    private Path chunkDir(long boot, long first) { return bootDir(boot).resolve(String.format("%020d", first)); }

    private static Map<String, Object> toJson(KeptChunk c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", VERSION);
        m.put("first", c.first());
        m.put("count", c.count());
        Map<String, Object> files = new LinkedHashMap<>();
        c.files().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("bytes", e.getValue().bytes());
            f.put("headLength", (long) e.getValue().head().length());
            f.put("headSha256", e.getValue().head().sha256().hex());
            f.put("afterLength", (long) e.getValue().after().length());
            f.put("afterSha256", e.getValue().after().sha256().hex());
            files.put(e.getKey(), f);
        });
        m.put("files", files);
        return m;
    }

    private static KeptChunk read(Path index) throws IOException {
        String what = "kept chunk " + index;
        try {
            Map<String, Object> m = Json.asObject(Json.parse(LimitedFiles.readString(index, InputLimit.STATE_FILE)), what);
            long version = Json.asLong(Json.require(m, "version", what), "version");
            if (version != VERSION) throw new JsonException("unsupported version " + version, 0);
            Map<String, KeptChunk.Extent> files = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : Json.asObject(Json.require(m, "files", what), "files").entrySet()) {
                if (!ListFiles.isListName(e.getKey())) throw new JsonException("not a list file name: " + e.getKey(), 0);
                Map<String, Object> f = Json.asObject(e.getValue(), e.getKey());
                files.put(e.getKey(), new KeptChunk.Extent(Json.asLong(Json.require(f, "bytes", what), "bytes"),
                        new KeptChunk.Edge(Math.toIntExact(Json.asLong(Json.require(f, "headLength", what), "headLength")),
                                Digest.ofHex(Json.asString(Json.require(f, "headSha256", what), "headSha256"))),
                        new KeptChunk.Edge(Math.toIntExact(Json.asLong(Json.require(f, "afterLength", what), "afterLength")),
                                Digest.ofHex(Json.asString(Json.require(f, "afterSha256", what), "afterSha256")))));
            }
            return new KeptChunk(Json.asLong(Json.require(m, "first", what), "first"), Json.asLong(Json.require(m, "count", what), "count"), files);
        } catch (JsonException | IllegalArgumentException | ArithmeticException e) {
            throw new IOException(what + ": not a kept chunk: " + e.getMessage(), e);
        }
    }

    /**
     * Renames {@code dir} to a temporary name in its parent, then deletes it: a reader that lists the
     * parent sees the whole directory or none of it (the view places reads while the job removes).
     */
    private static void removeAtomically(Path dir) throws IOException {
        Path doomed = dir.resolveSibling(TMP_PREFIX + UUID.randomUUID());
        Files.move(dir, doomed, StandardCopyOption.ATOMIC_MOVE);
        syncDirectory(dir.getParent());
        deleteTree(doomed);
    }

    private static void deleteTree(Path dir) throws IOException {
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) throw e;
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, READ)) {
            ch.force(true);
        }
    }
}

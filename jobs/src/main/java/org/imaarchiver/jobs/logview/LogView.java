package org.imaarchiver.jobs.logview;

import static java.nio.file.StandardOpenOption.READ;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.imaarchiver.archive.io.InputLimit;
import org.imaarchiver.archive.io.LimitedFiles;

/**
 * The current boot's measurement lists as the kernel would show them had they never been trimmed:
 * the kept records of the boot ({@link KeptRecords}) followed by the live list without the overlap.
 * Which boot and where the live list joins are decided per open of the live list, from its first
 * record: it is the record after the last kept chunk (that trim happened), the chunk's own first
 * record (its trim did not happen), or a boot_aggregate (a boot never trimmed); anything else is a
 * hole (a trim whose records were not kept here), and reads fail with EIO.
 */
public final class LogView {
    private final Path kernel;
    private final KeptRecords kept;
    private final List<ListFiles.Entry> entries;
    private final BusyWait busyWait;

    /** How long an open of a kernel list waits while a trimmer holds it (EBUSY, A.8). */
    public record BusyWait(int attempts, java.time.Duration pause) {}

    public LogView(Path kernelRoot, Path stateDir, BusyWait busyWait) throws IOException {
        this.kernel = Objects.requireNonNull(kernelRoot, "kernelRoot");
        this.kept = new KeptRecords(stateDir);
        this.entries = ListFiles.of(kernelRoot);
        this.busyWait = busyWait;
    }

    public Path kernelRoot() { return kernel; }

    /** The view's directory entries (fixed when the view is mounted). */
    public List<ListFiles.Entry> entries() { return entries; }

    public Optional<ListFiles.Entry> entry(String name) {
        return entries.stream().filter(e -> e.name().equals(name)).findFirst();
    }

    /** A reader of one list for one open file. */
    public ViewReader reader(ListFiles.ListFile file) { return new ViewReader(this, file); }

    /**
     * {@code runtime_measurements_count} of the view: the kept records before the live list plus the
     * kernel's count (7.2 counts the current list only, B.1), read while the list is held open.
     */
    public byte[] count() throws IOException {
        ListFiles.ListFile first = entries.stream().filter(e -> e instanceof ListFiles.ListFile).map(e -> (ListFiles.ListFile) e)
                .filter(f -> f.format() == ListFiles.Format.BINARY).findFirst()
                .orElseThrow(() -> new ViewFailure(ViewFailure.Errno.EIO, kernel + " has no binary measurement list"));
        try (LiveHead live = openLive(first)) {
            Placement p = place(first, live);
            String kernelCount = LimitedFiles.readString(kernel.resolve(ListFiles.COUNT), InputLimit.STATE_FILE).strip();
            long n;
            try {
                n = Long.parseLong(kernelCount);
            } catch (NumberFormatException e) {
                throw new ViewFailure(ViewFailure.Errno.EIO, kernel.resolve(ListFiles.COUNT) + ": not a count: " + kernelCount);
            }
            return (p.prefixRecords() + n + "\n").getBytes(StandardCharsets.US_ASCII);
        }
    }

    /** Opens the kernel's list read-only, waiting while a trimmer holds it. */
    LiveHead openLive(ListFiles.ListFile file) throws IOException {
        Path path = kernel.resolve(file.name());
        for (int attempt = 1; ; attempt++) {
            try {
                return new LiveHead(FileChannel.open(path, READ), file);
            } catch (FileSystemException e) {
                boolean busy = org.imaarchiver.jobs.host.securityfs.Errno.EBUSY.matches(e);
                if (!busy) throw e;
                if (attempt >= busyWait.attempts()) {
                    throw new ViewFailure(ViewFailure.Errno.EBUSY, path + ": busy (a trim holds it) after " + attempt + " attempts");
                }
                try {
                    Thread.sleep(busyWait.pause().toMillis());
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new ViewFailure(ViewFailure.Errno.EBUSY, path + ": interrupted while busy");
                }
            }
        }
    }

    /** Which kept records precede the live list that {@code live} has open (class comment). */
    Placement place(ListFiles.ListFile file, LiveHead live) throws IOException {
        List<Long> boots = kept.boots();
        for (long boot : boots) {
            List<KeptChunk> chunks = kept.chunks(boot);
            if (chunks.isEmpty()) continue;
            KeptChunk last = chunks.get(chunks.size() - 1);
            Optional<KeptChunk.Extent> ext = last.file(file.name());
            if (ext.isEmpty()) continue;
            List<KeptChunk> prefix;
            if (live.startsWith(ext.get().after())) prefix = chunks;
            else if (live.startsWith(ext.get().head())) prefix = chunks.subList(0, chunks.size() - 1);
            else continue;
            return placement(boot, prefix, file);
        }
        if (!live.startsAtBoot()) {
            throw new ViewFailure(ViewFailure.Errno.EIO, kernel.resolve(file.name()) + ": the list starts with a record that no kept"
                    + " record precedes (kept boots " + boots + " in " + kept.root() + ") and that is not a boot_aggregate:"
                    + " records were trimmed that this host did not keep");
        }
        return Placement.UNTRIMMED;
    }

    private Placement placement(long boot, List<KeptChunk> prefix, ListFiles.ListFile file) throws IOException {
        List<Path> files = new ArrayList<>();
        long[] starts = new long[prefix.size()];
        long bytes = 0;
        long next = 0;
        for (int i = 0; i < prefix.size(); i++) {
            KeptChunk c = prefix.get(i);
            if (c.first() != next) {
                throw new ViewFailure(ViewFailure.Errno.EIO, kept.root() + ": boot " + boot + ": records [" + next + ", " + c.first()
                        + ") of " + file.name() + " are not kept");
            }
            KeptChunk.Extent ext = c.file(file.name()).orElseThrow(() -> new ViewFailure(ViewFailure.Errno.EIO,
                    kept.root() + ": boot " + boot + ": chunk at record " + c.first() + " has no " + file.name()));
            Path f = kept.file(boot, c, file.name());
            if (Files.size(f) != ext.bytes()) {
                throw new ViewFailure(ViewFailure.Errno.EIO, f + ": " + Files.size(f) + " bytes, its index says " + ext.bytes()
                        + " (boot " + boot + ", records from " + c.first() + ")");
            }
            files.add(f);
            starts[i] = bytes;
            bytes += ext.bytes();
            next = c.end();
        }
        return new Placement(boot, List.copyOf(files), starts, bytes, next);
    }
}

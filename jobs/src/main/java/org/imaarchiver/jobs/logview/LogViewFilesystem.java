package org.imaarchiver.jobs.logview;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import jnr.ffi.Pointer;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import ru.serce.jnrfuse.ErrorCodes;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;

/**
 * The log view as a read-only FUSE filesystem (jnr-fuse over libfuse 2; architecture.md "The log
 * view"). Files report size 0 and are read until EOF, like securityfs (B.1); the mount uses
 * {@code direct_io} so every read reaches the view. Modes as on securityfs: {@code 0440}, owner
 * root, group {@code gid} (0 unless configured); the kernel enforces them ({@code default_permissions}).
 */
public final class LogViewFilesystem extends FuseStubFS {
    private static final int O_ACCMODE = 3;
    private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private final LogView view;
    private final int gid;
    private final PrintStream log;
    private final Map<Long, Object> handles = new ConcurrentHashMap<>();
    private final AtomicLong nextHandle = new AtomicLong(1);
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "log-view-idle");
        t.setDaemon(true);
        return t;
    });
    private final ThreadLocal<ByteBuffer> buffers = ThreadLocal.withInitial(() -> ByteBuffer.allocate(256 * 1024));

    public LogViewFilesystem(LogView view, int gid, PrintStream log) {
        this.view = view;
        this.gid = gid;
        this.log = log;
        sweeper.scheduleWithFixedDelay(this::closeIdle, 100, 100, TimeUnit.MILLISECONDS);
    }

    /** FUSE mount options: read-only, modes enforced by the kernel, no caching of data or attributes. */
    public static String[] mountOptions(boolean allowOther) {
        String o = "ro,direct_io,default_permissions,fsname=ima-log-view,subtype=ima-log-view,attr_timeout=0,entry_timeout=0";
        return new String[] {"-o", allowOther ? o + ",allow_other" : o};
    }

    private void closeIdle() {
        long now = System.nanoTime();
        for (Object h : handles.values()) {
            if (h instanceof ViewReader r) {
                try {
                    r.closeIfIdle(now, IDLE_NANOS);
                } catch (IOException e) {
                    log.println("log-view: closing an idle kernel list: " + e.getMessage());
                }
            }
        }
    }

    private Optional<ListFiles.Entry> entry(String path) {
        if (!path.startsWith("/") || path.indexOf('/', 1) >= 0) return Optional.empty();
        return view.entry(path.substring(1));
    }

    @Override
    public int getattr(String path, FileStat stat) {
        stat.st_uid.set(0);
        stat.st_gid.set(gid);
        if (path.equals("/")) {
            stat.st_mode.set(FileStat.S_IFDIR | 0550);
            stat.st_nlink.set(2);
            return 0;
        }
        Optional<ListFiles.Entry> e = entry(path);
        if (e.isEmpty()) return -ErrorCodes.ENOENT();
        if (e.get() instanceof ListFiles.Link l) {
            stat.st_mode.set(FileStat.S_IFLNK | 0777);
            stat.st_size.set(l.target().getBytes(StandardCharsets.UTF_8).length);
        } else {
            stat.st_mode.set(FileStat.S_IFREG | 0440);
            stat.st_size.set(0);
        }
        stat.st_nlink.set(1);
        return 0;
    }

    @Override
    public int readlink(String path, Pointer buf, @size_t long size) {
        Optional<ListFiles.Entry> e = entry(path);
        if (e.isEmpty()) return -ErrorCodes.ENOENT();
        if (!(e.get() instanceof ListFiles.Link l)) return -ErrorCodes.EINVAL();
        byte[] target = l.target().getBytes(StandardCharsets.UTF_8);
        int n = (int) Math.min(target.length, size - 1);
        buf.put(0, target, 0, n);
        buf.putByte(n, (byte) 0);
        return 0;
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filler, @off_t long offset, FuseFileInfo fi) {
        if (!path.equals("/")) return -ErrorCodes.ENOTDIR();
        filler.apply(buf, ".", null, 0);
        filler.apply(buf, "..", null, 0);
        for (ListFiles.Entry e : view.entries()) filler.apply(buf, e.name(), null, 0);
        return 0;
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
        Optional<ListFiles.Entry> e = entry(path);
        if (e.isEmpty()) return -ErrorCodes.ENOENT();
        if ((fi.flags.get() & O_ACCMODE) != 0) return -ErrorCodes.EROFS();
        Object handle;
        if (e.get() instanceof ListFiles.ListFile f) {
            handle = view.reader(f);
        } else if (e.get() instanceof ListFiles.CountFile) {
            try {
                handle = view.count();
            } catch (IOException ex) {
                return failed(path, ex);
            }
        } else {
            return -ErrorCodes.ELOOP(); // links are resolved by the kernel before open
        }
        long id = nextHandle.getAndIncrement();
        handles.put(id, handle);
        fi.fh.set(id);
        return 0;
    }

    @Override
    public int read(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        Object handle = handles.get(fi.fh.get());
        if (handle == null) return -ErrorCodes.EBADF();
        if (handle instanceof byte[] count) {
            if (offset >= count.length) return 0;
            int n = (int) Math.min(size, count.length - offset);
            buf.put(0, count, (int) offset, n);
            return n;
        }
        ByteBuffer b = buffers.get();
        if (b.capacity() < size) {
            b = ByteBuffer.allocate((int) size);
            buffers.set(b);
        }
        b.clear().limit((int) size);
        try {
            int n = ((ViewReader) handle).read(offset, b, System.nanoTime());
            buf.put(0, b.array(), 0, n);
            return n;
        } catch (IOException e) {
            return failed(path, e);
        }
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        Object handle = handles.remove(fi.fh.get());
        if (handle instanceof ViewReader r) {
            try {
                r.close();
            } catch (IOException e) {
                log.println("log-view: " + path + ": closing the kernel list: " + e.getMessage());
            }
        }
        return 0;
    }

    private int failed(String path, IOException e) {
        log.println("log-view: " + path + ": " + e.getMessage());
        if (e instanceof ViewFailure f) return -f.errno().value();
        if (e instanceof java.nio.file.AccessDeniedException) return -ErrorCodes.EACCES();
        return -ErrorCodes.EIO();
    }

    /** Stops the idle sweeper and closes every open kernel list. */
    public void shutdown() {
        sweeper.shutdownNow();
        for (Object h : handles.values()) {
            if (h instanceof ViewReader r) {
                try {
                    r.close();
                } catch (IOException e) {
                    // the process is ending; the kernel closes the fd anyway
                }
            }
        }
    }

    /** The mount point, for messages. */
    public Path mountPointOrEmpty() { return mountPoint; }
}

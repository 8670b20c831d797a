package org.imaarchiver.jobs.logview;

import static java.nio.file.StandardOpenOption.READ;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * One open view file: maps a view offset to a kept chunk file and offset, or to the live list. The
 * live list stays open between sequential reads (the kernel's own readers hold it the same way)
 * and is closed at its end, when idle, on a backward seek and on close, so that a reader that keeps
 * the view file open (rust-keylime does) does not keep the nightly trim out; while it is open no trim can happen
 * (securityfs locks a list against writers while a reader has it open, A.8), so the placement
 * decided at its open holds for every read through it.
 */
public final class ViewReader implements AutoCloseable {
    private static final int SCRATCH = 64 * 1024;

    private final LogView view;
    private final ListFiles.ListFile file;
    private LiveHead live;
    private Placement placement;
    private ByteBuffer scratch;
    private long lastUse;
    private FileChannel chunk;
    private java.nio.file.Path chunkFile;

    ViewReader(LogView view, ListFiles.ListFile file) {
        this.view = view;
        this.file = file;
    }

    /**
     * Fills {@code dst} from view offset {@code offset} as far as the view reaches; returns the bytes
     * read (0 at the end).
     */
    public synchronized int read(long offset, ByteBuffer dst, long nowNanos) throws IOException {
        lastUse = nowNanos;
        int total = 0;
        if (live == null) establish();
        while (dst.hasRemaining()) {
            if (live == null) break; // the end of the live list was reached in this call
            long o = offset + total;
            if (o < placement.prefixBytes()) {
                int i = placement.chunkAt(o);
                long end = placement.chunkEnd(i);
                int oldLimit = dst.limit();
                if (dst.remaining() > end - o) dst.limit(dst.position() + (int) (end - o));
                try {
                    int n = chunk(placement.files().get(i)).read(dst, o - placement.starts()[i]);
                    if (n <= 0) throw new ViewFailure(ViewFailure.Errno.EIO, placement.files().get(i) + ": shorter than its index");
                    total += n;
                } finally {
                    dst.limit(oldLimit);
                }
                continue;
            }
            long at = o - placement.prefixBytes();
            if (at < live.position()) { // a seek back into what this fd has passed
                establish();
                continue;
            }
            if (at > live.position() && !live.skip(at - live.position(), scratch())) {
                closeLive();
                break;
            }
            int n = live.read(dst);
            if (n < 0) { // at the end: let a trim in until this reader asks again (the next read reopens)
                closeLive();
                break;
            }
            total += n;
        }
        return total;
    }

    /** Closes the live list if unused since {@code idleNanos} before {@code nowNanos} (lets a trim in). */
    public synchronized void closeIfIdle(long nowNanos, long idleNanos) throws IOException {
        if (live != null && nowNanos - lastUse >= idleNanos) closeLive();
    }

    private void establish() throws IOException {
        closeLive();
        LiveHead opened = view.openLive(file);
        try {
            placement = view.place(file, opened);
        } catch (IOException | RuntimeException e) {
            opened.close();
            throw e;
        }
        live = opened;
    }

    /** The kept chunk file being read (kept open while reads stay in it). */
    private FileChannel chunk(java.nio.file.Path file) throws IOException {
        if (chunkFile == null || !chunkFile.equals(file)) {
            closeChunk();
            chunk = FileChannel.open(file, READ);
            chunkFile = file;
        }
        return chunk;
    }

    private void closeChunk() throws IOException {
        if (chunk != null) {
            FileChannel c = chunk;
            chunk = null;
            chunkFile = null;
            c.close();
        }
    }

    private ByteBuffer scratch() {
        if (scratch == null) scratch = ByteBuffer.allocate(SCRATCH);
        return scratch;
    }

    private void closeLive() throws IOException {
        if (live != null) {
            LiveHead l = live;
            live = null;
            l.close();
        }
    }

    @Override
    public synchronized void close() throws IOException {
        try {
            closeLive();
        } finally {
            closeChunk();
        }
    }
}

package org.imaarchiver.jobs.logview;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import org.imaarchiver.archive.chain.SegmentPacker;
import org.imaarchiver.replay.log.BinaryLogReader;
import org.imaarchiver.replay.log.LogReadOptions;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.log.RecordDecoder;

/**
 * A live kernel list read through one fd, with the bytes read to recognise its first record kept
 * so that they are served too: the head is read once, on the same fd as the rest, so a trim cannot
 * fall between the check and the read.
 */
final class LiveHead implements AutoCloseable {
    /** Enough for any boot_aggregate record; a longer first record is not one. */
    private static final int HEAD_LIMIT = 64 * 1024;

    private final FileChannel channel;
    private final ListFiles.ListFile file;
    private byte[] head = new byte[0];
    private boolean eof;
    private int served;
    private long position;

    LiveHead(FileChannel channel, ListFiles.ListFile file) {
        this.channel = channel;
        this.file = file;
    }

    /** Bytes of the live list consumed so far. */
    long position() { return position; }

    /** Whether the list starts with exactly the record {@code edge}. */
    boolean startsWith(KeptChunk.Edge edge) throws IOException {
        fill(edge.length());
        if (head.length < edge.length()) return false;
        var md = org.imaarchiver.replay.pcr.HashAlgorithm.SHA256.newDigest();
        md.update(head, 0, edge.length());
        return edge.sha256().equalsBytes(md.digest(), 0, 32);
    }

    /** Whether the list is empty or starts with a boot_aggregate record (a boot never trimmed, B.9). */
    boolean startsAtBoot() throws IOException {
        fill(HEAD_LIMIT);
        if (head.length == 0) return true;
        if (file.format() == ListFiles.Format.ASCII) {
            int nl = indexOf(head, (byte) '\n');
            if (nl < 0) return false;
            return new String(head, 0, nl, StandardCharsets.ISO_8859_1).endsWith(" " + SegmentPacker.BOOT_AGGREGATE);
        }
        try {
            Optional<MeasurementRecord> r = BinaryLogReader.open(new ByteArrayInputStream(head),
                    LogReadOptions.of(file.name()).withBank(file.bank())).next();
            return r.isPresent() && RecordDecoder.decode(r.get()).name().equals(Optional.of(SegmentPacker.BOOT_AGGREGATE));
        } catch (MalformedLogException | RuntimeException e) {
            return false;
        }
    }

    /** Skips {@code n} bytes; false at the end of the list. */
    boolean skip(long n, ByteBuffer scratch) throws IOException {
        while (n > 0) {
            scratch.clear();
            if (n < scratch.capacity()) scratch.limit((int) n);
            int r = read(scratch);
            if (r < 0) return false;
            n -= r;
        }
        return true;
    }

    /** Reads into {@code dst}: -1 at the end of the list. */
    int read(ByteBuffer dst) throws IOException {
        if (served < head.length) {
            int n = Math.min(dst.remaining(), head.length - served);
            dst.put(head, served, n);
            served += n;
            position += n;
            return n;
        }
        int n = channel.read(dst);
        if (n > 0) position += n;
        return n;
    }

    private void fill(int want) throws IOException {
        if (head.length >= want || eof) return;
        if (served > 0) throw new IllegalStateException("the head is checked before anything is served");
        ByteBuffer buf = ByteBuffer.allocate(want - head.length);
        while (buf.hasRemaining()) {
            int n = channel.read(buf);
            if (n < 0) {
                eof = true;
                break;
            }
        }
        byte[] more = Arrays.copyOf(buf.array(), buf.position());
        byte[] joined = Arrays.copyOf(head, head.length + more.length);
        System.arraycopy(more, 0, joined, head.length, more.length);
        head = joined;
    }

    private static int indexOf(byte[] b, byte v) {
        for (int i = 0; i < b.length; i++) if (b[i] == v) return i;
        return -1;
    }

    @Override
    public void close() throws IOException { channel.close(); }
}

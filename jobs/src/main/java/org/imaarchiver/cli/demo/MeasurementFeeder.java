package org.imaarchiver.cli.demo;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;
import org.imaarchiver.jobs.host.imafs.ImafsProcess;
import org.imaarchiver.replay.synth.LogGenerator;

/**
 * Feeds realistic measurements into the emulated securityfs as IMA would: the synthetic list
 * generator builds each record (boot_aggregate first, then ima-ng / ima-sig / ima-buf / d-ng|n-ng
 * records with distinct paths and mostly sha256 file digests, a few violations), and its template
 * data goes through the emulator's control socket, which appends the record and then extends the
 * swtpm (kernel-interface.md A.8, B.3-B.5, B.8). Duplicates are dropped by the emulator's hash table, as
 * by IMA's; they are counted, not recorded.
 */
final class MeasurementFeeder {
    /** What one {@link #feed} call added. */
    record Fed(long measured, long violations, long duplicatesDropped) {}

    private final ImafsProcess emulator;
    private final LogGenerator generator;
    private final int storedDigestLength;
    private final LastRecord last = new LastRecord();

    MeasurementFeeder(ImafsProcess emulator, long seed) {
        this.emulator = emulator;
        // PCR 10 only: the archiver quotes the PCRs of the IMA policy (ima-archiver.pcrs, default 10).
        LogGenerator.Options o = LogGenerator.Options.defaults(seed).withOtherPcrRate(0).withExpectedBanks(Set.of());
        this.storedDigestLength = o.storedDigest().digestLength();
        this.generator = LogGenerator.newList(o);
    }

    /** Generates {@code count} records and measures each through the emulator. */
    Fed feed(long count) throws IOException {
        long[] measured = {0};
        long[] violations = {0};
        long[] duplicates = {0};
        generator.write(last, count, r -> {
            byte[] data = templateData(last.bytes(), r.templateName());
            ImafsProcess.Reply reply = r.violation() ? emulator.violation(r.pcr(), r.templateName(), data)
                    : emulator.measure(r.pcr(), r.templateName(), data);
            if (reply.ok()) {
                measured[0]++;
                if (r.violation()) violations[0]++;
            } else if (reply.errno().equals(java.util.Optional.of("EEXIST"))) {
                duplicates[0]++; // IMA's hash table: the same measurement is recorded once
            } else {
                throw new IOException("imafs-emulator refused record " + r.index() + " (" + r.templateName() + "): "
                        + reply.errno().orElse("?") + " " + reply.text());
            }
        });
        return new Fed(measured[0], violations[0], duplicates[0]);
    }

    /**
     * The template data of one binary record (B.3): after pcr, the stored digest and the template
     * name comes a u32 length and the data; the {@code ima} template has no length field.
     */
    private byte[] templateData(byte[] rec, String templateName) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(rec).order(ByteOrder.LITTLE_ENDIAN);
        b.position(4 + storedDigestLength);
        int nameLen = b.getInt();
        String name = new String(rec, b.position(), nameLen, StandardCharsets.US_ASCII);
        if (!name.equals(templateName)) throw new IOException("generator record names template " + name + ", not " + templateName);
        b.position(b.position() + nameLen);
        if (templateName.equals("ima")) return Arrays.copyOfRange(rec, b.position(), rec.length);
        int dataLen = b.getInt();
        if (dataLen != b.remaining()) throw new IOException("generator record data length " + dataLen + " != " + b.remaining());
        return Arrays.copyOfRange(rec, b.position(), rec.length);
    }

    /** Keeps the last chunk written: the generator writes each record with one {@code write} call. */
    private static final class LastRecord extends OutputStream {
        private byte[] last = new byte[0];

        @Override
        public void write(int b) {
            throw new UnsupportedOperationException("the generator writes whole records");
        }

        @Override
        public void write(byte[] b, int off, int len) {
            last = Arrays.copyOfRange(b, off, off + len);
        }

        byte[] bytes() { return last; }
    }
}

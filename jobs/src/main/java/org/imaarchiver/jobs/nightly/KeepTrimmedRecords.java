package org.imaarchiver.jobs.nightly;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.imaarchiver.jobs.host.securityfs.SecurityfsFeatures;
import org.imaarchiver.jobs.host.securityfs.SecurityfsLog;
import org.imaarchiver.jobs.host.securityfs.TrimDecision;
import org.imaarchiver.jobs.host.securityfs.TrimOutcome;
import org.imaarchiver.jobs.host.securityfs.TrimSession;
import org.imaarchiver.jobs.logview.KeptChunk;
import org.imaarchiver.jobs.logview.KeptRecords;
import org.imaarchiver.jobs.logview.ListFiles;
import org.imaarchiver.replay.log.AsciiFormatter;
import org.imaarchiver.replay.log.BinaryLogReader;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * Before a trim: the records about to be deleted, in the bytes of every list file the kernel has,
 * kept durably for the log view ({@link KeptRecords}). Each bank's binary list is read through a
 * read-only fd from the kernel and checked record by record against the spool (PCR, template name
 * and data: the same records); its ASCII list is the kernel's rendering of those records
 * (kernel-interface.md B.6, {@link AsciiFormatter}). Busy lists mean no copy, and then no trim.
 */
final class KeepTrimmedRecords {
    private final ArchiveRun run;
    private final SecurityfsLog log;
    private final SpoolFile spool;

    KeepTrimmedRecords(ArchiveRun run, SecurityfsLog log, SpoolFile spool) {
        this.run = run;
        this.log = log;
        this.spool = spool;
    }

    /** The kept chunk, or why the lists could not be copied (busy, a refused open). */
    sealed interface Outcome {
        record Kept(KeptChunk chunk) implements Outcome {}

        record NotKept(TrimOutcome.Reason reason) implements Outcome {}
    }

    Outcome keep(long boot, long first, long n) throws IOException, MalformedLogException, InterruptedException {
        List<ListFiles.ListFile> lists = ListFiles.lists(log.root());
        @SuppressWarnings("unchecked")
        Optional<TrimOutcome.Reason>[] refused = new Optional[] {Optional.empty()};
        Optional<KeptChunk> chunk = new KeptRecords(run.stateDir()).keep(boot, first, n, dir -> {
            Map<String, KeptChunk.Extent> files = new HashMap<>();
            for (ListFiles.ListFile f : lists) {
                if (f.format() != ListFiles.Format.BINARY) continue;
                Optional<String> ascii = lists.stream().filter(a -> a.format() == ListFiles.Format.ASCII && a.bank() == f.bank())
                        .map(ListFiles.ListFile::name).findFirst();
                try {
                    Optional<TrimOutcome.Reason> r = copyBank(f, ascii, first, n, dir, files);
                    if (r.isPresent()) {
                        refused[0] = r;
                        return Optional.empty();
                    }
                } catch (MalformedLogException | InterruptedException e) {
                    throw new IOException(e.getMessage(), e);
                }
            }
            return Optional.of(files);
        });
        if (chunk.isEmpty()) return new Outcome.NotKept(refused[0].orElseThrow());
        return new Outcome.Kept(chunk.get());
    }

    /** One bank's binary list (and its ASCII rendering): records [first, first + n], the last one only as the edge. */
    private Optional<TrimOutcome.Reason> copyBank(ListFiles.ListFile f, Optional<String> asciiName, long first, long n, Path dir,
            Map<String, KeptChunk.Extent> files) throws IOException, MalformedLogException, InterruptedException {
        HashAlgorithm bank = f.bank();
        SecurityfsFeatures readOnly = new SecurityfsFeatures(log.root(), Set.of(bank), List.of(), false, false, false);
        Path binary = dir.resolve(f.name());
        Edges bin = new Edges();
        Edges text = new Edges();
        TrimOutcome outcome;
        try (InputStream spoolIn = new BufferedInputStream(Files.newInputStream(spool.file()));
             OutputStream binOut = new BufferedOutputStream(Files.newOutputStream(binary));
             OutputStream asciiOut = asciiName.isPresent() ? new BufferedOutputStream(Files.newOutputStream(dir.resolve(asciiName.get())))
                     : OutputStream.nullOutputStream();
             TrimSession reading = TrimSession.open(log, readOnly, run.backoff())) {
            BinaryLogReader spooled = spool.open(spoolIn);
            outcome = reading.readPersistTrim(bank, first, batch -> {
                for (long i = first; i <= first + n; i++) {
                    Optional<MeasurementRecord> k = batch.next();
                    MeasurementRecord s = nextSpooled(spooled, i);
                    if (k.isEmpty()) throw new IOException(batch.file() + " ends before record " + i + " that the trim keeps");
                    MeasurementRecord r = k.get();
                    if (r.pcr() != s.pcr() || !r.templateName().equals(s.templateName()) || !r.templateData().equals(s.templateData())) {
                        throw new IOException(batch.file() + ": record " + i + " is not the spooled record " + i + " of " + spool.file()
                                + ": not kept for the log view, not trimmed");
                    }
                    byte[] raw = r.raw().toArray();
                    byte[] line = AsciiFormatter.format(r);
                    if (i < first + n) {
                        binOut.write(raw);
                        asciiOut.write(line);
                    }
                    bin.add(i == first, i == first + n, raw);
                    text.add(i == first, i == first + n, line);
                }
                return TrimDecision.abort("read only");
            });
        }
        if (outcome instanceof TrimOutcome.NotTrimmed nt && !(nt.reason() instanceof TrimOutcome.ArchiveOnly)) return Optional.of(nt.reason());
        files.put(f.name(), bin.extent());
        asciiName.ifPresent(a -> files.put(a, text.extent()));
        return Optional.empty();
    }

    private MeasurementRecord nextSpooled(BinaryLogReader spooled, long index) throws IOException, MalformedLogException {
        for (Optional<MeasurementRecord> m = spooled.next(); m.isPresent(); m = spooled.next()) {
            if (m.get().index() == index) return m.get();
            if (m.get().index() > index) break;
        }
        throw new IOException(spool.file() + " has no record " + index);
    }

    /** Byte count and the two edge records of one file's part. */
    private static final class Edges {
        long bytes;
        KeptChunk.Edge head;
        KeptChunk.Edge after;

        void add(boolean isHead, boolean isAfter, byte[] bytesOfRecord) {
            KeptChunk.Edge e = new KeptChunk.Edge(bytesOfRecord.length, sha256(bytesOfRecord));
            if (isHead) head = e;
            if (isAfter) after = e;
            else bytes += bytesOfRecord.length;
        }

        KeptChunk.Extent extent() { return new KeptChunk.Extent(bytes, head, after); }
    }

    static Digest sha256(byte[] b) {
        MessageDigest md = HashAlgorithm.SHA256.newDigest();
        return Digest.wrap(md.digest(b));
    }
}

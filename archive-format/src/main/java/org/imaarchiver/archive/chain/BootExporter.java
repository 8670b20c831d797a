package org.imaarchiver.archive.chain;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.imaarchiver.archive.segment.DataDigest;
import org.imaarchiver.archive.segment.RawRecords;
import org.imaarchiver.archive.segment.SegmentFinding;
import org.imaarchiver.archive.segment.SegmentManifest;
import org.imaarchiver.archive.segment.SegmentReader;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.StoreException;
import org.imaarchiver.replay.log.AsciiFormatter;
import org.imaarchiver.replay.log.BankView;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.ExtendMode;
import org.imaarchiver.replay.pcr.HashAlgorithm;

/**
 * One archived boot's measurement list, written in the kernel's formats (docs/archive-format.md §18)
 * from a chain that {@link ChainVerifier#verifyHostChain} verified without findings. The records are
 * read a second time, one segment at a time and row by row (memory does not grow with the boot), and
 * bound to what was verified: each segment's rows must give the data digest, first index and record
 * count of the manifest it was verified under, or the export is refused with that finding. So what is
 * written is what was verified, even if the store changed in between.
 *
 * <p>The archive keeps each record's raw bytes as the archived bank's file showed them ({@code raw},
 * §5; the bank is the manifest's {@code replay.templateDigestAlgorithm}). That bank's binary file is those
 * bytes; another bank's file is the same records with that bank's template digest ({@link BankView}).
 */
public final class BootExporter {
    private BootExporter() {}

    /** The kernel's two forms of a list (kernel-interface.md B.1, B.6). */
    public enum Form {
        /** {@code binary_runtime_measurements_<bank>}: the records of B.3. */
        BINARY("binary"),
        /** {@code ascii_runtime_measurements_<bank>}: one line per record (B.6). */
        ASCII("ascii");

        private final String id;

        Form(String id) { this.id = id; }

        public String id() { return id; }
    }

    /** One list file of the kernel: its form and bank. */
    public record ListFile(Form form, HashAlgorithm bank) {
        public ListFile {
            Objects.requireNonNull(form, "form");
            Objects.requireNonNull(bank, "bank");
        }

        /** The kernel's name of this file (B.1); {@code _sha1} is also the legacy name without a suffix. */
        public String kernelName() { return form.id() + "_runtime_measurements_" + bank.kernelName(); }
    }

    /** Why a bank's file cannot be rebuilt for a boot (a usage error: the archive cannot say what the kernel showed). */
    public sealed interface Unavailable {
        /** The segment whose facts rule it out. */
        long segment();

        /**
         * The boot's archive did not replay {@code bank}: nothing shows that the TPM had it, so that the
         * kernel had its file (B.1: one file per allocated bank, and the {@code _sha1} file always).
         */
        record NotReplayed(long segment, HashAlgorithm bank, HashAlgorithm archived, Set<HashAlgorithm> replayed) implements Unavailable {
            public NotReplayed { replayed = Set.copyOf(replayed); }
        }

        /**
         * {@code bank} was extended with the zero-padded SHA-1 digest (B.10): a kernel before 5.8, which had
         * no per-bank files (they came in 6.10), so there is no such file to rebuild.
         */
        record PaddedSha1(long segment, HashAlgorithm bank) implements Unavailable {}
    }

    /** The result of {@link #write}: every record written, or refused by the first finding (output then incomplete). */
    public sealed interface Outcome {
        record Exported(long records, long segments) implements Outcome {}

        record Refused(ChainFinding finding) implements Outcome {
            public Refused { Objects.requireNonNull(finding, "finding"); }
        }
    }

    /** The boot with counter {@code bootCounter} among the chain's boots, or without one the last (the latest) boot. */
    public static Optional<BootSummary> boot(ChainReport report, OptionalLong bootCounter) {
        List<BootSummary> boots = report.boots();
        if (bootCounter.isEmpty()) return boots.isEmpty() ? Optional.empty() : Optional.of(boots.get(boots.size() - 1));
        return boots.stream().filter(b -> b.bootCounter() == bootCounter.getAsLong()).findFirst();
    }

    /** The chain segments of {@code boot}, in chain order. */
    public static List<VerifiedChain.Segment> segmentsOf(VerifiedChain chain, BootSummary boot) {
        return chain.segments().stream()
                .filter(s -> s.unit().firstSequence() >= boot.firstSegment() && s.unit().lastSequence() <= boot.lastSegment())
                .filter(s -> s.manifest().boot().bootCounter() == boot.bootCounter())
                .toList();
    }

    /** The bank whose file the archiver read for the boot (its first segment's); the default bank of an export. */
    public static HashAlgorithm archivedBank(List<VerifiedChain.Segment> boot) {
        if (boot.isEmpty()) throw new IllegalArgumentException("a boot without segments");
        return boot.get(0).manifest().replay().templateDigestAlgorithm();
    }

    /**
     * Whether {@code bank}'s file can be rebuilt for every segment of the boot: the archived bank; SHA-1 (the
     * legacy file, which every kernel has and whose digest is SHA-1 in both extend modes, B.10); or a bank the
     * segment replayed with its own hash ({@code per-bank-hash}).
     */
    public static Optional<Unavailable> unavailable(List<VerifiedChain.Segment> boot, HashAlgorithm bank) {
        for (VerifiedChain.Segment s : boot) {
            SegmentManifest m = s.manifest();
            HashAlgorithm archived = m.replay().templateDigestAlgorithm();
            if (bank == archived || bank == HashAlgorithm.SHA1) continue;
            if (!m.base().banks().contains(bank)) {
                return Optional.of(new Unavailable.NotReplayed(s.unit().firstSequence(), bank, archived, m.base().banks()));
            }
            if (m.base().extendMode(bank) != ExtendMode.PER_BANK_HASH) return Optional.of(new Unavailable.PaddedSha1(s.unit().firstSequence(), bank));
        }
        return Optional.empty();
    }

    /**
     * Writes the boot's list as {@code file} to {@code out} (not closed), reading each segment again
     * ({@code workDir}: where a segment of a remote store is downloaded, one at a time, deleted after use).
     *
     * @param boot the boot's segments ({@link #segmentsOf}) of a chain verified without findings, whose
     *             {@link #unavailable} is empty for {@code file.bank()}
     * @throws IOException writing to {@code out} failed, or the work directory; store failures are findings
     */
    public static Outcome write(ArchiveStore store, String host, List<VerifiedChain.Segment> boot, ListFile file, Path workDir,
                                OutputStream out) throws IOException {
        if (boot.isEmpty()) throw new IllegalArgumentException("a boot without segments");
        if (unavailable(boot, file.bank()).isPresent()) throw new IllegalArgumentException(file.kernelName() + " is not available");
        BankView view = new BankView(file.bank());
        long next = boot.get(0).manifest().firstIndex();
        long records = 0;
        for (VerifiedChain.Segment s : boot) {
            SegmentManifest m = s.manifest();
            long seq = s.unit().firstSequence();
            if (m.firstIndex() != next) return refused(new SegmentCheck(host, seq, new SegmentFinding.IndexGap(host, seq, next, m.firstIndex())));
            Optional<ChainFinding> f = writeSegment(store, host, s, file, view, workDir, out);
            if (f.isPresent()) return new Outcome.Refused(f.get());
            next = m.firstIndex() + m.recordCount();
            records += m.recordCount();
        }
        return new Outcome.Exported(records, boot.size());
    }

    private static Outcome refused(ChainFinding f) { return new Outcome.Refused(f); }

    /** One segment's rows, checked against its verified manifest while written; the first finding, if any. */
    private static Optional<ChainFinding> writeSegment(ArchiveStore store, String host, VerifiedChain.Segment s, ListFile file, BankView view,
                                                       Path workDir, OutputStream out) throws IOException {
        SegmentManifest m = s.manifest();
        long seq = s.unit().firstSequence();
        String key = s.unit().key(ArchiveLayout.ObjectKind.SEGMENT);
        HashAlgorithm archived = m.replay().templateDigestAlgorithm();
        boolean rawAsStored = file.form() == Form.BINARY && file.bank() == archived;
        Files.createDirectories(workDir);
        Path local = Files.createTempFile(workDir, "export-" + host + "-" + seq + "-", ".parquet");
        Files.delete(local); // the download wants a fresh target
        List<ChainFinding> opened = new ArrayList<>();
        try (SegmentFile segment = SegmentFile.fetch(store, key, local, OptionalLong.of(m.recordCount()))) {
            Optional<SegmentReader> reader = SegmentChecks.open(host, seq, segment.path(), opened);
            if (reader.isEmpty()) return Optional.of(opened.get(0));
            DataDigest digest = new DataDigest();
            long index = m.firstIndex();
            long offset = 0;
            try (SegmentReader.Cursor<SegmentReader.Row> rows = reader.get().rows()) {
                for (Optional<SegmentReader.Row> row = rows.next(); row.isPresent(); row = rows.next()) {
                    SegmentReader.Row r = row.get();
                    if (r.recordIndex() != index) return Optional.of(new SegmentCheck(host, seq, new SegmentFinding.IndexGap(host, seq, index, r.recordIndex())));
                    if (index - m.firstIndex() >= m.recordCount()) {
                        index++; // a row the verified manifest does not count: not written, refused by the count below
                        continue;
                    }
                    digest.update(r.recordIndex(), r.raw());
                    if (rawAsStored) {
                        r.raw().writeTo(out);
                    } else {
                        MeasurementRecord rec = view.of(RawRecords.parse(key, r.recordIndex(), offset, r.raw(), archived, m.replay().byteOrder()),
                                archived, key);
                        if (file.form() == Form.BINARY) rec.raw().writeTo(out);
                        else AsciiFormatter.write(rec, out);
                    }
                    offset += r.raw().length();
                    index++;
                }
            } catch (MalformedLogException e) {
                return Optional.of(new SegmentCheck(host, seq, new SegmentFinding.MalformedRecord(host, seq, e.recordIndex(), e.kind(), e.detail())));
            }
            long count = index - m.firstIndex();
            if (count != m.recordCount() || reader.get().rowCount() != m.recordCount()) {
                long found = count != m.recordCount() ? count : reader.get().rowCount();
                return Optional.of(new SegmentCheck(host, seq, new SegmentFinding.RecordCountMismatch(host, seq, m.recordCount(), found)));
            }
            var found = digest.finish();
            if (!found.equals(m.dataDigest())) {
                return Optional.of(new SegmentCheck(host, seq, new SegmentFinding.DataDigestMismatch(host, seq, m.dataDigest(), found)));
            }
            return Optional.empty();
        } catch (StoreException e) {
            return Optional.of(new ObjectFinding.StoreError(host, seq, key, e.reason(), String.valueOf(e.getMessage())));
        }
    }
}

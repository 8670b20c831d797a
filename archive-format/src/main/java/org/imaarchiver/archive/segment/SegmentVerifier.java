package org.imaarchiver.archive.segment;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.imaarchiver.archive.sign.SignatureVerificationException;
import org.imaarchiver.archive.sign.SignatureVerifier;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.template.DecodedRecord;

/**
 * Building blocks for verifying one segment (the chain verifier composes them). Each returns findings
 * rather than throwing, so one pass reports everything wrong with a segment; an empty list means the
 * check passed.
 */
public final class SegmentVerifier {
    private SegmentVerifier() {}

    /** Record-level findings kept per check; a corrupt file must not turn into unbounded memory. */
    public static final int MAX_RECORD_FINDINGS = 100;

    /**
     * Streams the rows: recomputes the data digest, checks that indices run contiguously from
     * {@code firstIndex}, that every {@code raw} parses as one record, that the query columns equal
     * what {@link QueryColumns} derives from {@code raw}, and that the row count equals the manifest's
     * {@code recordCount} and the footer's.
     */
    public static List<SegmentFinding> verifyData(SegmentReader reader) throws IOException {
        DataCheck check = new DataCheck(reader);
        try (SegmentReader.Cursor<SegmentReader.FullRow> rows = reader.fullRows()) {
            check.drain(rows);
        }
        return check.finish();
    }

    /**
     * The checks of {@link #verifyData}, one row at a time, so that a caller can replay the records
     * in the same pass over the file (docs/performance.md): feed it every row of
     * {@link SegmentReader#fullRows()} in file order, then call {@link #finish()}. Its findings are
     * exactly those of {@link #verifyData}. Thread-safe (a replay may pull rows on its reader thread
     * while the caller drains the rest afterwards); rows are checked in the order they are fed.
     */
    public static final class DataCheck {
        private final SegmentManifest m;
        private final String source;
        private final long rowCount;
        private final Findings out;
        private final DataDigest digest = new DataDigest();
        private long expected;
        private long count;
        private long offset;
        private boolean finished;
        private Optional<MeasurementRecord> first = Optional.empty();
        private final Optional<SegmentLayout> layout;

        public DataCheck(SegmentReader reader) {
            this.m = reader.manifest();
            this.source = reader.file().toString();
            this.rowCount = reader.rowCount();
            this.out = new Findings(m.hostId(), m.sequence());
            this.expected = m.firstIndex();
            Optional<SegmentLayout> l;
            try {
                l = Optional.of(SegmentLayout.read(reader.file()));
            } catch (IOException | RuntimeException e) {
                // Fail closed: a structure we cannot walk is a finding, and the rows are still checked.
                out.add(new SegmentFinding.LayoutMismatch(m.hostId(), m.sequence(), "file structure", "readable", String.valueOf(e.getMessage())));
                l = Optional.empty();
            }
            this.layout = l;
        }

        /**
         * Checks one row and returns the record its {@code raw} parses to (offset: within the
         * segment's concatenated raw bytes, as {@link SegmentReader#records()}).
         *
         * @throws MalformedLogException when {@code raw} is not one record (also kept as a finding)
         */
        public synchronized MeasurementRecord check(SegmentReader.FullRow row) throws MalformedLogException {
            if (finished) throw new IllegalStateException("finished");
            String host = m.hostId();
            long seq = m.sequence();
            if (row.recordIndex() != expected) {
                out.recordLevel(new SegmentFinding.IndexGap(host, seq, expected, row.recordIndex()));
            }
            // Resynchronise so one gap is one finding, not one per following row.
            expected = row.recordIndex() + 1;
            digest.update(row.recordIndex(), row.raw());
            if (layout.isPresent()) layout.get().accept(row);
            long at = offset;
            offset += row.raw().length();
            count++;
            MeasurementRecord rec;
            try {
                rec = RawRecords.parse(source, row.recordIndex(), at, row.raw(), m.replay().templateDigestAlgorithm(),
                        m.replay().byteOrder());
            } catch (MalformedLogException e) {
                out.recordLevel(new SegmentFinding.MalformedRecord(host, seq, row.recordIndex(), e.kind(), e.detail()));
                throw e;
            }
            compareQueryColumns(row, QueryColumns.of(rec), out, host, seq);
            return rec;
        }

        /**
         * Reads the next row of {@code rows} and checks it, atomically (so a replay's reader thread
         * and a later {@link #drain} never interleave rows): the record, or empty at the end.
         *
         * @throws MalformedLogException when the row's {@code raw} is not one record (also kept as a finding)
         */
        public synchronized Optional<MeasurementRecord> next(SegmentReader.Cursor<SegmentReader.FullRow> rows)
                throws IOException, MalformedLogException {
            Optional<SegmentReader.FullRow> row;
            try {
                row = rows.next();
            } catch (MalformedLogException e) {
                throw new IllegalStateException("row cursor does not parse records", e);
            }
            if (row.isEmpty()) return Optional.empty();
            boolean isFirst = count == 0;
            MeasurementRecord rec = check(row.get());
            if (isFirst) first = Optional.of(rec);
            return Optional.of(rec);
        }

        /** Checks every remaining row of {@code rows}. */
        public void drain(SegmentReader.Cursor<SegmentReader.FullRow> rows) throws IOException {
            while (true) {
                try {
                    if (next(rows).isEmpty()) return;
                } catch (MalformedLogException e) {
                    // kept as a finding by check
                }
            }
        }

        /** The record of the first row, if there was one and it parsed. */
        public synchronized Optional<MeasurementRecord> firstRecord() { return first; }

        /** Row count and data digest against the manifest, then all findings; call once, after the last row. */
        public synchronized List<SegmentFinding> finish() {
            if (finished) throw new IllegalStateException("finished");
            finished = true;
            String host = m.hostId();
            long seq = m.sequence();
            if (count != m.recordCount()) out.add(new SegmentFinding.RecordCountMismatch(host, seq, m.recordCount(), count));
            else if (rowCount != count) out.add(new SegmentFinding.RecordCountMismatch(host, seq, count, rowCount));
            Digest found = digest.finish();
            if (!found.equals(m.dataDigest())) out.add(new SegmentFinding.DataDigestMismatch(host, seq, m.dataDigest(), found));
            layout.ifPresent(l -> l.finish().forEach(p -> out.add(new SegmentFinding.LayoutMismatch(host, seq, p.structure(), p.expected(), p.found()))));
            return out.list();
        }
    }

    /**
     * The stored query columns must equal what {@link QueryColumns} derives from {@code raw}: they are
     * not authoritative, but analysts query them without our code, so a lie there is tampering.
     * Values are compared directly, string columns as their stored UTF-8 bytes against the UTF-8 the
     * writer stores for the derived string (so bytes that merely decode to the same text do not pass);
     * the strings of a finding are built only for a mismatch, the same strings as when the stored
     * bytes were decoded first ({@code show} and hex are one-to-one).
     */
    private static void compareQueryColumns(SegmentReader.FullRow row, DecodedRecord d, Findings out, String host, long seq) {
        long i = row.recordIndex();
        if (d.pcr() != row.pcr()) {
            mismatch(out, host, seq, i, SegmentSchema.PCR, Integer.toString(d.pcr()), Integer.toString(row.pcr()));
        }
        if (!sameUtf8(d.templateName(), row.templateName())) {
            mismatch(out, host, seq, i, SegmentSchema.TEMPLATE_NAME, d.templateName(), text(row.templateName()));
        }
        if (!sameUtf8(d.fileDigestAlgorithm(), row.fileDigestAlgorithm())) {
            mismatch(out, host, seq, i, SegmentSchema.FILE_DIGEST_ALGORITHM, show(d.fileDigestAlgorithm()), showStored(row.fileDigestAlgorithm()));
        }
        if (!sameHex(d.fileDigest(), row.fileDigestHex())) {
            mismatch(out, host, seq, i, SegmentSchema.FILE_DIGEST_HEX, show(d.fileDigest().map(Digest::hex)), showStored(row.fileDigestHex()));
        }
        if (!sameUtf8(d.name(), row.name())) {
            mismatch(out, host, seq, i, SegmentSchema.NAME, show(d.name()), showStored(row.name()));
        }
        if (d.signaturePresent() != row.signaturePresent()) {
            mismatch(out, host, seq, i, SegmentSchema.SIGNATURE_PRESENT, Boolean.toString(d.signaturePresent()),
                    Boolean.toString(row.signaturePresent()));
        }
        if (d.violation() != row.violation()) {
            mismatch(out, host, seq, i, SegmentSchema.VIOLATION, Boolean.toString(d.violation()), Boolean.toString(row.violation()));
        }
        if (!d.buffer().equals(row.buffer())) {
            mismatch(out, host, seq, i, SegmentSchema.BUFFER, show(d.buffer().map(Bytes::hex)), show(row.buffer().map(Bytes::hex)));
        }
        if (!sameUtf8(d.fileDigestType(), row.fileDigestType())) {
            mismatch(out, host, seq, i, SegmentSchema.FILE_DIGEST_TYPE, show(d.fileDigestType()), showStored(row.fileDigestType()));
        }
    }

    /** {@code digest.map(Digest::hex)} encoded as UTF-8 equals {@code hex}, without building the string (lower-case hex, as {@link Digest#hex()}). */
    private static boolean sameHex(Optional<Digest> digest, Optional<Bytes> hex) {
        if (digest.isEmpty() || hex.isEmpty()) return digest.isEmpty() && hex.isEmpty();
        Digest dg = digest.get();
        Bytes h = hex.get();
        int n = dg.length();
        if (h.length() != 2 * n) return false;
        for (int k = 0; k < n; k++) {
            int v = dg.byteAt(k) & 0xFF;
            if (h.byteAt(2 * k) != LOWER_HEX[v >>> 4] || h.byteAt(2 * k + 1) != LOWER_HEX[v & 0xF]) return false;
        }
        return true;
    }

    private static final byte[] LOWER_HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private static boolean sameUtf8(Optional<String> expected, Optional<Bytes> stored) {
        if (expected.isEmpty() || stored.isEmpty()) return expected.isEmpty() && stored.isEmpty();
        return sameUtf8(expected.get(), stored.get());
    }

    /** {@code stored} is exactly the UTF-8 encoding of {@code expected} (as the writer's {@code Binary.fromString}). */
    static boolean sameUtf8(String expected, Bytes stored) {
        int n = expected.length();
        if (stored.length() == n) {
            // ASCII, the usual case: one byte per char, no encoder.
            boolean ascii = true;
            for (int k = 0; k < n; k++) {
                char c = expected.charAt(k);
                if (c >= 0x80) {
                    ascii = false;
                    break;
                }
                if (stored.byteAt(k) != c) return false;
            }
            if (ascii) return true;
        }
        return Bytes.wrap(expected.getBytes(StandardCharsets.UTF_8)).equals(stored);
    }

    private static void mismatch(Findings out, String host, long seq, long index, String column, String expected, String found) {
        out.recordLevel(new SegmentFinding.QueryColumnMismatch(host, seq, index, column, expected, found));
    }

    private static String show(Optional<String> v) { return v.map(s -> "\"" + s + "\"").orElse("(absent)"); }

    /** Stored string bytes as text (invalid UTF-8 replaced, as Parquet's {@code Binary.toStringUsingUTF8}). */
    private static String text(Bytes b) { return new String(b.toArray(), StandardCharsets.UTF_8); }

    private static String showStored(Optional<Bytes> v) { return show(v.map(SegmentVerifier::text)); }

    /** The sidecar object must hold exactly the footer's manifest bytes. */
    public static List<SegmentFinding> compareSidecar(SegmentReader reader, Bytes sidecarBytes) {
        if (reader.manifestBytes().equals(sidecarBytes)) return List.of();
        SegmentManifest m = reader.manifest();
        return List.of(new SegmentFinding.ManifestMismatch(m.hostId(), m.sequence(),
                ManifestCodec.digestOf(reader.manifestBytes()), ManifestCodec.digestOf(sidecarBytes)));
    }

    /**
     * The footer's copy of the CMS signature is bytes a reader sees too: it must be exactly the base64
     * (RFC 4648 §4, padded) of the sidecar CMS; without a sidecar CMS it must at least be canonical base64.
     */
    public static List<SegmentFinding> compareFooterSignature(SegmentReader reader, Optional<Bytes> sidecarCms) {
        if (reader.signatureText().isEmpty()) return List.of();
        String text = reader.signatureText().get();
        SegmentManifest m = reader.manifest();
        String expected;
        if (sidecarCms.isPresent()) {
            expected = java.util.Base64.getEncoder().encodeToString(sidecarCms.get().toArray());
        } else {
            expected = reader.signature().map(b -> java.util.Base64.getEncoder().encodeToString(b.toArray())).orElse("");
        }
        if (expected.equals(text)) return List.of();
        return List.of(new SegmentFinding.LayoutMismatch(m.hostId(), m.sequence(), "footer " + SegmentSchema.MANIFEST_SIGNATURE_KEY,
                "base64 of the sidecar CMS", "other text"));
    }

    /**
     * For a derived nonce, recomputes {@link QuoteNonce#derive} from the manifest's own fields. For a
     * compacted segment the end quote was taken for its last original segment, so the nonce is
     * recomputed in that context: the last checkpoint's sequence and previousManifestDigest.
     */
    public static List<SegmentFinding> verifyNonce(SegmentManifest m) {
        if (!(m.nonceDerivation() instanceof NonceDerivation.Derived d)) return List.of();
        Digest expected;
        if (m.isCompacted()) {
            Checkpoint last = m.checkpoints().get(m.checkpoints().size() - 1);
            expected = QuoteNonce.derive(m.hostId(), last.boot(m.boot()), last.sequence(), last.previousManifestDigest());
        } else {
            expected = QuoteNonce.derive(m.hostId(), m.boot(), m.sequence(), m.previousManifestDigest());
        }
        if (expected.equals(d.value())) return List.of();
        return List.of(new SegmentFinding.NonceMismatch(m.hostId(), m.sequence(), expected, d.nonce()));
    }

    /**
     * Recomputes a checkpoint's derived nonce in its original context (host, the segment's boot with
     * the checkpoint's restartCount, its sequence and previousManifestDigest); empty when it matches
     * or the nonce is external, else the expected nonce.
     */
    public static java.util.Optional<Digest> checkpointNonceMismatch(SegmentManifest m, Checkpoint c) {
        if (!(c.nonceDerivation() instanceof NonceDerivation.Derived d)) return java.util.Optional.empty();
        Digest expected = QuoteNonce.derive(m.hostId(), c.boot(m.boot()), c.sequence(), c.previousManifestDigest());
        return expected.equals(d.value()) ? java.util.Optional.empty() : java.util.Optional.of(expected);
    }

    /** Verifies the CMS signature over the manifest bytes; a missing signature is a finding. */
    public static List<SegmentFinding> verifySignature(SegmentManifest m, Bytes manifestBytes, Optional<Bytes> cms,
                                                       SignatureVerifier verifier) {
        if (cms.isEmpty()) return List.of(new SegmentFinding.MissingSignature(m.hostId(), m.sequence()));
        try {
            verifier.verify(manifestBytes, cms.get());
            return List.of();
        } catch (SignatureVerificationException e) {
            return List.of(switch (e.kind()) {
                case UNTRUSTED_SIGNER -> new SegmentFinding.UntrustedSigner(m.hostId(), m.sequence(), e.getMessage());
                case TIMESTAMP_MISSING, BAD_TIMESTAMP, UNTRUSTED_TIMESTAMP_AUTHORITY ->
                        new SegmentFinding.BadTimestamp(m.hostId(), m.sequence(), e.kind(), e.getMessage());
                default -> new SegmentFinding.BadSignature(m.hostId(), m.sequence(), e.kind(), e.getMessage());
            });
        }
    }

    /** Collects findings, capping the record-level ones. */
    private static final class Findings {
        private final String host;
        private final long seq;
        private final List<SegmentFinding> list = new ArrayList<>();
        private int recordLevel;
        private long omitted;

        Findings(String host, long seq) {
            this.host = host;
            this.seq = seq;
        }

        void recordLevel(SegmentFinding f) {
            if (recordLevel < MAX_RECORD_FINDINGS) {
                recordLevel++;
                list.add(f);
            } else {
                omitted++;
            }
        }

        void add(SegmentFinding f) { list.add(f); }

        List<SegmentFinding> list() {
            if (omitted > 0) list.add(new SegmentFinding.FindingsTruncated(host, seq, omitted));
            return List.copyOf(list);
        }
    }
}

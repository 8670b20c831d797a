package org.imaarchiver.archive.chain;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.imaarchiver.archive.segment.MalformedManifestException;
import org.imaarchiver.archive.segment.ManifestCodec;
import org.imaarchiver.archive.segment.SegmentFinding;
import org.imaarchiver.archive.segment.SegmentFormatException;
import org.imaarchiver.archive.segment.SegmentManifest;
import org.imaarchiver.archive.segment.SegmentReader;
import org.imaarchiver.archive.segment.SegmentVerifier;
import org.imaarchiver.archive.sign.SignatureVerifier;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.archive.store.StoreException;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.pcr.Digest;
import org.imaarchiver.replay.quote.VerifiedQuote;

/**
 * One segment of a chain on its own (docs/archive-format.md §12): its objects, the sidecar and its
 * CMS, a compacted segment's commit object, the footer against the sidecar, the manifest against
 * its key, its quotes (each verified once, {@link QuoteChecks}) and its rows ({@link RowChecks},
 * {@link CheckpointChecks}). Independent of the other segments given its manifest, so segments are
 * checked in parallel; the chain rules between them are {@link ChainLink}'s.
 */
final class SegmentChecks {
    private final Path workDir;
    private final QuoteChecks quotes;
    private final SignatureVerifier signatureVerifier;

    SegmentChecks(TrustStore trust, Path workDir) {
        this.workDir = Objects.requireNonNull(workDir, "workDir");
        this.quotes = new QuoteChecks(trust);
        this.signatureVerifier = SignatureVerifier.trusting(trust.signers());
    }

    /** The quotes of a manifest, verified: the end quote and, for a compacted segment, each checkpoint's. */
    private record Quotes(Optional<VerifiedQuote> end, List<Optional<VerifiedQuote>> checkpoints) {}

    CheckedSegment check(ArchiveStore store, String host, SegmentUnit present, int replayWorkers) throws IOException {
        List<ChainFinding> out = new ArrayList<>();
        long seq = present.firstSequence();
        String segKey = present.key(ArchiveLayout.ObjectKind.SEGMENT);
        String manKey = present.key(ArchiveLayout.ObjectKind.MANIFEST);
        String sigKey = present.key(ArchiveLayout.ObjectKind.SIGNATURE);
        if (!present.hasManifest()) out.add(new ObjectFinding.MissingObject(host, seq, ObjectFinding.Role.SIDECAR_MANIFEST, manKey));
        if (!present.hasSignature()) out.add(new ObjectFinding.MissingObject(host, seq, ObjectFinding.Role.SIGNATURE, sigKey));
        if (!present.hasSegment()) out.add(new ObjectFinding.MissingObject(host, seq, ObjectFinding.Role.SEGMENT_FILE, segKey));

        // 1. Sidecar manifest: decode, bind to the key, verify the CMS.
        Optional<Bytes> sidecarBytes = Optional.empty();
        Optional<SegmentManifest> sidecar = Optional.empty();
        Optional<Bytes> sidecarCms = Optional.empty();
        if (present.hasManifest()) {
            try {
                sidecarBytes = Optional.of(Bytes.wrap(store.readAll(manKey)));
                sidecar = Optional.of(ManifestCodec.decode(sidecarBytes.get()));
            } catch (StoreException e) {
                out.add(new ObjectFinding.StoreError(host, seq, manKey, e.reason(), String.valueOf(e.getMessage())));
            } catch (MalformedManifestException e) {
                out.add(new ObjectFinding.Undecodable(host, seq, ObjectFinding.Part.SIDECAR_MANIFEST, manKey + ": " + e.getMessage()));
            }
        }
        if (sidecar.isPresent() && present.hasSignature()) {
            try {
                Bytes cms = Bytes.wrap(store.readAll(sigKey));
                sidecarCms = Optional.of(cms);
                for (SegmentFinding f : SegmentVerifier.verifySignature(sidecar.get(), sidecarBytes.get(), Optional.of(cms),
                        signatureVerifier)) {
                    out.add(new SegmentCheck(host, seq, f));
                }
            } catch (StoreException e) {
                out.add(new ObjectFinding.StoreError(host, seq, sigKey, e.reason(), String.valueOf(e.getMessage())));
            }
        }

        // The switch of a compacted segment names exactly this manifest.
        if (present.committed() && sidecarBytes.isPresent()) {
            String commitKey = present.key(ArchiveLayout.ObjectKind.COMMIT);
            try {
                String named = new String(store.readAll(commitKey, 1024), StandardCharsets.US_ASCII);
                Digest digest = ManifestCodec.digestOf(sidecarBytes.get());
                if (!named.equals(digest.hex())) out.add(new ObjectFinding.CommitMismatch(host, seq, digest, named));
            } catch (StoreException e) {
                out.add(new ObjectFinding.StoreError(host, seq, commitKey, e.reason(), String.valueOf(e.getMessage())));
            }
        }

        // 2. Segment file: footer manifest, rows, replay.
        Optional<SegmentManifest> effective = sidecar;
        Optional<Digest> effectiveDigest = sidecarBytes.map(ManifestCodec::digestOf);
        if (present.hasSegment()) {
            Path local = localPath(host, present, "verify-");
            List<ChainFinding> fromFile = new ArrayList<>();
            OptionalLong declared = sidecar.map(m -> OptionalLong.of(m.recordCount())).orElse(OptionalLong.empty());
            try (SegmentFile file = SegmentFile.fetch(store, segKey, local, declared)) {
                local = file.path();
                Optional<SegmentReader> reader = open(host, seq, local, fromFile);
                if (reader.isPresent()) {
                    SegmentReader r = reader.get();
                    if (sidecarBytes.isPresent()) {
                        for (SegmentFinding f : SegmentVerifier.compareSidecar(r, sidecarBytes.get())) fromFile.add(new SegmentCheck(host, seq, f));
                    }
                    for (SegmentFinding f : SegmentVerifier.compareFooterSignature(r, sidecarCms)) fromFile.add(new SegmentCheck(host, seq, f));
                    if (effective.isEmpty()) {
                        // No usable sidecar: the footer manifest still describes the rows and the links.
                        effective = Optional.of(r.manifest());
                        effectiveDigest = Optional.of(ManifestCodec.digestOf(r.manifestBytes()));
                    }
                    Quotes q = checkManifest(host, present, effective.get(), fromFile);
                    if (effective.get().isCompacted()) {
                        CheckpointChecks.checkRows(host, seq, r, effective.get(), q.checkpoints(), fromFile);
                    } else {
                        RowChecks.check(host, seq, r, effective.get(), q.end(), replayWorkers, fromFile);
                    }
                }
            } catch (StoreException e) {
                fromFile.add(new ObjectFinding.StoreError(host, seq, segKey, e.reason(), String.valueOf(e.getMessage())));
            }
            for (ChainFinding f : fromFile) out.add(namingTheKey(f, local, segKey));
        } else if (effective.isPresent()) {
            checkManifest(host, present, effective.get(), out);
        }
        return new CheckedSegment(seq, present.lastSequence(), effective, effectiveDigest, out);
    }

    /** A fresh local path in the work directory for a download of {@code unit}'s segment file (none is made for a local store). */
    Path localPath(String host, SegmentUnit unit, String prefix) throws IOException {
        Files.createDirectories(workDir);
        Path local = Files.createTempFile(workDir, prefix + host + "-" + unit.firstSequence() + "-", ".parquet");
        Files.delete(local); // download wants a fresh target
        return local;
    }

    /**
     * Parquet's messages name the file it read: the local download, a temporary name. Findings name
     * the store key instead, so a report does not depend on where or when it was verified.
     */
    private static ChainFinding namingTheKey(ChainFinding f, Path local, String key) {
        String path = local.toString();
        if (f instanceof ObjectFinding.Undecodable u && u.message().contains(path)) return u.naming(path, key);
        if (f instanceof ObjectFinding.StoreError s && s.message().contains(path)) return s.naming(path, key);
        return f;
    }

    /** Opens a segment file (downloaded or in place); a cut or undecodable file is a finding. */
    static Optional<SegmentReader> open(String host, long seq, Path local, List<ChainFinding> out) throws IOException {
        if (!endsWithParquetMagic(local)) {
            out.add(new ObjectFinding.TruncatedFile(host, seq, Files.size(local)));
            return Optional.empty();
        }
        try {
            return Optional.of(SegmentReader.open(local));
        } catch (SegmentFormatException e) {
            out.add(new ObjectFinding.Undecodable(host, seq, ObjectFinding.Part.SEGMENT_FILE, String.valueOf(e.getMessage())));
        } catch (MalformedManifestException e) {
            out.add(new ObjectFinding.Undecodable(host, seq, ObjectFinding.Part.FOOTER_MANIFEST, String.valueOf(e.getMessage())));
        }
        return Optional.empty();
    }

    private static boolean endsWithParquetMagic(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 12) return false;
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4);
            ch.read(b, size - 4);
            return new String(b.array(), StandardCharsets.US_ASCII).equals("PAR1");
        }
    }

    /** Manifest-only checks: key binding, derived nonce, quotes (AK, nonce, pcrDigest, counters), checkpoints. */
    private Quotes checkManifest(String host, SegmentUnit unit, SegmentManifest m, List<ChainFinding> out) {
        long seq = unit.firstSequence();
        if (!m.hostId().equals(host)) out.add(new ObjectFinding.ForeignHost(host, seq, m.hostId()));
        if (m.sequence() != seq) out.add(new ObjectFinding.WrongSequence(host, seq, m.sequence()));
        if (unit.range() != m.isCompacted() || m.lastSequence() != unit.lastSequence()) {
            out.add(new ObjectFinding.RangeMismatch(host, seq, unit.lastSequence(), m.sequence(), m.lastSequence(), m.isCompacted()));
        }
        for (SegmentFinding f : SegmentVerifier.verifyNonce(m)) out.add(new SegmentCheck(host, seq, f));
        Optional<VerifiedQuote> end = quotes.endQuote(host, seq, m, out);
        List<Optional<VerifiedQuote>> checkpoints = m.isCompacted() ? CheckpointChecks.checkManifest(quotes, host, seq, m, end, out) : List.of();
        return new Quotes(end, checkpoints);
    }
}

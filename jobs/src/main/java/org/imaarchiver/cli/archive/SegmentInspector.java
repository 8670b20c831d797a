package org.imaarchiver.cli.archive;

import org.imaarchiver.cli.Inputs;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;
import org.imaarchiver.archive.segment.ManifestCodec;
import org.imaarchiver.archive.segment.MalformedManifestException;
import org.imaarchiver.replay.quote.QuoteEvidence;
import org.imaarchiver.archive.segment.SegmentFormatException;
import org.imaarchiver.archive.segment.SegmentManifest;
import org.imaarchiver.archive.segment.SegmentReader;
import org.imaarchiver.archive.store.ArchiveStore;
import org.imaarchiver.cli.CliError;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.log.AsciiFormatter;
import org.imaarchiver.replay.log.MalformedLogException;
import org.imaarchiver.replay.log.MeasurementRecord;
import org.imaarchiver.replay.pcr.HashAlgorithm;
import org.imaarchiver.replay.pcr.PcrBank;
import org.imaarchiver.replay.pcr.PcrState;
import org.imaarchiver.replay.quote.MalformedQuoteException;
import org.imaarchiver.replay.quote.Quote;

/**
 * {@code inspect SEGMENT}: a segment's manifest for people (or as JSON) and, with {@code --records},
 * its records in the kernel's ASCII list format, byte for byte what {@code inspect LOG} prints for the
 * same records. Nothing is verified: the signer is read from the CMS, not checked ({@code verify} does).
 */
public final class SegmentInspector {
    private SegmentInspector() {}

    /** What to print. */
    public record Options(boolean records, boolean json) {}

    private static final byte[] PARQUET_MAGIC = {'P', 'A', 'R', '1'};

    /** True if {@code file} starts and ends with the Parquet magic {@code PAR1}. */
    public static boolean isParquet(Path file) {
        if (!Files.isRegularFile(file)) return false;
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long n = f.length();
            if (n < 12) return false;
            byte[] head = new byte[4];
            byte[] tail = new byte[4];
            f.readFully(head);
            f.seek(n - 4);
            f.readFully(tail);
            return java.util.Arrays.equals(head, PARQUET_MAGIC) && java.util.Arrays.equals(tail, PARQUET_MAGIC);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Inspects {@code segment}: a local file, or with {@code store} a key in that store (downloaded to a
     * temporary file first).
     */
    public static void run(String segment, Optional<String> store, Optional<String> s3Endpoint, Options options,
                           PrintStream out) throws CliError {
        QuietLibraries.apply();
        if (store.isEmpty()) {
            Path p = Path.of(segment);
            Inputs.requireFile(p, "SEGMENT");
            print(p, options, out);
            return;
        }
        ArchiveStore st = StoreAccess.open("--store", store.get(), s3Endpoint, true);
        Path dir = null;
        try {
            dir = Files.createTempDirectory("ima-archiver-inspect");
            Path local = dir.resolve("segment.parquet");
            try {
                st.download(segment, local);
            } catch (IllegalArgumentException e) {
                throw CliError.usage("SEGMENT '" + segment + "': not a valid store key: " + e.getMessage(), e);
            } catch (org.imaarchiver.archive.store.ObjectMissingException e) {
                throw CliError.usage("SEGMENT '" + segment + "': no such key in " + store.get(), e);
            }
            print(local, segment, options, out);
        } catch (IOException e) {
            throw StoreAccess.failure("--store " + store.get() + " key " + segment, e);
        } catch (java.io.UncheckedIOException | software.amazon.awssdk.core.exception.SdkException e) {
            throw StoreAccess.uncheckedFailure("--store " + store.get(), e);
        } finally {
            if (dir != null) StoreAccess.deleteTree(dir);
            StoreAccess.closeQuietly(st);
        }
    }

    /** Prints the manifest (and records) of a local segment file. */
    public static void print(Path file, Options options, PrintStream out) throws CliError {
        QuietLibraries.apply();
        print(file, file.toString(), options, out);
    }

    private static void print(Path file, String label, Options options, PrintStream out) throws CliError {
        SegmentReader reader;
        try {
            reader = SegmentReader.open(file);
        } catch (SegmentFormatException e) {
            throw CliError.usage("SEGMENT " + label + ": not a segment: " + e.getMessage(), e);
        } catch (MalformedManifestException e) {
            throw CliError.usage("SEGMENT " + label + ": bad manifest: " + e.getMessage(), e);
        } catch (IOException e) {
            throw CliError.environment("SEGMENT " + label + ": cannot read: " + e.getMessage(), e);
        }
        SegmentManifest m = reader.manifest();
        if (options.json()) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("segment", label);
            o.put("manifestDigest", ManifestCodec.digestOf(reader.manifestBytes()).hex());
            o.put("signed", reader.signature().isPresent());
            o.put("signer", signer(reader).<Object>map(s -> s).orElse(Json.NULL));
            o.put("rows", reader.rowCount());
            o.put("manifest", ManifestCodec.toJson(m));
            out.println(Json.write(o));
        } else {
            printManifest(reader, label, out);
        }
        if (options.records()) printRecords(reader, label, options.json(), out);
        out.flush();
    }

    private static void printManifest(SegmentReader reader, String label, PrintStream out) {
        SegmentManifest m = reader.manifest();
        long size = -1;
        try {
            size = Files.size(reader.file());
        } catch (IOException ignored) {
            // size is informational
        }
        line(out, "segment", label + (size >= 0 ? " (" + size + " bytes, " + reader.rowCount() + " rows)" : ""));
        line(out, "format", "version " + m.formatVersion() + ", producer " + m.producer() + ", created " + m.createdAt());
        line(out, "host", m.hostId());
        line(out, "sequence", Long.toString(m.sequence()));
        line(out, "boot", "counter " + m.boot().bootCounter() + ", boot_aggregate " + m.boot().bootAggregateAlgorithm().kernelName()
                + ":" + m.boot().bootAggregate().hex() + ", resetCount " + m.boot().resetCount()
                + ", restartCount " + m.boot().restartCount());
        line(out, "records", m.recordCount() == 0 ? "none (at " + m.firstIndex() + ")"
                : m.firstIndex() + ".." + m.lastIndex() + " (" + m.recordCount() + ")");
        line(out, "replay", "template digests " + m.replay().templateDigestAlgorithm().kernelName() + ", "
                + (m.replay().byteOrder() == java.nio.ByteOrder.LITTLE_ENDIAN ? "little-endian" : "big-endian")
                + m.replay().kernelVersion().map(k -> ", kernel " + k).orElse(""));
        state(out, "base", m.base());
        state(out, "end", m.end());
        quote(out, "quote", m.quote());
        line(out, "nonce", m.nonceDerivation().kind() + " " + m.nonceDerivation().nonce().hex());
        m.compaction().ifPresent(c -> line(out, "compacted", "sequences " + m.sequence() + ".." + m.lastSequence()
                + " (" + m.checkpoints().size() + " checkpoints)"));
        for (var c : m.checkpoints()) {
            quote(out, "checkpoint " + c.sequence(), c.quote());
            line(out, "  at", "record " + c.end().nextIndex() + ", nonce " + c.nonceDerivation().kind() + " "
                    + c.nonceDerivation().nonce().hex());
        }
        line(out, "signer", reader.signature().isEmpty() ? "none (unsigned)"
                : signer(reader).orElse("unreadable CMS") + " (not verified here: use verify)");
        line(out, "data digest", m.dataDigest().hex());
        line(out, "manifest", ManifestCodec.digestOf(reader.manifestBytes()).hex());
        line(out, "previous", m.previousManifestDigest().map(d -> d.hex()).orElse("none (first segment of the host)"));
    }

    private static void line(PrintStream out, String key, String value) {
        out.printf("%-12s %s%n", key + ":", value);
    }

    private static void state(PrintStream out, String key, PcrState s) {
        StringBuilder modes = new StringBuilder();
        for (HashAlgorithm b : s.banks()) {
            if (modes.length() > 0) modes.append(", ");
            modes.append(b.kernelName()).append(' ').append(s.extendMode(b).id());
        }
        line(out, key, "next record " + s.nextIndex() + "; banks " + modes);
        for (Map.Entry<PcrBank, org.imaarchiver.replay.pcr.Digest> e : s.values().entrySet()) {
            out.printf("  PCR %2d %-7s %s%n", e.getKey().index(), e.getKey().algorithm().kernelName(), e.getValue().hex());
        }
    }

    private static void quote(PrintStream out, String key, QuoteEvidence q) {
        String facts;
        try {
            Quote parsed = q.attested();
            facts = "resetCount " + parsed.resetCount() + ", restartCount " + parsed.restartCount()
                    + ", nonce " + parsed.extraData().hex();
        } catch (MalformedQuoteException e) {
            facts = "unparseable attest: " + e.getMessage();
        }
        line(out, key, facts + ", AK name " + (q.akName().isEmpty() ? "-" : q.akName().hex()));
    }

    /** The embedded signer certificate's subject and SPKI SHA-256, unverified. */
    static Optional<String> signer(SegmentReader reader) {
        if (reader.signature().isEmpty()) return Optional.empty();
        try {
            CMSSignedData cms = new CMSSignedData(new CMSProcessableByteArray(reader.manifestBytes().toArray()),
                    reader.signature().get().toArray());
            for (SignerInformation si : cms.getSignerInfos().getSigners()) {
                @SuppressWarnings("unchecked")
                var matches = cms.getCertificates().getMatches(si.getSID());
                for (Object o : matches) {
                    X509CertificateHolder h = (X509CertificateHolder) o;
                    byte[] spki = h.getSubjectPublicKeyInfo().getEncoded();
                    return Optional.of(h.getSubject() + ", key SHA-256 "
                            + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(spki)));
                }
            }
            return Optional.empty();
        } catch (org.bouncycastle.cms.CMSException | IOException | NoSuchAlgorithmException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static void printRecords(SegmentReader reader, String label, boolean json, PrintStream out) throws CliError {
        try (SegmentReader.Cursor<MeasurementRecord> records = reader.records()) {
            for (Optional<MeasurementRecord> next = records.next(); next.isPresent(); next = records.next()) {
                MeasurementRecord r = next.get();
                if (json) {
                    Map<String, Object> o = new LinkedHashMap<>();
                    o.put("index", r.index());
                    // the kernel's line without its newline: a trailing space is part of it (an empty ima-sig signature)
                    String line = AsciiFormatter.formatAsString(r);
                    o.put("ascii", line.endsWith("\n") ? line.substring(0, line.length() - 1) : line);
                    out.println(Json.write(o));
                } else {
                    AsciiFormatter.write(r, out);  // the kernel's bytes, as inspect LOG prints them
                }
            }
        } catch (MalformedLogException e) {
            throw CliError.usage("SEGMENT " + label + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw CliError.environment("SEGMENT " + label + ": cannot read records: " + e.getMessage(), e);
        }
    }
}

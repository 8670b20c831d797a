package org.imaarchiver.archive.admission;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Optional;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.io.InputLimit;
import org.imaarchiver.archive.io.LimitedFiles;
import org.imaarchiver.archive.io.OutputTargets;
import org.imaarchiver.archive.sign.SegmentSigner;
import org.imaarchiver.archive.sign.SigningException;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.quote.AkPublicKey;
import org.imaarchiver.replay.quote.MalformedQuoteException;

/**
 * Admission's files in a trust directory (docs/archive-format.md "Trust directory"):
 * {@code hosts/<host>/admission-pending.json} while a challenge is out, then the AK file
 * {@code hosts/<host>/<name>.pem} with {@code <name>.admission.json} and {@code <name>.admission.cms}.
 * Each file is written to a synced temporary and moved into place.
 */
public final class AdmissionFiles {
    private AdmissionFiles() {}

    /** The AK file admission writes for a host that has none (or has this very key in it). */
    public static final String AK_FILE = "ak.pem";

    /** The host's directory of the trust directory {@code trust}. */
    public static Path hostDir(Path trust, String host) {
        ArchiveLayout.requireValidHostId(host);
        return trust.resolve("hosts").resolve(host);
    }

    /** Writes (replacing an older one) the host's pending admission. */
    public static void writePending(Path trust, PendingAdmission pending) throws IOException {
        Path dir = hostDir(trust, pending.host());
        Files.createDirectories(dir);
        OutputTargets.replaceAtomically(dir.resolve(PendingAdmission.FILE), pending.toBytes().toArray());
    }

    /** The host's pending admission; empty if there is none. */
    public static Optional<PendingAdmission> readPending(Path trust, String host) throws IOException, EnrolmentRequest.MalformedRequestException {
        Path f = hostDir(trust, host).resolve(PendingAdmission.FILE);
        if (!Files.exists(f)) return Optional.empty();
        PendingAdmission p = PendingAdmission.parse(new String(LimitedFiles.readAllBytes(f, InputLimit.ENROLMENT), StandardCharsets.UTF_8));
        if (!p.host().equals(host)) throw new EnrolmentRequest.MalformedRequestException(f + ": pending admission of host " + p.host());
        return Optional.of(p);
    }

    /**
     * Consumes the host's pending admission: deletes its file, so that the same answer is never
     * accepted twice; false if it was already gone (a concurrent or replayed answer).
     */
    public static boolean claimPending(Path trust, String host) throws IOException {
        try {
            Files.delete(hostDir(trust, host).resolve(PendingAdmission.FILE));
            return true;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    /**
     * Writes the admitted AK and its signed record; returns the AK file. The AK goes to
     * {@value #AK_FILE} unless that holds another key (an earlier AK of the host, still needed for its
     * older segments): then to {@code ak-<first 16 hex digits of the AK name's digest>.pem}.
     */
    public static Path writeAdmitted(Path trust, AdmissionRecord record, SegmentSigner signer) throws IOException, SigningException {
        Path dir = hostDir(trust, record.host());
        Files.createDirectories(dir);
        AkPublicKey ak;
        try {
            ak = AkPublicKey.fromTpmtPublic(record.akPublic().toArray());
        } catch (MalformedQuoteException e) {
            throw new IllegalArgumentException("an admitted AK that does not parse: " + e.getMessage(), e);
        }
        Path akFile = dir.resolve(AK_FILE);
        if (Files.exists(akFile) && !holds(akFile, ak)) {
            akFile = dir.resolve("ak-" + record.akName().hex().substring(4, 20) + ".pem");
        }
        String stem = stem(akFile);
        Bytes content = record.canonicalBytes();
        Bytes cms = signer.sign(content, record.admittedAt());
        OutputTargets.replaceAtomically(akFile, pem(ak.publicKey().getEncoded()));
        OutputTargets.replaceAtomically(dir.resolve(stem + AdmissionRecord.CMS_SUFFIX), cms.toArray());
        OutputTargets.replaceAtomically(dir.resolve(stem + AdmissionRecord.JSON_SUFFIX), content.toArray());
        return akFile;
    }

    /** The AK file's name without its extension: its record's file-name stem. */
    public static String stem(Path akFile) {
        String n = akFile.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? n : n.substring(0, dot);
    }

    private static boolean holds(Path akFile, AkPublicKey ak) throws IOException {
        try {
            return AkPublicKey.load(LimitedFiles.readAllBytes(akFile, InputLimit.AK_PUBLIC_KEY)).publicKey().equals(ak.publicKey());
        } catch (MalformedQuoteException e) {
            return false;
        }
    }

    private static byte[] pem(byte[] spki) {
        String b64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(spki);
        return ("-----BEGIN PUBLIC KEY-----\n" + b64 + "\n-----END PUBLIC KEY-----\n").getBytes(StandardCharsets.US_ASCII);
    }
}

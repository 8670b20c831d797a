package org.imaarchiver.archive.admission;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import org.imaarchiver.archive.chain.AdmissionFinding;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.chain.TrustStore;
import org.imaarchiver.archive.io.InputLimit;
import org.imaarchiver.archive.io.LimitedFiles;
import org.imaarchiver.archive.sign.SignatureVerificationException;
import org.imaarchiver.archive.sign.SignatureVerifier;
import org.imaarchiver.archive.sign.TrustedKeys;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.json.Json;
import org.imaarchiver.replay.quote.AkPublicKey;
import org.imaarchiver.replay.quote.MalformedQuoteException;

/**
 * How the AKs of one host of a trust directory were admitted (docs/trust-model.md, docs/archive-format.md
 * "Trust directory"): each AK file with a record {@code <name>.admission.json} / {@code .cms} that
 * verifies under {@code admission-signers/} and names this AK and host was proven by credential
 * activation; an AK file without a record was put there by an operator (every trust directory
 * before admission existed); a record that does not hold is an {@link AdmissionFinding}, which fails
 * the host.
 *
 * @param host     the host id
 * @param aks      per AK file, in file-name order
 * @param findings the records that do not hold
 */
public record HostAdmission(String host, List<AkAdmission> aks, List<AdmissionFinding> findings) {
    public HostAdmission {
        Objects.requireNonNull(host, "host");
        aks = List.copyOf(aks);
        findings = List.copyOf(findings);
    }

    /** How one AK file came to be trusted. */
    public sealed interface AkAdmission {
        /** The file's name in the host directory. */
        String file();
    }

    /** Proven by credential activation: the record verified and names this AK. */
    public record Proven(String file, AdmissionRecord record) implements AkAdmission {}

    /** No admission record: trusted on the word of whoever put the file there. */
    public record Asserted(String file) implements AkAdmission {}

    /** A record that does not hold ({@link #findings} says why). */
    public record Refused(String file) implements AkAdmission {}

    /** The host's admission as the report states it. */
    public enum Status {
        /** Every AK was proven by credential activation. */
        PROVEN_BY_ACTIVATION("proven-by-activation"),
        /** At least one AK has no admission record (and none is refused). */
        ASSERTED_BY_OPERATOR("asserted-by-operator"),
        /** At least one admission record does not hold. */
        REFUSED("refused"),
        /** The host has no AK in the trust directory. */
        NOT_ENROLLED("not-enrolled");

        private final String id;

        Status(String id) { this.id = id; }

        /** The report's string. */
        public String id() { return id; }
    }

    public Status status() {
        if (!findings.isEmpty()) return Status.REFUSED;
        if (aks.isEmpty()) return Status.NOT_ENROLLED;
        return aks.stream().allMatch(a -> a instanceof Proven) ? Status.PROVEN_BY_ACTIVATION : Status.ASSERTED_BY_OPERATOR;
    }

    /** Every AK of an in-memory trust store: asserted (there are no records). */
    public static HostAdmission asserted(String host, int akCount) {
        List<AkAdmission> aks = new ArrayList<>();
        for (int i = 0; i < akCount; i++) aks.add(new Asserted("(in memory " + i + ")"));
        return new HostAdmission(host, aks, List.of());
    }

    /**
     * Reads the AK files of {@code hostDir} and their admission records, checking each record under
     * {@code signers}. Fails only when a file cannot be read at all; a record that does not verify or
     * match is a finding.
     */
    public static HostAdmission read(Path hostDir, String host, TrustedKeys signers) throws IOException {
        ArchiveLayout.requireValidHostId(host);
        List<AkAdmission> aks = new ArrayList<>();
        List<AdmissionFinding> findings = new ArrayList<>();
        if (!Files.isDirectory(hostDir)) return new HostAdmission(host, aks, findings);
        List<Path> files;
        try (Stream<Path> s = Files.list(hostDir)) {
            files = s.filter(TrustStore::isAkFile).sorted().toList();
        }
        for (Path ak : files) {
            String name = ak.getFileName().toString();
            Path json = hostDir.resolve(AdmissionFiles.stem(ak) + AdmissionRecord.JSON_SUFFIX);
            Path cms = hostDir.resolve(AdmissionFiles.stem(ak) + AdmissionRecord.CMS_SUFFIX);
            if (!Files.exists(json) && !Files.exists(cms)) {
                aks.add(new Asserted(name));
                continue;
            }
            AdmissionFinding problem = null;
            AdmissionRecord record = null;
            try {
                Bytes content = Bytes.wrap(LimitedFiles.readAllBytes(json, InputLimit.ENROLMENT));
                SignatureVerifier.trusting(signers).verify(content, Bytes.wrap(LimitedFiles.readAllBytes(cms, InputLimit.ENROLMENT)));
                record = AdmissionRecord.parse(content);
            } catch (IOException e) {
                problem = new AdmissionFinding.Unverified(host, name, "unreadable: " + e.getMessage());
            } catch (SignatureVerificationException e) {
                problem = new AdmissionFinding.Unverified(host, name, e.getMessage());
            } catch (AdmissionRecord.MalformedRecordException e) {
                problem = new AdmissionFinding.Unverified(host, name, e.getMessage());
            }
            if (record != null) problem = mismatch(host, name, ak, record);
            if (problem == null) {
                aks.add(new Proven(name, record));
            } else {
                aks.add(new Refused(name));
                findings.add(problem);
            }
        }
        return new HostAdmission(host, aks, findings);
    }

    /** Whether the verified record is about this host and this AK file's key; the finding if not. */
    private static AdmissionFinding mismatch(String host, String name, Path ak, AdmissionRecord record) throws IOException {
        if (!record.host().equals(host)) return new AdmissionFinding.Mismatch(host, name, "host", record.host(), host);
        Bytes spki;
        try {
            spki = Admission.sha256(AkPublicKey.load(LimitedFiles.readAllBytes(ak, InputLimit.AK_PUBLIC_KEY)).publicKey().getEncoded());
        } catch (MalformedQuoteException e) {
            throw new IOException(ak + ": not an AK public key: " + e.getMessage(), e);
        }
        if (!spki.equals(record.akSpkiSha256())) {
            return new AdmissionFinding.Mismatch(host, name, "key (SubjectPublicKeyInfo SHA-256)", record.akSpkiSha256().hex(), spki.hex());
        }
        return null;
    }

    /**
     * The report's {@code admission} object: {@code status} ({@link Status#id}) and per AK file its
     * {@code file}, {@code admission} ("credential-activation", "operator" or "refused") and, when
     * proven, {@code akName}, {@code admittedAt}, {@code admittedBy} and {@code ekCertificate}
     * (issuer, serial, sha256; null when admitted without one).
     */
    public Map<String, Object> toJson() {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("status", status().id());
        List<Object> list = new ArrayList<>();
        for (AkAdmission a : aks) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("file", a.file());
            if (a instanceof Proven p) {
                m.put("admission", AdmissionRecord.METHOD);
                m.put("akName", p.record().akName().hex());
                m.put("admittedAt", p.record().admittedAt().toString());
                m.put("admittedBy", p.record().admittedBy().hex());
                if (p.record().endorsement() instanceof EkEndorsement.Certified c) {
                    Map<String, Object> cert = new LinkedHashMap<>();
                    cert.put("issuer", c.issuer());
                    cert.put("serial", c.serial());
                    cert.put("sha256", c.sha256());
                    m.put("ekCertificate", cert);
                } else {
                    m.put("ekCertificate", Json.NULL);
                }
            } else {
                m.put("admission", a instanceof Asserted ? "operator" : "refused");
            }
            list.add(m);
        }
        o.put("aks", list);
        return o;
    }
}

package org.imaarchiver.cli.archive;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.imaarchiver.archive.admission.Admission;
import org.imaarchiver.archive.admission.AdmissionFiles;
import org.imaarchiver.archive.admission.AdmissionRecord;
import org.imaarchiver.archive.admission.AdmissionRefusal;
import org.imaarchiver.archive.admission.AdmissionRefusedException;
import org.imaarchiver.archive.admission.EkCertificateCheck;
import org.imaarchiver.archive.admission.EkEndorsement;
import org.imaarchiver.archive.admission.EnrolmentRequest;
import org.imaarchiver.archive.admission.PendingAdmission;
import org.imaarchiver.archive.chain.ArchiveLayout;
import org.imaarchiver.archive.io.InputLimit;
import org.imaarchiver.archive.io.OutputTargets;
import org.imaarchiver.archive.io.UnsafeOutputException;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.archive.sign.SegmentSigner;
import org.imaarchiver.archive.sign.SigningException;
import org.imaarchiver.cli.CliContext;
import org.imaarchiver.cli.CliError;
import org.imaarchiver.cli.ExitCode;
import org.imaarchiver.cli.Inputs;
import org.imaarchiver.replay.bytes.Bytes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code admit}: the verifier's side of enrolment by credential activation (docs/trust-model.md).
 * {@code admit REQUEST} checks an enrolment request and writes its challenge; {@code admit --answer}
 * checks the host's answer and admits the AK into the trust directory with a signed record. The
 * checks are {@link Admission}'s; this class reads files, maps refusals to exit codes and prints.
 */
@Command(name = "admit", mixinStandardHelpOptions = true,
        description = {"Admit a host's attestation key into a trust directory, proven by TPM credential activation.",
                "Step 1: admit REQUEST --ek-ca DIR --trust DIR [--challenge-out FILE]",
                "  checks the enrolment request (written by enroll on the host): its EK certificate against the CA",
                "  certificates of --ek-ca (chain, validity, key, key usage, TPM manufacturer/model/version), the EK and",
                "  AK public areas (restricted signing AK with fixedTPM, fixedParent, sensitiveDataOrigin; its name);",
                "  writes the challenge (tpm2_makecredential's file format; default: REQUEST without .json plus",
                "  .challenge) and TRUST/hosts/<host>/" + PendingAdmission.FILE + ". The challenge is valid for 24 hours.",
                "Step 2: admit --answer ANSWER --host HOST --trust DIR --key KEY.pem --cert CERT.pem",
                "  checks the answer (written by enroll --activate or tpm2_activatecredential -o) against the pending",
                "  challenge, then writes TRUST/hosts/<host>/ak.pem and its admission record ak.admission.json with its",
                "  CMS signature ak.admission.cms (KEY/CERT as made by keygen), and removes the pending challenge.",
                "verify trusts admission records signed by a key of TRUST/admission-signers/*.pem."},
        footer = {"", "Exit codes: 0 challenge written or AK admitted; 1 refused (the evidence does not pass: EK certificate,",
                "attributes, AK name, wrong or replayed answer, expired challenge); 2 bad usage or malformed input;",
                "3 cannot write."})
public final class AdmitCommand implements Callable<Integer> {
    private final CliContext ctx;

    @Parameters(index = "0", arity = "0..1", paramLabel = "REQUEST", description = "The enrolment request (step 1).")
    Path request;

    @Option(names = "--trust", required = true, paramLabel = "DIR", description = "The trust directory to admit into.")
    Path trust;

    @Option(names = "--ek-ca", paramLabel = "DIR",
            description = "CA certificates (*.pem, *.crt, *.cer, *.der) the EK certificate must chain to (step 1).")
    Path ekCa;

    @Option(names = "--allow-no-ek-certificate",
            description = "Admit a TPM that has no EK certificate (step 1; recorded as such; docs/trust-model.md).")
    boolean allowNoEkCertificate;

    @Option(names = "--challenge-out", paramLabel = "FILE", description = "Where to write the challenge (step 1).")
    Path challengeOut;

    @Option(names = "--answer", paramLabel = "ANSWER", description = "The host's answer: the activated secret (step 2).")
    Path answer;

    @Option(names = "--host", paramLabel = "HOST", description = "The host whose challenge ANSWER answers (step 2).")
    String host;

    @Option(names = "--key", paramLabel = "KEY.pem", description = "The admission signing key (step 2).")
    Path key;

    @Option(names = "--cert", paramLabel = "CERT.pem", description = "The admission signing key's certificate (step 2).")
    Path cert;

    public AdmitCommand(CliContext ctx) { this.ctx = ctx; }

    @Override
    public Integer call() throws CliError {
        if (answer != null) {
            if (request != null) throw CliError.usage("admit: give either REQUEST (step 1) or --answer (step 2), not both");
            return answerStep();
        }
        if (request == null) throw CliError.usage("admit: REQUEST or --answer ANSWER is required");
        return requestStep();
    }

    private int requestStep() throws CliError {
        for (String opt : new String[] {host == null ? null : "--host", key == null ? null : "--key", cert == null ? null : "--cert"}) {
            if (opt != null) throw CliError.usage("admit: " + opt + " belongs to --answer (step 2)");
        }
        byte[] bytes = Inputs.readBytes(request, "REQUEST", InputLimit.ENROLMENT);
        EnrolmentRequest req;
        try {
            req = EnrolmentRequest.parse(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
        } catch (EnrolmentRequest.MalformedRequestException e) {
            throw CliError.usage("admit: " + request + ": " + e.getMessage(), e);
        }
        if (!ArchiveLayout.isValidHostId(req.host())) throw CliError.usage("admit: " + request + ": host: not a valid host id: " + req.host());
        Optional<EkCertificateCheck> cas = Optional.empty();
        if (ekCa != null) {
            cas = Optional.of(EkCertificateCheck.trusting(authorities()));
        } else if (!allowNoEkCertificate) {
            throw CliError.usage("admit: --ek-ca DIR is required (or --allow-no-ek-certificate for TPMs without an EK certificate)");
        } else if (!req.ekCertificates().isEmpty()) {
            throw CliError.usage("admit: host " + req.host() + ": the request has an EK certificate: --ek-ca DIR is required to check it");
        }
        Path out = challengeOut != null ? challengeOut : defaultChallengePath(request);
        if (Files.isDirectory(out)) throw CliError.usage("admit: --challenge-out " + out + ": is a directory");
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Admission.Issued issued;
        try {
            issued = Admission.challenge(req, Admission.sha256(bytes), cas,
                    allowNoEkCertificate ? Admission.EkCertificatePolicy.OPTIONAL : Admission.EkCertificatePolicy.REQUIRED, now, new SecureRandom());
        } catch (AdmissionRefusedException e) {
            return refused(e.refusal());
        }
        try {
            if (!OutputTargets.writesThrough(out)) OutputTargets.requireReplaceable(out);
            Files.write(out, issued.challengeFile().toArray());
            AdmissionFiles.writePending(trust, issued.pending());
        } catch (UnsafeOutputException e) {
            throw CliError.usage("admit: --challenge-out " + out + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw CliError.environment("admit: host " + req.host() + ": cannot write the challenge or the pending admission: " + e.getMessage(), e);
        }
        ctx.out().println("host:      " + req.host());
        ctx.out().println("ek:        " + describe(issued.pending().endorsement()));
        ctx.out().println("challenge: " + out + " (valid until " + issued.pending().expiresAt() + ")");
        ctx.out().println("pending:   " + AdmissionFiles.hostDir(trust, req.host()).resolve(PendingAdmission.FILE));
        ctx.out().println("next:      on the host, enroll --activate " + out.getFileName() + "; then admit --answer ANSWER --host "
                + req.host() + " --trust " + trust + " --key KEY.pem --cert CERT.pem");
        return ExitCode.OK;
    }

    private int answerStep() throws CliError {
        if (host == null) throw CliError.usage("admit: --answer needs --host HOST");
        if (key == null || cert == null) throw CliError.usage("admit: --answer needs --key KEY.pem and --cert CERT.pem (the admission signing key)");
        for (String opt : new String[] {ekCa == null ? null : "--ek-ca", challengeOut == null ? null : "--challenge-out",
                allowNoEkCertificate ? "--allow-no-ek-certificate" : null}) {
            if (opt != null) throw CliError.usage("admit: " + opt + " belongs to REQUEST (step 1)");
        }
        if (!ArchiveLayout.isValidHostId(host)) throw CliError.usage("admit: --host: not a valid host id: " + host);
        KeyMaterial km = SigningFiles.read(key, cert);
        Bytes secret = Bytes.wrap(Inputs.readBytes(answer, "--answer", InputLimit.ENROLMENT));
        Optional<PendingAdmission> pending;
        try {
            pending = AdmissionFiles.readPending(trust, host);
        } catch (EnrolmentRequest.MalformedRequestException e) {
            throw CliError.usage("admit: host " + host + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw CliError.usage("admit: host " + host + ": unreadable pending admission: " + e.getMessage(), e);
        }
        if (pending.isEmpty()) return refused(new AdmissionRefusal.NoPendingChallenge(host));
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        AdmissionRecord record;
        try {
            record = Admission.answer(pending.get(), secret, now, Admission.sha256(km.certificate().getPublicKey().getEncoded()));
        } catch (AdmissionRefusedException e) {
            return refused(e.refusal());
        }
        Path akFile;
        try {
            if (!AdmissionFiles.claimPending(trust, host)) return refused(new AdmissionRefusal.NoPendingChallenge(host));
            akFile = AdmissionFiles.writeAdmitted(trust, record, new SegmentSigner(km, Optional.empty()));
        } catch (SigningException e) {
            throw CliError.usage("admit: host " + host + ": cannot sign with --key " + key + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw CliError.environment("admit: host " + host + ": cannot write the admitted AK: " + e.getMessage(), e);
        }
        ctx.out().println("host:     " + host);
        ctx.out().println("admitted: " + akFile + " (AK name " + record.akName().hex() + ")");
        ctx.out().println("record:   " + akFile.resolveSibling(AdmissionFiles.stem(akFile) + AdmissionRecord.JSON_SUFFIX)
                + " (signed; verify trusts it with " + cert.getFileName() + " in " + trust.resolve("admission-signers") + ")");
        ctx.out().println("ek:       " + describe(record.endorsement()));
        return ExitCode.OK;
    }

    private List<X509Certificate> authorities() throws CliError {
        if (!Files.isDirectory(ekCa)) throw CliError.usage("admit: --ek-ca " + ekCa + ": not a directory");
        List<X509Certificate> cas;
        try {
            cas = EkCertificateCheck.loadAuthorities(ekCa);
        } catch (IOException e) {
            throw CliError.usage("admit: --ek-ca " + ekCa + ": " + e.getMessage(), e);
        }
        if (cas.isEmpty()) throw CliError.usage("admit: --ek-ca " + ekCa + ": no CA certificate (*.pem, *.crt, *.cer, *.der)");
        return cas;
    }

    /** REQUEST without a trailing {@code .json}, plus {@code .challenge}, beside it. */
    static Path defaultChallengePath(Path request) {
        String n = request.getFileName().toString();
        if (n.endsWith(".json")) n = n.substring(0, n.length() - ".json".length());
        return request.resolveSibling(n + ".challenge");
    }

    private static String describe(EkEndorsement e) {
        if (e instanceof EkEndorsement.Certified c) {
            return "certificate " + c.serial() + " of " + c.issuer() + " (chains to " + c.anchor() + "; TPM " + c.manufacturer() + " "
                    + c.model() + " " + c.version() + ")" + (c.warnings().isEmpty() ? "" : "; warnings: " + String.join("; ", c.warnings()));
        }
        return "no EK certificate (allowed by --allow-no-ek-certificate)";
    }

    private int refused(AdmissionRefusal r) {
        ctx.err().println("admit: refused: " + r.message());
        return r.malformedInput() ? ExitCode.USAGE : ExitCode.NOT_VERIFIED;
    }
}

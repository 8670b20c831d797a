package org.imaarchiver.jobs.nightly.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.imaarchiver.archive.admission.CredentialChallenge;
import org.imaarchiver.archive.io.InputLimit;
import org.imaarchiver.archive.io.OutputTargets;
import org.imaarchiver.cli.CliContext;
import org.imaarchiver.cli.CliError;
import org.imaarchiver.cli.ExitCode;
import org.imaarchiver.cli.Inputs;
import org.imaarchiver.cli.ReportFile;
import org.imaarchiver.jobs.config.ArchiverSettings;
import org.imaarchiver.jobs.host.tpm.ActivationResult;
import org.imaarchiver.jobs.host.tpm.TpmCommandCode;
import org.imaarchiver.jobs.host.tpm.TpmException;
import org.imaarchiver.jobs.host.tpm.TpmFailure;
import org.imaarchiver.jobs.host.tpm.TpmResponseCode;
import org.imaarchiver.jobs.host.tpm.TpmUnavailableException;
import org.imaarchiver.jobs.nightly.EndorsementKeyChoice;
import org.imaarchiver.jobs.nightly.Enroller;
import org.imaarchiver.jobs.nightly.NightlyApplication;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code ima-archiver enroll --out DIR}: writes ak.pem, ak.pub, ak.name, the EK certificates and the
 * enrolment request for the verifier; {@code enroll --activate CHALLENGE} answers the verifier's
 * credential challenge (docs/operations.md "Installing on a host").
 */
@Command(name = "enroll", mixinStandardHelpOptions = true,
        description = {"Create the AK and write its public key, the EK certificate and the enrolment request "
                + "(" + Enroller.REQUEST_FILE + ") for the verifier; with --activate, answer the verifier's challenge.",
                "Exit codes of --activate: 0 answered, 1 the challenge was not made for this TPM's EK and AK, "
                        + "2 malformed challenge, 3 no TPM."})
public final class EnrollCommand implements Callable<Integer> {
    /** The answer's file name beside the challenge when {@code --answer-out} is not given. */
    static final String DEFAULT_ANSWER = "enroll-answer.bin";

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (copy it to <trust>/hosts/<host>/); required without --activate.")
    Path out;

    @Option(names = "--persist", description = "Make the primary AK persistent at ima-archiver.ak.handle.")
    boolean persist;

    @Option(names = "--ek", paramLabel = "rsa|ecc", description = "The endorsement key the request names and --activate uses "
            + "(default: the one the TPM holds a certificate for, RSA first; else rsa). Give --activate the same choice as the request.")
    String ek;

    @Option(names = "--activate", paramLabel = "CHALLENGE",
            description = "Answer this challenge (tpm2_makecredential's file format) with the AK and the EK.")
    Path activate;

    @Option(names = "--answer-out", paramLabel = "FILE",
            description = "Where --activate writes the answer (default: " + DEFAULT_ANSWER + " beside the challenge).")
    String answerOut;

    @Unmatched // --ima-archiver.<property>=<value> overrides (docs/operations.md)
    List<String> properties = new ArrayList<>();

    @Spec
    CommandSpec spec;

    private final CliContext cli;

    public EnrollCommand(CliContext cli) { this.cli = cli; }

    @Override
    public Integer call() throws Exception {
        Optional<EndorsementKeyChoice> ekChoice = ekChoice();
        if (activate == null) {
            if (out == null) throw CliError.usage("--out DIR is required (or --activate CHALLENGE)");
            if (answerOut != null) throw CliError.usage("--answer-out goes with --activate");
            try (var ctx = NightlyApplication.context(properties)) {
                for (Path p : Enroller.enroll(ctx.getBean(ArchiverSettings.class), out, persist, ekChoice)) cli.out().println(p);
            } catch (TpmFailure e) {
                throw tpmError(e);
            }
            return ExitCode.OK;
        }
        if (out != null || persist) throw CliError.usage("--activate answers a challenge: --out and --persist go with the first enroll");
        CredentialChallenge challenge;
        try {
            challenge = CredentialChallenge.parse(Inputs.readBytes(activate, "--activate", InputLimit.ENROLMENT));
        } catch (CredentialChallenge.MalformedChallengeException e) {
            throw CliError.usage("--activate " + activate + ": not a credential challenge: " + e.getMessage());
        }
        ReportFile answer;
        if (answerOut != null) {
            answer = ReportFile.of("--answer-out", answerOut);
        } else {
            Path dir = activate.toAbsolutePath().getParent();
            answer = new ReportFile(dir.resolve(DEFAULT_ANSWER));
            OutputTargets.requireReplaceable(answer.path()); // a name the archiver chose: never written through a link
        }
        ActivationResult result;
        try (var ctx = NightlyApplication.context(properties)) {
            result = Enroller.activate(ctx.getBean(ArchiverSettings.class), challenge, ekChoice);
        } catch (TpmFailure e) {
            throw tpmError(e);
        }
        if (result instanceof ActivationResult.NotForThisTpm n) {
            cli.err().println(spec.qualifiedName() + ": " + activate + ": the challenge was not made for this TPM's EK and AK ("
                    + n.code().name().orElse(n.code().description()) + ")");
            return ExitCode.NOT_VERIFIED;
        }
        answer.write(((ActivationResult.Activated) result).secret().toArray());
        cli.out().println(answer.path());
        return ExitCode.OK;
    }

    private Optional<EndorsementKeyChoice> ekChoice() throws CliError {
        if (ek == null) return Optional.empty();
        return switch (ek.toLowerCase(Locale.ROOT)) {
            case "rsa" -> Optional.of(EndorsementKeyChoice.RSA);
            case "ecc" -> Optional.of(EndorsementKeyChoice.ECC);
            default -> throw CliError.usage("--ek must be rsa or ecc: " + ek);
        };
    }

    /**
     * No TPM, or one that misbehaves, is an environment problem (exit 3); a TPM that cannot read the
     * challenge's structures names the parameter (exit 2).
     */
    private CliError tpmError(TpmFailure e) {
        if (e instanceof TpmUnavailableException) return CliError.environment("no TPM: " + e.getMessage(), e);
        if (e instanceof TpmException t && t.command() == TpmCommandCode.ACTIVATE_CREDENTIAL
                && t.responseCode().location() == TpmResponseCode.Location.PARAMETER) {
            return CliError.usage("--activate " + activate + ": the TPM cannot read the challenge: " + t.getMessage(), t);
        }
        return CliError.environment("TPM: " + e.getMessage(), e); // a TPM error or a response we cannot accept
    }
}

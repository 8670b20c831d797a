package org.imaarchiver.jobs.nightly;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.imaarchiver.archive.admission.CredentialChallenge;
import org.imaarchiver.archive.admission.EnrolmentRequest;
import org.imaarchiver.archive.io.OutputTargets;
import org.imaarchiver.jobs.config.ArchiverSettings;
import org.imaarchiver.jobs.host.tpm.ActivationResult;
import org.imaarchiver.jobs.host.tpm.CredentialActivation;
import org.imaarchiver.jobs.host.tpm.PrimaryKey;
import org.imaarchiver.jobs.host.tpm.Tpm2;
import org.imaarchiver.jobs.host.tpm.TpmFailure;
import org.imaarchiver.jobs.host.tpm.TpmTransports;

/**
 * {@code enroll}: the AK's public key for the verifier's trust directory
 * ({@code hosts/<host>/ak.pem}), as PEM ({@code ak.pem}), TPM2B_PUBLIC ({@code ak.pub}) and TPM
 * name ({@code ak.name}, hex), the EK certificate(s) if the TPM holds them ({@code ek-rsa.der},
 * {@code ek-ecc.der}), and the enrolment request ({@value #REQUEST_FILE}) with which the verifier
 * admits the AK by credential activation (docs/trust-model.md). With {@code persist}, a primary AK is
 * made persistent at the configured handle first. {@code enroll --activate} then answers the
 * verifier's challenge with the same AK and EK ({@link #activate}).
 */
public final class Enroller {
    /** The request's file name in the output directory. */
    public static final String REQUEST_FILE = "enroll-request.json";

    private Enroller() {}

    /** The files written, with the EK chosen by {@link EndorsementKeyChoice#choose} without a choice. */
    public static List<Path> enroll(ArchiverSettings settings, Path outDir, boolean persist) throws IOException, TpmFailure {
        return enroll(settings, outDir, persist, Optional.empty());
    }

    /** The files written; the request names the EK {@code ek} picks. */
    public static List<Path> enroll(ArchiverSettings settings, Path outDir, boolean persist, Optional<EndorsementKeyChoice> ek)
            throws IOException, TpmFailure {
        Files.createDirectories(outDir);
        for (String name : List.of("ak.pem", "ak.pub", "ak.name", "ek-rsa.der", "ek-ecc.der", REQUEST_FILE)) {
            OutputTargets.requireReplaceable(outDir.resolve(name)); // a key is never written through a link
        }
        List<Path> written = new ArrayList<>();
        try (Tpm2 tpm = new Tpm2(TpmTransports.open(settings.tpm()))) {
            AttestationKey ak;
            if (persist) {
                var primary = tpm.createPrimary(AttestationKey.hierarchy(settings.ak()), AttestationKey.template(settings.ak()));
                tpm.evictControl(primary.handle(), settings.ak().handleValue());
                tpm.flushContext(primary.handle());
                ak = new AttestationKey(settings.ak().handleValue(), tpm.readPublic(settings.ak().handleValue()), false);
            } else {
                ak = AttestationKey.load(tpm, settings.ak());
            }
            try {
                written.add(Files.writeString(outDir.resolve("ak.pem"), ak.publicArea().pem(), StandardCharsets.US_ASCII));
                written.add(Files.write(outDir.resolve("ak.pub"), ak.publicArea().tpm2bPublic().toArray()));
                written.add(Files.writeString(outDir.resolve("ak.name"), ak.publicArea().name().hex() + "\n", StandardCharsets.US_ASCII));
            } finally {
                ak.release(tpm);
            }
            for (EndorsementKeyChoice kind : EndorsementKeyChoice.values()) {
                var cert = EndorsementKeyChoice.choose(tpm, Optional.of(kind)).certificate();
                String file = kind == EndorsementKeyChoice.RSA ? "ek-rsa.der" : "ek-ecc.der";
                if (cert.isPresent()) written.add(Files.write(outDir.resolve(file), cert.get().toArray()));
            }
            EndorsementKeyChoice.ChosenEk chosen = EndorsementKeyChoice.choose(tpm, ek);
            PrimaryKey ekKey = tpm.createEndorsementKey(chosen.template());
            tpm.flushContext(ekKey.handle());
            EnrolmentRequest request = new EnrolmentRequest(settings.effectiveHostId(), ekKey.publicArea().area(),
                    chosen.certificate().stream().toList(), ak.publicArea().area(), ak.publicArea().name());
            written.add(Files.writeString(outDir.resolve(REQUEST_FILE), request.toJson(), StandardCharsets.UTF_8));
        }
        return written;
    }

    /**
     * TPM2_ActivateCredential of {@code challenge} with the configured AK and the EK {@code ek} picks
     * (the same rule as the request's): the secret, or the TPM's refusal of a challenge made for
     * another EK or AK. The EK, the AK (when transient) and the policy session are flushed.
     */
    public static ActivationResult activate(ArchiverSettings settings, CredentialChallenge challenge,
            Optional<EndorsementKeyChoice> ek) throws TpmFailure {
        try (Tpm2 tpm = new Tpm2(TpmTransports.open(settings.tpm()))) {
            EndorsementKeyChoice.ChosenEk chosen = EndorsementKeyChoice.choose(tpm, ek);
            AttestationKey ak = AttestationKey.load(tpm, settings.ak());
            try {
                PrimaryKey ekKey = tpm.createEndorsementKey(chosen.template());
                try {
                    return new CredentialActivation(tpm).activate(ak.handle(), ekKey.handle(), chosen.template(),
                            challenge.credentialBlob(), challenge.encryptedSecret());
                } finally {
                    tpm.flushContext(ekKey.handle());
                }
            } finally {
                ak.release(tpm);
            }
        }
    }
}

package org.imaarchiver.jobs.nightly;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.imaarchiver.archive.io.OutputTargets;
import org.imaarchiver.jobs.config.ArchiverSettings;
import org.imaarchiver.jobs.host.tpm.Tpm2;
import org.imaarchiver.jobs.host.tpm.TpmFailure;
import org.imaarchiver.jobs.host.tpm.TpmTransports;

/**
 * {@code enroll}: the AK's public key for the verifier's trust directory
 * ({@code hosts/<host>/ak.pem}), as PEM ({@code ak.pem}), TPM2B_PUBLIC ({@code ak.pub}) and TPM
 * name ({@code ak.name}, hex), plus the EK certificate(s) if the TPM holds them
 * ({@code ek-rsa.der}, {@code ek-ecc.der}). With {@code persist}, a primary AK is made persistent at
 * the configured handle first.
 */
public final class Enroller {
    private Enroller() {}

    /** The files written. */
    public static List<Path> enroll(ArchiverSettings settings, Path outDir, boolean persist) throws IOException, TpmFailure {
        Files.createDirectories(outDir);
        for (String name : List.of("ak.pem", "ak.pub", "ak.name", "ek-rsa.der", "ek-ecc.der")) {
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
            for (boolean rsa : new boolean[] {true, false}) {
                Optional<org.imaarchiver.replay.bytes.Bytes> cert = tpm.ekCertificate(rsa);
                if (cert.isPresent()) written.add(Files.write(outDir.resolve(rsa ? "ek-rsa.der" : "ek-ecc.der"), cert.get().toArray()));
            }
        }
        return written;
    }
}

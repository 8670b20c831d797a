package org.imaarchiver.cli.archive;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.imaarchiver.archive.io.OutputTargets;
import org.imaarchiver.archive.io.UnsafeOutputException;
import org.imaarchiver.archive.sign.KeyMaterial;
import org.imaarchiver.cli.CliError;
import org.imaarchiver.cli.ExitCode;
import org.imaarchiver.cli.CliContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code keygen --out DIR}: the archiver's manifest signing key and a self-signed certificate. */
@Command(name = "keygen", mixinStandardHelpOptions = true,
        description = {"Generate the archiver's manifest signing key and a self-signed certificate.",
                "Writes DIR/" + KeyMaterial.KEY_FILE + " (mode 0600) and DIR/" + KeyMaterial.CERT_FILE + ". Copy the certificate into a verifier's trust",
                "directory as signers/<name>.pem."},
        footer = {"", "Exit codes: 0 written, 2 bad usage or a file exists (use --force), 3 cannot write."})
public final class KeygenCommand implements Callable<Integer> {
    /** Clock skew allowance: a certificate made now must cover a manifest signed a moment "earlier" elsewhere. */
    static final Duration NOT_BEFORE_SLACK = Duration.ofMinutes(5);

    private final CliContext ctx;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write into (created if missing).")
    Path out;

    @Option(names = "--type", paramLabel = "p256|ed25519", defaultValue = "p256",
            description = "Key type: ECDSA P-256 (default) or Ed25519.")
    String type;

    @Option(names = "--cn", paramLabel = "NAME", defaultValue = "ima-archiver signer",
            description = "Certificate subject common name (default: ${DEFAULT-VALUE}).")
    String cn;

    @Option(names = "--days", paramLabel = "N", defaultValue = "3650", description = "Certificate validity in days (default: ${DEFAULT-VALUE}).")
    int days;

    @Option(names = "--force", description = "Replace existing key and certificate files.")
    boolean force;

    public KeygenCommand(CliContext ctx) { this.ctx = ctx; }

    @Override
    public Integer call() throws CliError {
        KeyMaterial.KeyType keyType = switch (type.toLowerCase(Locale.ROOT)) {
            case "p256", "p-256", "ecdsa" -> KeyMaterial.KeyType.P256;
            case "ed25519" -> KeyMaterial.KeyType.ED25519;
            default -> throw CliError.usage("--type: unsupported key type '" + type + "' (supported: p256, ed25519)");
        };
        if (days < 1) throw CliError.usage("--days: must be at least 1, got " + days);
        if (cn.isBlank()) throw CliError.usage("--cn: blank name");
        if (Files.exists(out) && !Files.isDirectory(out)) throw CliError.usage("--out " + out + ": not a directory");
        Path key = out.resolve(KeyMaterial.KEY_FILE);
        Path cert = out.resolve(KeyMaterial.CERT_FILE);
        for (Path p : new Path[] {key, cert}) {
            try {
                OutputTargets.requireReplaceable(p); // --force replaces a regular file only
            } catch (UnsafeOutputException e) {
                throw CliError.usage("--out " + out + ": " + e.getMessage());
            }
            if (Files.exists(p) && !force) throw CliError.usage(p + ": already exists (use --force to replace it)");
        }
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        KeyMaterial km = KeyMaterial.generate(keyType, cn, now.minus(NOT_BEFORE_SLACK), now.plus(Duration.ofDays(days)));
        try {
            if (force) {
                Files.deleteIfExists(key);
                Files.deleteIfExists(cert);
            }
            km.writePem(out);
        } catch (IOException e) {
            throw CliError.environment("--out " + out + ": cannot write key material: " + e.getMessage(), e);
        }
        ctx.out().println("key:         " + key);
        ctx.out().println("certificate: " + cert);
        ctx.out().println("type:        " + keyType.name().toLowerCase(Locale.ROOT) + ", CN=" + cn + ", valid until "
                + km.certificate().getNotAfter().toInstant());
        ctx.out().println("public key SHA-256: " + spkiSha256(km));
        return ExitCode.OK;
    }

    /** SHA-256 of the SubjectPublicKeyInfo: what trust is by (archive-format.md §8). */
    static String spkiSha256(KeyMaterial km) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(km.certificate().getPublicKey().getEncoded()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

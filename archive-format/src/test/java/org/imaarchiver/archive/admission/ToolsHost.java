package org.imaarchiver.archive.admission;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.imaarchiver.replay.bytes.Bytes;
import org.imaarchiver.replay.testsupport.Swtpm;
import org.imaarchiver.replay.testsupport.Tools;

/**
 * The host side of enrolment played by the peers: a swtpm manufactured by {@code swtpm_setup} with
 * EK certificates from {@code swtpm_localca} (a fresh local CA per TPM, in {@code dir/ca}), and
 * tpm2-tools for the EK and AK public areas, the EK certificates in NV and TPM2_ActivateCredential.
 * swtpm_setup makes an RSA 2048 EK (persistent {@value #RSA_EK}, certificate in NV {@value #RSA_EK_CERT})
 * and an ECC NIST P-384 EK ({@value #ECC_EK}, {@value #ECC_EK_CERT}). Without a resource manager,
 * every command's transient objects are flushed after it.
 */
public final class ToolsHost implements AutoCloseable {
    public static final String RSA_EK = "0x81010001";
    public static final String RSA_EK_CERT = "0x1c00002";
    public static final String ECC_EK = "0x81010016";
    public static final String ECC_EK_CERT = "0x1c00016";

    public final Path dir;
    public final Path caDir;
    public final Swtpm tpm;

    private ToolsHost(Path dir, Path caDir, Swtpm tpm) {
        this.dir = dir;
        this.caDir = caDir;
        this.tpm = tpm;
    }

    /** An AK of this TPM: its saved context, TPMT_PUBLIC and name as tpm2_createak writes them. */
    public record Ak(Path context, Bytes tpmtPublic, Bytes name) {}

    /** Manufactures and starts a TPM in {@code dir} (state in dir/state, its CA in dir/ca). */
    public static ToolsHost manufacture(Path dir) throws IOException, InterruptedException {
        Path setup = Tools.require("swtpm_setup", "swtpm-tools");
        Path localca = Tools.require("swtpm_localca", "swtpm-tools");
        Path state = Files.createDirectories(dir.resolve("state"));
        Path ca = Files.createDirectories(dir.resolve("ca"));
        Path caConf = dir.resolve("swtpm-localca.conf");
        Files.writeString(caConf, "statedir = " + ca + "\nsigningkey = " + ca.resolve("signkey.pem") + "\nissuercert = "
                + ca.resolve("issuercert.pem") + "\ncertserial = " + ca.resolve("certserial") + "\n");
        Path caOptions = dir.resolve("swtpm-localca.options");
        Files.writeString(caOptions, "--platform-manufacturer ima-archiver-test\n--platform-version 1\n--platform-model swtpm\n");
        Path setupConf = dir.resolve("swtpm_setup.conf");
        Files.writeString(setupConf, "create_certs_tool = " + localca + "\ncreate_certs_tool_config = " + caConf
                + "\ncreate_certs_tool_options = " + caOptions + "\nactive_pcr_banks = sha256\n");
        run(dir, setup.toString(), "--tpm2", "--tpmstate", state.toString(), "--create-ek-cert", "--config", setupConf.toString(),
                "--overwrite");
        return new ToolsHost(dir, ca, Swtpm.start(state));
    }

    /** The CA certificates swtpm_localca made (root and issuing CA), as an {@code --ek-ca} directory holds them. */
    public List<Path> caCertificates() {
        return List.of(caDir.resolve("swtpm-localca-rootca-cert.pem"), caDir.resolve("issuercert.pem"));
    }

    /** A persistent key's TPMT_PUBLIC (tpm2_readpublic -f tss writes the TPM2B). */
    public Bytes readPublic(String handle) throws IOException, InterruptedException {
        Path out = dir.resolve("readpublic-" + handle + ".pub");
        tpm.tpm2("tpm2_readpublic", "-c", handle, "-o", out.toString(), "-f", "tss");
        return tpmtOf(out);
    }

    /** An NV index's content: an EK certificate's DER. */
    public Bytes nvRead(String index) throws IOException, InterruptedException {
        Path out = dir.resolve("nv-" + index + ".der");
        tpm.tpm2("tpm2_nvread", index, "-o", out.toString());
        return Bytes.wrap(Files.readAllBytes(out));
    }

    /** tpm2_createak under {@code ekHandle}: an RSA (rsassa) or ECC (ecdsa) restricted signing key. */
    public Ak createAk(String ekHandle, String label, boolean ecc) throws IOException, InterruptedException {
        Path ctx = dir.resolve(label + ".ctx");
        Path pub = dir.resolve(label + ".pub");
        Path name = dir.resolve(label + ".name");
        tpm.tpm2("tpm2_createak", "-C", ekHandle, "-c", ctx.toString(), "-G", ecc ? "ecc" : "rsa", "-g", "sha256", "-s", ecc ? "ecdsa" : "rsassa",
                "-u", pub.toString(), "-n", name.toString(), "-f", "tss");
        flush();
        return new Ak(ctx, tpmtOf(pub), Bytes.wrap(Files.readAllBytes(name)));
    }

    /**
     * tpm2_activatecredential of {@code challenge} for {@code ak} with the EK at {@code ekHandle}
     * ({@code policy}: the EK needs the PolicySecret(TPM_RH_ENDORSEMENT) session of the TCG default
     * template; swtpm's P-384 EK allows its (empty) password). The result's exit code says whether
     * the TPM released the secret into {@code answer}.
     */
    public Swtpm.Result activate(Ak ak, String ekHandle, boolean policy, Path challenge, Path answer) throws IOException, InterruptedException {
        flush();
        Swtpm.Result r;
        if (policy) {
            Path session = dir.resolve("session.ctx");
            tpm.tpm2("tpm2_startauthsession", "--policy-session", "-S", session.toString());
            tpm.tpm2("tpm2_policysecret", "-S", session.toString(), "-c", "e");
            r = tpm.run("tpm2_activatecredential", "-c", ak.context().toString(), "-C", ekHandle, "-i", challenge.toString(),
                    "-o", answer.toString(), "-P", "session:" + session);
            tpm.tpm2("tpm2_flushcontext", session.toString());
        } else {
            r = tpm.run("tpm2_activatecredential", "-c", ak.context().toString(), "-C", ekHandle, "-i", challenge.toString(),
                    "-o", answer.toString());
        }
        flush();
        return r;
    }

    /** Flushes transient objects and sessions left loaded (no resource manager between tpm2-tools and swtpm). */
    public void flush() throws IOException, InterruptedException {
        tpm.tpm2("tpm2_flushcontext", "-t");
        tpm.tpm2("tpm2_flushcontext", "-s");
    }

    public static Bytes tpmtOf(Path tpm2bPublic) throws IOException {
        byte[] b = Files.readAllBytes(tpm2bPublic);
        return Bytes.wrap(Arrays.copyOfRange(b, 2, b.length));
    }

    private static void run(Path dir, String... command) throws IOException, InterruptedException {
        Path log = dir.resolve("setup.log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (p.waitFor() != 0) throw new IOException(String.join(" ", command) + " failed: " + Files.readString(log));
    }

    @Override
    public void close() { tpm.close(); }
}

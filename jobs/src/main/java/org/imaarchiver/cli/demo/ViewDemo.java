package org.imaarchiver.cli.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.imaarchiver.jobs.logview.LogViewDaemon;

/**
 * The demo's last act: the log view mounted over the trimmed emulator, and evmctl replaying the
 * view's list (from the boot's first record) against the swtpm's PCRs, as an attestation agent on
 * the host would (docs/operations.md "Keeping the host's attestation agent working").
 */
final class ViewDemo {
    private ViewDemo() {}

    /** The result line printed; the view stays mounted only while this runs. */
    static void show(Path kernelRoot, Path stateDir, Path mount, SwtpmProcess tpm, Path work, PrintStream out)
            throws IOException, InterruptedException {
        Files.createDirectories(mount);
        try (AutoCloseable view = LogViewDaemon.mountInBackground(kernelRoot, stateDir, mount, out)) {
            String count = Files.readString(mount.resolve("runtime_measurements_count")).strip();
            String kernelCount = Files.readString(kernelRoot.resolve("runtime_measurements_count")).strip();
            out.printf("log view         %s: %s records of this boot (the kernel list holds %s)%n", mount, count, kernelCount);
            if (SwtpmProcess.find("evmctl").isEmpty() || SwtpmProcess.find("tpm2_pcrread").isEmpty()) {
                out.println("evmctl           not run: install ima-evm-utils and tpm2-tools (scripts/install-deps)");
                return;
            }
            Path sha1 = pcrFile(tpm, "sha1", work);
            Path sha256 = pcrFile(tpm, "sha256", work);
            for (String bank : List.of("sha1", "sha256")) {
                SwtpmProcess.Result r = tpm.run(List.of("evmctl", "ima_measurement", "-v", "--ignore-violations", "--verify-bank=" + bank,
                        "--pcrs", "sha1," + sha1, "--pcrs", "sha256," + sha256, mount.resolve("binary_runtime_measurements").toString()));
                String text = r.stdout() + r.stderr();
                Matcher m = Pattern.compile("(?m)^(Matched.*|Failed to match.*)$").matcher(text);
                out.printf("evmctl %-6s    %s (evmctl ima_measurement --verify-bank=%s %s, PCRs from tpm2_pcrread)%n", bank,
                        m.find() ? m.group(1) : "no verdict (exit " + r.exitCode() + ")", bank, mount.resolve("binary_runtime_measurements"));
            }
        } catch (IOException | InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("unmounting the log view: " + e.getMessage(), e);
        }
    }

    /** evmctl's PCR file (kernel-interface.md T.3): 24 lines {@code PCR-NN: hex}. */
    private static Path pcrFile(SwtpmProcess tpm, String bank, Path work) throws IOException, InterruptedException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 24; i++) {
            SwtpmProcess.Result r = tpm.run(List.of("tpm2_pcrread", bank + ":" + i));
            Matcher m = Pattern.compile("(?m)^\\s*" + i + "\\s*:\\s*0x([0-9A-Fa-f]+)").matcher(r.stdout());
            if (!m.find()) throw new IOException("tpm2_pcrread " + bank + ":" + i + ": " + r.stdout() + r.stderr());
            sb.append(String.format("PCR-%02d: %s%n", i, m.group(1).toLowerCase(Locale.ROOT)));
        }
        return Files.writeString(work.resolve(bank + ".pcrs"), sb.toString());
    }
}

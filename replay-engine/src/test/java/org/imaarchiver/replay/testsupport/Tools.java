package org.imaarchiver.replay.testsupport;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * External peers (swtpm, tpm2-tools, evmctl). Missing tools skip a test on a developer machine with
 * a message naming the Debian package; under CI ({@code CI=true}) they fail the test, because
 * {@code .ci/run} installs them and a silent skip would hide a broken install step.
 */
public final class Tools {
    private Tools() {}

    public static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    public static Optional<Path> find(String executable) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : (path + ":/usr/sbin:/sbin").split(File.pathSeparator)) {
            Path p = Path.of(dir, executable);
            if (Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    /** The tool's path; skips (or fails under CI) when it is not installed. */
    public static Path require(String executable, String debianPackage) {
        Optional<Path> p = find(executable);
        String msg = executable + " not found: install the Debian package " + debianPackage
                + " (scripts/install-deps does)";
        if (p.isEmpty()) {
            if (inCi()) throw new AssertionError(msg);
            assumeTrue(false, msg);
        }
        return p.get();
    }
}
